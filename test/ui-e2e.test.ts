/**
 * MLflow 3.18.0's web UI on `mlstore server`, end to end in headless Chromium, compared page by
 * page with the same UI on `mlflow server` serving the same data (issue 16).
 *
 * The real MLflow 3.18 Python client fills a SQLite store through `mlflow server`
 * (test/ui/populate_ui_store.py: two experiments, a parent run with nested children, params, tags,
 * 100-step metric histories, system metrics, a PNG and a text artifact, a pyfunc logged model and a
 * registered model version); the database and the artifacts are then copied, and `mlstore server
 * --ui-dir <the venv's mlflow/server/js/build>` serves the copy. Each page of test/ui/ui-pages.ts
 * (experiments, runs table, a typed filter, chart view, the run page's tabs, artifact previews, the
 * metric page, compare runs, logged models, registered models, a model version) is opened on both
 * servers (network idle plus the page's key texts) and must show, on mlstore:
 * - no failed request (status ≥ 400 or no response) that the same page does not also fail on mlflow
 *   (MLflow 3.18 itself answers `GET /ajax-api/2.0/mlflow/users/current` 404, its presigned
 *   `model-versions/get-artifact` 501, and now and then its assistant routes 500);
 * - the same text in the page's content (`<main>`) as on mlflow, once the origin, port and relative
 *   times ("2 minutes ago") are normalised.
 * Screenshots of every page from both servers go to test-results/ui-e2e/ with requests.json, every
 * request each page made and its status on each server. Then a run is renamed, tagged and given a
 * note through the UI on mlstore, and the REST API must return the edits.
 *
 * Runs in the integration profile or with MLSTORE_INTEROP=1 when the MLflow venv
 * (test/services/mlflow.sh) and Chromium (test/services/chromium.sh) exist; skips loudly otherwise,
 * fails under MLSTORE_REQUIRE_SERVICES=1.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { lastJsonLine, mlflowVenv, mlflowVenvProblem, runBounded, startMlflowServer, type MlflowServer } from './interop/mlflow-python.js';
import { startMlstoreServer, type MlstoreServer } from './interop/mlstore-server.js';
import { describeWithServices } from './interop/require-services.js';
import { chromiumProblem, launchChromium, visitUiPage, type PageCapture } from './ui/ui-browser.js';
import { editRunInUi } from './ui/ui-edits.js';
import { failedRequests, normaliseText, requestKey, uiPages, type PopulateReport } from './ui/ui-pages.js';
import { lineDiff } from './ui/text-diff.js';

const enabled = process.env.MLSTORE_PROFILE === 'integration' || process.env.MLSTORE_INTEROP === '1';
const repoRoot = resolve(import.meta.dirname, '..');
const uiDir = join(mlflowVenv, 'lib', 'python3.11', 'site-packages', 'mlflow', 'server', 'js', 'build');
const results = join(repoRoot, 'test-results', 'ui-e2e');

function problem(): string | null {
  if (!enabled) return 'runs only in the integration profile (MLSTORE_PROFILE=integration) or with MLSTORE_INTEROP=1';
  const venv = mlflowVenvProblem();
  if (venv) return venv;
  if (!existsSync(join(uiDir, 'index.html'))) return `the MLflow venv has no UI bundle at ${uiDir}`;
  return chromiumProblem();
}

/** The page names, for declaring the cases before the data (and its ids) exists. */
const PAGE_NAMES = uiPages({
  ok: true,
  experiments: { training: '1', second: '2' },
  runs: { 'parent-sweep': '', 'child-lr-0.01': '', 'child-lr-0.1': '', baseline: '', 'second-run': '' },
  model_id: '',
  registered_model: '',
}).map((p) => p.name);

/** What one request looked like on each server, for requests.json. */
type RequestLog = Record<string, Record<string, { mlflow: Array<number | string>; mlstore: Array<number | string>; body?: string }>>;

describeWithServices(
  { tag: 'ui-e2e', title: "MLflow 3.18's web UI on mlstore server renders as on mlflow server (headless Chromium)", needs: 'the MLflow venv and Chromium', enabled, problem: problem() },
  () => {
    let dir = '';
    let mlflow: MlflowServer | undefined;
    let mlstore: MlstoreServer | undefined;
    let browser: Browser | undefined;
    let data: PopulateReport;
    const requestLog: RequestLog = {};

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'mlstore-ui-e2e-'));
      mkdirSync(results, { recursive: true });
      const original = join(dir, 'mlflow');
      const copy = join(dir, 'mlstore');
      mkdirSync(original);
      mkdirSync(copy);
      // mlflow server fills its store through the client, then serves it; mlstore serves a copy.
      const browserStarting = launchChromium();
      browserStarting.catch(() => {});
      mlflow = await startMlflowServer(`sqlite:///${join(original, 'mlflow.db')}`, { cwd: original, artifactsDestination: join(original, 'mlartifacts') });
      const out = await runBounded('populate_ui_store.py', join(mlflowVenv, 'bin', 'python'), [join(import.meta.dirname, 'ui', 'populate_ui_store.py'), mlflow.url], {
        cwd: original,
        timeoutMs: 180_000,
        env: { MLFLOW_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: 'true', MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0', PYTHONUNBUFFERED: '1' },
      });
      data = lastJsonLine<PopulateReport>(out);
      expect(data.ok).toBe(true);
      cpSync(join(original, 'mlflow.db'), join(copy, 'mlflow.db'));
      cpSync(join(original, 'mlartifacts'), join(copy, 'mlartifacts'), { recursive: true });
      mlstore = await startMlstoreServer(`sqlite:///${join(copy, 'mlflow.db')}`, {
        cwd: copy,
        artifactsDestination: join(copy, 'mlartifacts'),
        extraArgs: ['--ui-dir', uiDir],
      });
      browser = await browserStarting;
    }, 400_000);

    afterAll(async () => {
      if (Object.keys(requestLog).length > 0) writeFileSync(join(results, 'requests.json'), JSON.stringify(requestLog, null, 2) + '\n');
      await browser?.close().catch(() => {});
      await mlstore?.stop();
      await mlflow?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** Adds a page's requests on one server to requests.json. */
    function logRequests(page: string, server: 'mlflow' | 'mlstore', capture: PageCapture, origin: string): void {
      const log = (requestLog[page] ??= {});
      for (const r of capture.requests) {
        const key = requestKey(r, origin) + (r.postData ? ` ${r.postData.slice(0, 120)}` : '');
        const entry = (log[key] ??= { mlflow: [], mlstore: [] });
        entry[server].push(r.status);
        if (r.body && server === 'mlstore') entry.body = r.body.slice(0, 500);
      }
    }

    /**
     * Reads the two open tabs again, every half second, until their normalised texts are equal or
     * `ms` have passed; returns the line diff of the last reading (empty when equal).
     */
    async function untilSame(onMlflow: PageCapture, onMlstore: PageCapture, ms: number): Promise<string> {
      let [a, b] = [normaliseText(onMlflow.text, mlflow!.url), normaliseText(onMlstore.text, mlstore!.url)];
      for (const deadline = Date.now() + ms; a !== b && Date.now() < deadline; ) {
        await new Promise((r) => setTimeout(r, 500));
        [a, b] = [normaliseText(await onMlflow.read(), mlflow!.url), normaliseText(await onMlstore.read(), mlstore!.url)];
      }
      return lineDiff(a, b);
    }

    for (const name of PAGE_NAMES) {
      it(`${name}: no request fails on mlstore that does not on mlflow, and the page reads the same`, async () => {
        const spec = uiPages(data).find((p) => p.name === name)!;
        const visit = async (): Promise<[PageCapture, PageCapture]> => [
          await visitUiPage(browser!, mlflow!.url, spec, join(results, `${name}-mlflow.png`)),
          await visitUiPage(browser!, mlstore!.url, spec, join(results, `${name}-mlstore.png`)),
        ];
        let [onMlflow, onMlstore] = await visit();
        try {
          logRequests(name, 'mlflow', onMlflow, mlflow!.url);
          logRequests(name, 'mlstore', onMlstore, mlstore!.url);
          // The page must work on mlflow first: otherwise the script, not mlstore, is wrong.
          expect(onMlflow.problem, `on mlflow server:\n${onMlflow.text.slice(0, 2_000)}`).toBeNull();

          const failedOnMlflow = new Set(failedRequests(onMlflow.requests).map((r) => requestKey(r, mlflow!.url)));
          const onlyOnMlstore = failedRequests(onMlstore.requests)
            .filter((r) => !failedOnMlflow.has(requestKey(r, mlstore!.url)))
            .map((r) => `${requestKey(r, mlstore!.url)} → ${r.status}${r.postData ? `\n  request: ${r.postData.slice(0, 300)}` : ''}${r.body ? `\n  answer: ${r.body.slice(0, 300)}` : ''}`);
          expect(onlyOnMlstore, 'requests that fail on mlstore server only').toEqual([]);
          expect(onMlstore.problem, `on mlstore server:\n${onMlstore.text.slice(0, 2_000)}`).toBeNull();

          // Charts and the artifact view render (and the latter reloads itself) at moments that
          // vary with the machine's load on either server: both tabs are read again until they
          // read the same (at most 20 s), and the page is opened again, at most twice, before a
          // difference counts: a difference in the data shows every time.
          let diff = await untilSame(onMlflow, onMlstore, 20_000);
          for (let again = 1; diff && again <= 2; again++) {
            await Promise.all([onMlflow.close(), onMlstore.close()]);
            [onMlflow, onMlstore] = await visit();
            diff = await untilSame(onMlflow, onMlstore, 20_000);
          }
          if (diff) throw new Error(`the page reads differently (- mlflow server, + mlstore server; screenshots in ${results}):\n${diff}`);
        } finally {
          await Promise.all([onMlflow.close(), onMlstore.close()]);
        }
      }, 300_000);
    }

    it('a run renamed, tagged and noted in the UI on mlstore reads back so through the REST API', async () => {
      const runId = data.runs['second-run'];
      const edits = { name: 'renamed-in-ui', tag: { key: 'ui_tag', value: 'from-the-browser' }, note: 'Written in the UI by the end-to-end test.' };
      await editRunInUi(browser!, mlstore!.url, data.experiments.second, runId, edits, join(results, 'edits-mlstore.png'));
      const res = await fetch(`${mlstore!.url}/api/2.0/mlflow/runs/get?run_id=${runId}`);
      expect(res.status).toBe(200);
      const { run } = (await res.json()) as { run: { info: { run_name: string }; data: { tags: Array<{ key: string; value: string }> } } };
      const tags = Object.fromEntries(run.data.tags.map((t) => [t.key, t.value]));
      expect(run.info.run_name).toBe(edits.name);
      expect(tags).toMatchObject({ 'mlflow.runName': edits.name, ui_tag: edits.tag.value, 'mlflow.note.content': edits.note });
    }, 120_000);
  },
);

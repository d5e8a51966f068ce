/**
 * `/graphql` (the web UI's run pages) against the real MLflow 3.18.0 server: the MLflow Python
 * client fills a SQLite store (an experiment, a parent and a nested child run, params, tags,
 * 100-step metrics, a NaN and a > int32 step, a dataset input, a logged model as input and output,
 * an artifact, a registered model version, a deleted run); `mlflow server` serves that database and
 * `mlstore server` serves a copy of it, and every operation the 3.18 UI bundle sends (its exact
 * text, realistic variables), plus the schema's other fields, its errors and its limits, must be
 * answered with equal JSON. Nothing is normalised: both sides read the same rows, and JSON numbers
 * compare by value (Python writes `1.0` where JavaScript writes `1`).
 *
 * Runs only in the integration profile or with MLSTORE_INTEROP=1 (needs test/services/mlflow.sh's venv).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastJsonLine, mlflowVenv, mlflowVenvProblem, runPythonCode, startMlflowServer, type MlflowServer } from './interop/mlflow-python.js';
import { startMlstoreServer, type MlstoreServer } from './interop/mlstore-server.js';

const enabled = process.env.MLSTORE_PROFILE === 'integration' || process.env.MLSTORE_INTEROP === '1';
const requireServices = process.env.MLSTORE_REQUIRE_SERVICES === '1';
const title = 'GraphQL (/graphql) against the real mlflow server 3.18.0 (SQLite backend)';
const OPS = (JSON.parse(readFileSync(resolve(import.meta.dirname, '../packages/server/src/graphql/ui-operations.json'), 'utf8')) as { operations: Record<string, string> }).operations;
const BUNDLE_JS = join(mlflowVenv, 'lib', 'python3.11', 'site-packages', 'mlflow', 'server', 'js', 'build', 'static', 'js');

const POPULATE = `
import json, sys, tempfile, os
import mlflow, pandas as pd
from mlflow import MlflowClient
from mlflow.entities import LoggedModelOutput, Metric, Param, RunTag
uri, art = sys.argv[1], sys.argv[2]
mlflow.set_tracking_uri(uri)
c = MlflowClient(uri)
exp = c.create_experiment("gql-exp", artifact_location=art, tags={"team": "ml", "mlflow.note.content": "hello"})
parent = c.create_run(exp, run_name="parent", tags={"owner": "a"}, start_time=1700000000000)
child = c.create_run(exp, run_name="child", tags={"mlflow.parentRunId": parent.info.run_id}, start_time=1700000001000)
for r in (parent, child):
    c.log_batch(r.info.run_id, metrics=[Metric("loss", 1.0 / (s + 1), 1700000000000 + s, s) for s in range(100)]
                + [Metric("acc", s / 100, 1700000000000 + s, s) for s in range(100)],
                params=[Param("lr", "0.01"), Param("layers", "3")], tags=[RunTag("k", "v")])
c.log_metric(child.info.run_id, "nanmetric", float("nan"), timestamp=1700000000500, step=0)
c.log_metric(child.info.run_id, "big", 12345678901234.0, timestamp=4102444800000, step=3000000000)
ds = mlflow.data.from_pandas(pd.DataFrame({"a": [1, 2], "b": [3, 4]}), source="s3://bucket/data.csv", name="train")
with mlflow.start_run(run_id=child.info.run_id):
    mlflow.log_input(ds, context="training", tags={"split": "train"})
    model = mlflow.initialize_logged_model(name="lm", model_type="agent", tags={"x": "y"})
    mlflow.log_metric("lm_metric", 0.5, step=1, timestamp=1700000000700, model_id=model.model_id)
    d = tempfile.mkdtemp()
    with open(os.path.join(d, "notes.txt"), "w") as f:
        f.write("hello")
    mlflow.log_artifact(os.path.join(d, "notes.txt"), "docs")
c.log_outputs(child.info.run_id, [LoggedModelOutput(model.model_id, 5)])
c.set_terminated(parent.info.run_id, "FINISHED", end_time=1700000100000)
c.set_terminated(child.info.run_id, "FAILED", end_time=1700000100000)
bare = c.create_run(exp, start_time=1700000002000)
c.create_registered_model("gqlmodel")
c.create_model_version("gqlmodel", f"runs:/{child.info.run_id}/model", run_id=child.info.run_id)
gone = c.create_run(exp, run_name="gone", start_time=1700000003000)
c.delete_run(gone.info.run_id)
print(json.dumps({"exp": exp, "parent": parent.info.run_id, "child": child.info.run_id, "bare": bare.info.run_id, "gone": gone.info.run_id}))
`;

// Deep enough for every type reference in the schema (lists of non-null items), within the depth limit.
const TYPE_REF = 'name kind ofType { name kind ofType { name kind ofType { name kind } } }';
const INTROSPECTION = `{ __schema { queryType { name } mutationType { name } directives { name locations args { name type { ${TYPE_REF} } } }
  types { name kind description fields { name description args { name defaultValue type { ${TYPE_REF} } } type { ${TYPE_REF} } }
    inputFields { name defaultValue type { ${TYPE_REF} } } enumValues { name } } } }`;

interface Ids {
  exp: string;
  parent: string;
  child: string;
  bare: string;
  gone: string;
}

function cases(ids: Ids): [string, unknown][] {
  const run = (runId: string) => ({ query: OPS['GetRun'], variables: { data: { runId } } });
  const search = (data: Record<string, unknown>) => ({ query: OPS['SearchRuns'], variables: { data } });
  const bulk = (data: Record<string, unknown>) => ({ query: OPS['GetMetricHistoryBulkInterval'], variables: { data: { startStep: null, endStep: null, maxResults: 320, ...data } } });
  return [
    ['GetExperiment', { query: OPS['MlflowGetExperimentQuery'], variables: { input: { experimentId: ids.exp } }, operationName: 'MlflowGetExperimentQuery' }],
    ['GetExperiment Default', { query: OPS['MlflowGetExperimentQuery'], variables: { input: { experimentId: '0' } } }],
    ['GetExperiment unknown', { query: OPS['MlflowGetExperimentQuery'], variables: { input: { experimentId: '424242' } } }],
    ['GetRun child', run(ids.child)],
    ['GetRun parent', run(ids.parent)],
    ['GetRun bare', run(ids.bare)],
    ['GetRun deleted', run(ids.gone)],
    ['GetRun by runUuid', { query: OPS['GetRun'], variables: { data: { runUuid: ids.child } } }],
    ['GetRun unknown', run('0123456789abcdef0123456789abcdef')],
    ['SearchRuns as the run page sends it', search({ filter: `attributes.run_id = '${ids.child}'`, experimentIds: [ids.exp] })],
    ['SearchRuns ordered', search({ experimentIds: [ids.exp], orderBy: ['attributes.start_time DESC'] })],
    ['SearchRuns filtered, one per page', search({ experimentIds: [ids.exp], filter: "params.lr = '0.01'", maxResults: 1, orderBy: ['metrics.loss ASC'] })],
    ['GetMetricHistoryBulkInterval two runs', bulk({ runIds: [ids.parent, ids.child], metricKey: 'loss' })],
    ['GetMetricHistoryBulkInterval > int32 step', bulk({ runIds: [ids.child], metricKey: 'big' })],
    ['GetMetricHistoryBulkInterval unknown key', bulk({ runIds: [ids.child], metricKey: 'nothing' })],
    ['ListArtifacts', { query: '{ mlflowListArtifacts(input: {runId: "' + ids.child + '", path: "docs"}) { rootUri files { path isDir fileSize } nextPageToken apiError { code } } }' }],
    ['SearchModelVersions', { query: `{ mlflowSearchModelVersions(input: {filter: "name='gqlmodel'"}) { modelVersions { name version creationTimestamp lastUpdatedTimestamp userId currentStage description source runId status statusMessage tags { key value } runLink aliases modelId modelParams { name } modelMetrics { key } deploymentJobState { jobId runId currentTaskName } } nextPageToken } }` }],
    ['SearchDatasets mutation', { query: `mutation { mlflowSearchDatasets(input: {experimentIds: ["${ids.exp}"]}) { datasetSummaries { experimentId name digest context } apiError { code } } }` }],
    ['SearchRuns mutation with every run field', { query: `mutation M($e: [String]) { mlflowSearchRuns(input: {experimentIds: $e, maxResults: 2}) { nextPageToken runs { info { runId runUuid runName experimentId userId status startTime endTime artifactUri lifecycleStage } data { metrics { key value timestamp step datasetName datasetDigest modelId runId } } outputs { modelOutputs { modelId step } } inputs { modelInputs { modelId } } experiment { workspace creationTime } } } }`, variables: { e: [ids.exp] } }],
    ['test echo', { query: '{ test(inputString: "hi") { output } }' }],
    ['two operations, one named', { query: 'query A { test(inputString: "a") { output } } query B { test(inputString: "b") { output } }', operationName: 'B' }],
    ['LongString variable as a string', { query: 'query Q($n: LongString) { mlflowSearchModelVersions(input: {maxResults: $n}) { modelVersions { version } } }', variables: { n: '5' } }],
    ['root field limit', { query: `{ ${Array.from({ length: 11 }, (_, i) => `a${i}: test(inputString: "x") { output }`).join(' ')} }` }],
    ['alias limit over fragments', { query: `{ test(inputString: "x") { ... on Test { ${Array.from({ length: 6 }, (_, i) => `a${i}: output`).join(' ')} } ...F } } fragment F on Test { ${Array.from({ length: 5 }, (_, i) => `b${i}: output`).join(' ')} }` }],
    ['depth limit', { query: '{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } }' }],
    ['selection limit', { query: `{ test(inputString: "x") { ${Array.from({ length: 1001 }, () => 'output').join(' ')} } }` }],
  ];
}

/**
 * The one normalisation: the order of unordered key/value lists (tags, params, a run's latest
 * metrics), sorted by key. MLflow's SqlAlchemyStore reads them without an ORDER BY (SQLite hands
 * them back in insertion order); our SqlStore orders them by key. Metric histories keep their order.
 */
function byKey(value: unknown, key = '', parent = ''): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => byKey(v));
    const unordered = key === 'tags' || key === 'params' || (key === 'metrics' && parent === 'data');
    return unordered ? items.sort((a: any, b: any) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)) : items;
  }
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, byKey(v, k, key)]));
  return value;
}

/**
 * A store difference, not a GraphQL one: MLflow's SqlAlchemyStore.search_runs leaves the runs'
 * model inputs out (get_run has them), our SqlStore's searchRuns returns them; the REST API shows
 * the same. Checked on its own below, removed here from search answers.
 */
function withoutSearchModelInputs(json: any): void {
  const page = json?.data?.mlflowSearchRuns;
  for (const run of page?.runs ?? []) if (run.inputs) delete run.inputs.modelInputs;
}

async function post(url: string, body: unknown): Promise<{ status: number; type: string | null; json: unknown }> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, type: res.headers.get('content-type'), json: await res.json() };
}

if (!enabled) {
  console.warn('[graphql-interop] skipped: the MLflow 3.18.0 interop tests run only in the integration profile (MLSTORE_PROFILE=integration) or with MLSTORE_INTEROP=1');
  describe.skip(title, () => it('needs MLSTORE_PROFILE=integration or MLSTORE_INTEROP=1', () => {}));
} else {
  const problem = mlflowVenvProblem();
  if (problem && requireServices) {
    describe(title, () => it('has the services it needs (MLSTORE_REQUIRE_SERVICES=1)', () => {
      throw new Error(`[graphql-interop] ${problem}`);
    }));
  } else if (problem) {
    console.warn(`[graphql-interop] skipped: ${problem}`);
    describe.skip(`${title} (${problem})`, () => it('needs the MLflow venv', () => {}));
  } else {
    describe(title, () => {
      const dir = mkdtempSync(join(tmpdir(), 'mlstore-graphql-interop-'));
      let mlflow: MlflowServer | undefined;
      let mlstore: MlstoreServer | undefined;
      let ids: Ids;

      beforeAll(async () => {
        mkdirSync(join(dir, 'mlflow'));
        mkdirSync(join(dir, 'mlstore'));
        const out = await runPythonCode(POPULATE, [`sqlite:///${join(dir, 'mlflow', 'mlflow.db')}`, join(dir, 'art')], { cwd: dir, timeoutMs: 180_000 });
        ids = lastJsonLine<Ids>(out);
        copyFileSync(join(dir, 'mlflow', 'mlflow.db'), join(dir, 'mlstore', 'mlflow.db'));
        [mlflow, mlstore] = await Promise.all([
          startMlflowServer(`sqlite:///${join(dir, 'mlflow', 'mlflow.db')}`, { cwd: join(dir, 'mlflow'), artifactsDestination: join(dir, 'mlflow', 'mlartifacts') }),
          startMlstoreServer(`sqlite:///${join(dir, 'mlstore', 'mlflow.db')}`, { cwd: join(dir, 'mlstore'), artifactsDestination: join(dir, 'mlstore', 'mlartifacts') }),
        ]);
      }, 400_000);

      afterAll(async () => {
        await Promise.all([mlflow?.stop(), mlstore?.stop()]);
        rmSync(dir, { recursive: true, force: true });
      }, 60_000);

      it('the four operations of the fixture are the 3.18.0 bundle\'s text, verbatim', () => {
        const bundle = readdirSync(BUNDLE_JS).filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(BUNDLE_JS, f), 'utf8')).join('\n');
        for (const [name, text] of Object.entries(OPS)) expect({ name, found: bundle.includes(text) }).toEqual({ name, found: true });
      });

      it('the schema is MLflow\'s: same types, fields, arguments, defaults, enums and directives', async () => {
        // Introspection's own types and graphql-js's extra built-in directives (@oneOf) are the
        // GraphQL libraries', not MLflow's schema.
        const sorted = (r: any) => ({
          ...r.json.data.__schema,
          directives: r.json.data.__schema.directives.filter((d: any) => d.name === 'component'),
          types: r.json.data.__schema.types.filter((t: any) => !t.name.startsWith('__')).sort((a: any, b: any) => a.name.localeCompare(b.name)),
        });
        const [theirs, ours] = await Promise.all([post(mlflow!.url, { query: INTROSPECTION }), post(mlstore!.url, { query: INTROSPECTION })]);
        expect((theirs.json as any).errors).toBeNull();
        expect(sorted(ours)).toEqual(sorted(theirs));
      });

      it('the data set is what the cases need (not two empty answers)', async () => {
        const r = (await post(mlflow!.url, { query: OPS['GetRun'], variables: { data: { runId: ids.child } } })).json as any;
        const run = r.data.mlflowGetRun.run;
        expect(run.data.metrics.map((m: any) => m.key).sort()).toEqual(['acc', 'big', 'lm_metric', 'loss', 'nanmetric']);
        expect(run.inputs.datasetInputs).toHaveLength(1);
        expect(run.inputs.modelInputs).toHaveLength(1);
        expect(run.outputs.modelOutputs).toHaveLength(1);
        expect(run.modelVersions).toHaveLength(1);
      });

      it('search results: MLflow leaves model inputs out, mlstore keeps what GetRun shows (store difference)', async () => {
        const body = { query: OPS['SearchRuns'], variables: { data: { filter: `attributes.run_id = '${ids.child}'`, experimentIds: [ids.exp] } } };
        const [theirs, ours] = [(await post(mlflow!.url, body)).json as any, (await post(mlstore!.url, body)).json as any];
        const run = ((await post(mlflow!.url, { query: OPS['GetRun'], variables: { data: { runId: ids.child } } })).json as any).data.mlflowGetRun.run;
        expect(theirs.data.mlflowSearchRuns.runs[0].inputs.modelInputs).toEqual([]);
        expect(ours.data.mlflowSearchRuns.runs[0].inputs.modelInputs).toEqual(run.inputs.modelInputs);
      });

      it('runViewType: MLflow fails to convert the enum (an MLflow bug; the UI never sends it), mlstore honours it', async () => {
        const body = { query: '{ mlflowSearchRuns(input: {experimentIds: ["' + ids.exp + '"], runViewType: DELETED_ONLY}) { runs { info { runUuid } } } }' };
        const [theirs, ours] = [(await post(mlflow!.url, body)).json as any, (await post(mlstore!.url, body)).json as any];
        expect(theirs).toEqual({ data: { mlflowSearchRuns: null }, errors: [expect.stringMatching(/^Failed to parse run_view_type field/)] });
        expect(ours).toEqual({ data: { mlflowSearchRuns: { runs: [{ info: { runUuid: ids.gone } }] } }, errors: null });
      });

      it('unset deployment-job states: MLflow errors (its enums are off by one from the proto\'s), mlstore answers null', async () => {
        const body = { query: `{ mlflowSearchModelVersions(input: {filter: "name='gqlmodel'"}) { modelVersions { deploymentJobState { jobState runState } } } }` };
        const [theirs, ours] = [(await post(mlflow!.url, body)).json as any, (await post(mlstore!.url, body)).json as any];
        const nulls = { mlflowSearchModelVersions: { modelVersions: [{ deploymentJobState: { jobState: null, runState: null } }] } };
        expect(theirs).toEqual({ data: nulls, errors: [expect.stringMatching(/^Enum 'MlflowDeploymentJobConnectionState' cannot represent value: 0/), expect.any(String)] });
        expect(ours).toEqual({ data: nulls, errors: null });
      });

      it('a zoomed chart: MLflow ignores the input\'s step range and maxResults (it reads the URL\'s query string), mlstore honours them', async () => {
        const body = { query: OPS['GetMetricHistoryBulkInterval'], variables: { data: { runIds: [ids.child], metricKey: 'loss', startStep: 10, endStep: 19, maxResults: 320 } } };
        const steps = (r: any) => r.json.data.mlflowGetMetricHistoryBulkInterval.metrics.map((m: any) => Number(m.step));
        expect(steps(await post(mlflow!.url, body))).toHaveLength(100);
        expect(steps(await post(mlstore!.url, body))).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
      });

      it('every operation gets the same status and JSON from both servers', async () => {
        for (const [name, body] of cases(ids)) {
          const [theirs, ours] = [await post(mlflow!.url, body), await post(mlstore!.url, body)];
          const [a, b] = [byKey(ours.json), byKey(theirs.json)];
          if (name.startsWith('SearchRuns')) for (const json of [a, b]) withoutSearchModelInputs(json);
          expect.soft({ name, ...ours, json: a }).toEqual({ name, ...theirs, json: b });
        }
      }, 120_000);
    });
  }
}

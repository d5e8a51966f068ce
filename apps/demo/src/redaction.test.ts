import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { main } from './main.js';
import { defaultRegistries } from './registries.js';

// Security: a database password printed in the "listening" line. Every URI in every log line and
// error is redacted; checked here for each scheme the default registries know, so a backend
// registered later is covered without a new test.
const SECRET = 'pa55-Secr3t';
const dir = mkdtempSync(join(tmpdir(), 'mlstore-redaction-'));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function capture() {
  const text = { out: '' };
  const sink = new PassThrough();
  sink.on('data', (c: Buffer) => (text.out += c.toString()));
  return { sink, text };
}

/** A URI of `scheme` with a password, aimed at a closed local port (nothing answers). */
function uriWithPassword(scheme: string): string {
  return `${scheme}://user:${SECRET}@127.0.0.1:9/some/path`;
}

describe('credentials never reach logs or errors', () => {
  it('the listening line and the startup log redact the store and destination URIs', async () => {
    const port = await freePort();
    const { sink, text } = capture();
    const controller = new AbortController();
    const done = main(
      ['server', '--backend-store-uri', `sqlite:///${join(dir, 'a.db')}`, '--artifacts-destination', `http://user:${SECRET}@127.0.0.1:9/api/2.0/mlflow-artifacts/artifacts`, '--port', String(port)],
      { stdout: sink, stderr: sink, env: {}, cwd: dir, logger: pino({ base: null }, sink), signal: controller.signal },
    );
    for (let i = 0; i < 100 && !text.out.includes('listening'); i++) await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    expect(await done).toBe(0);
    expect(text.out).toContain('listening');
    expect(text.out).toContain('user:***@127.0.0.1:9');
    expect(text.out).not.toContain(SECRET);
  });

  it('a tracking store URI with a password that fails to open leaves no password in the output', async () => {
    for (const scheme of ['postgresql', 'mysql']) {
      const { sink, text } = capture();
      const code = await main(['server', '--backend-store-uri', uriWithPassword(scheme).replace('/some/path', '/db'), '--port', '0'], {
        stdout: sink,
        stderr: sink,
        env: {},
        cwd: dir,
        logger: pino({ base: null }, sink),
      });
      expect(code).toBe(1);
      expect(text.out).not.toContain(SECRET);
    }
  });

  it('every registered tracking and artifact scheme: resolve and first use fail without the password', async () => {
    // One attempt each: the HTTP client would otherwise back off through MLflow's 7 retries.
    process.env['MLFLOW_HTTP_REQUEST_MAX_RETRIES'] = '0';
    const { tracking, artifacts } = defaultRegistries();
    const messages: string[] = [];
    for (const scheme of tracking.schemes().filter((s) => s !== '' && s !== 'file')) {
      try {
        const store = await tracking.resolve(uriWithPassword(scheme), { defaultArtifactRoot: join(dir, 'art') });
        await store.searchExperiments({ maxResults: 1 }).catch((e: unknown) => messages.push(String((e as Error).message)));
        await store.close();
      } catch (e) {
        messages.push(String((e as Error).message));
      }
    }
    for (const scheme of artifacts.schemes().filter((s) => s !== '' && s !== 'file')) {
      try {
        const repo = await artifacts.resolve(uriWithPassword(scheme));
        await repo.listArtifacts().catch((e: unknown) => messages.push(String((e as Error).message)));
      } catch (e) {
        messages.push(String((e as Error).message));
      }
    }
    delete process.env['MLFLOW_HTTP_REQUEST_MAX_RETRIES'];
    expect(messages.length).toBeGreaterThan(4);
    for (const m of messages) expect(m).not.toContain(SECRET);
  }, 60_000);
});

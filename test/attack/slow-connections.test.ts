/**
 * Slow and idle connections against every target's server (short limits so the test is quick; the
 * defaults are checked in packages/server): half-sent headers are answered 408 and closed, stalled
 * bodies are closed, connections past the cap are refused at once and the server serves again once
 * they go, and a slow upload that keeps progressing still lands whole in the destination.
 */
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { forEachTarget, reportTotals, startAttackServer, type AttackServer } from './harness.js';

const CAP = 40;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function open(port: number, first?: string): { socket: Socket; closed: Promise<{ ms: number; data: string }> } {
  const t0 = Date.now();
  const socket = connect(port, '127.0.0.1');
  let data = '';
  socket.on('data', (d) => (data += d.toString()));
  socket.on('error', () => {});
  if (first !== undefined) socket.once('connect', () => socket.write(first));
  return { socket, closed: new Promise((resolve) => socket.once('close', () => resolve({ ms: Date.now() - t0, data }))) };
}

await forEachTarget('slow connections', undefined, (target, p) => {
  let server: AttackServer;
  let port: number;
  beforeAll(async () => {
    server = await startAttackServer(p, { headersTimeoutMs: 400, idleTimeoutMs: 1_500, maxConnections: CAP });
    port = Number(new URL(server.url).port);
    // Open the backend's connection first (an SSH or FTP login can take longer than the idle
    // timeout on a loaded machine, and the idle timer runs while the server waits on the backend).
    await (await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts?path=`)).arrayBuffer();
  });
  afterAll(() => server?.close());

  it('slowloris, stalled bodies and a full connection table are all released; a progressing upload succeeds', async () => {
    const totals = { attempts: 0, refused: 0, accepted: 0, serverErrors: 0, crashes: 0, leaks: 0 };
    // 1. Twice the cap in half-sent requests: the first CAP wait for the header timeout, the rest are refused at once.
    const slow = Array.from({ length: CAP * 2 }, (_, i) => open(port, i % 2 ? 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n' : 'PUT /api/2.0/mlflow-artifacts/artifacts/s.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\npartial'));
    const closed = await Promise.all(slow.map((s) => s.closed));
    totals.attempts += closed.length;
    totals.refused += closed.length;
    expect(Math.max(...closed.map((c) => c.ms)), 'every slow connection was closed by the server').toBeLessThan(5_000);

    // 2. Once they are gone the server answers again.
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);

    // 3. A stalled upload left nothing at its path.
    expect((await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/s.bin`)).status).toBe(404);

    // 4. A slow upload that keeps progressing (1 MiB in 16 pieces, 150 ms apart: past the header
    //    timeout and longer than the idle timeout in all) lands whole.
    const piece = Buffer.alloc(64 * 1024, 7);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'PUT', path: '/api/2.0/mlflow-artifacts/artifacts/slow/upload.bin' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      void (async () => {
        for (let i = 0; i < 16; i++) {
          req.write(piece);
          await sleep(150);
        }
        req.end();
      })();
    });
    totals.attempts++;
    expect(status).toBe(200);
    totals.accepted++;
    const back = Buffer.from(await (await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/slow/upload.bin`)).arrayBuffer());
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(sha(back)).toBe(sha(Buffer.concat(Array.from({ length: 16 }, () => piece))));
    reportTotals({ suite: 'slow connections', target: target.name, ...totals, canariesTouched: 0 });
  }, 60_000);
});

import { connect, createServer } from 'node:net';
import { MlflowError } from '@mlstore/core';
import { describe, expect, it } from 'vitest';
import { readAll } from '../artifacts/helpers.js';
import { bigStream } from './big-stream.js';
import { freePort, greetsWith } from './ports.js';
import { dirBytes, drain, readAtLeast } from './streams.js';
import { TcpCutProxy } from './tcp-cut-proxy.js';
import { caughtMlflowError, rejection, until } from './wait.js';

const KiB = 1024;

describe('fault helpers', () => {
  it('bigStream yields exactly `size` bytes in chunks of `chunkSize`, counted by sent(), and fires `at` once', async () => {
    let fired = 0;
    const gen = bigStream(10 * KiB + 7, { chunkSize: 4 * KiB, at: { bytes: 8 * KiB, run: () => fired++ } });
    const sizes: number[] = [];
    for await (const c of gen.stream) sizes.push((c as Buffer).length);
    expect(sizes).toEqual([4 * KiB, 4 * KiB, 2 * KiB + 7]);
    expect(gen.sent()).toBe(10 * KiB + 7);
    expect(fired).toBe(1);
  });

  it('bigStream(Infinity) never ends by itself', async () => {
    const gen = bigStream(Infinity, { chunkSize: KiB });
    expect(await readAtLeast(gen.stream, 64 * KiB, 5000)).toBeGreaterThanOrEqual(64 * KiB);
    gen.stream.destroy();
  });

  it('until polls until the condition holds, and times out naming what it waited for', async () => {
    let n = 0;
    await until(() => ++n >= 3, 1000, 'three polls', 1);
    expect(n).toBe(3);
    await expect(until(() => false, 30, 'nothing')).rejects.toThrow('timed out waiting for nothing');
  });

  it('rejection gives the error and when it came; a success becomes an Error saying so', async () => {
    const boom = new Error('boom');
    const t0 = performance.now();
    const r = await rejection(Promise.reject(boom));
    expect(r.error).toBe(boom);
    expect(r.at).toBeGreaterThanOrEqual(t0);
    expect(((await rejection(Promise.resolve(1))).error as Error).message).toBe('the call succeeded');
  });

  it('caughtMlflowError returns the MlflowError and refuses a success or another error', async () => {
    const e = new MlflowError('gone', 'TEMPORARILY_UNAVAILABLE');
    expect(await caughtMlflowError(Promise.reject(e))).toBe(e);
    await expect(caughtMlflowError(Promise.resolve())).rejects.toThrow('expected a rejection');
    await expect(caughtMlflowError(Promise.reject(new TypeError('x')))).rejects.toThrow(/not an MlflowError/);
  });

  it('dirBytes sums the files of a folder (0 when missing); drain reads to the end', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'mlstore-kit-faults-'));
    expect(await dirBytes(join(dir, 'missing'))).toBe(0);
    await writeFile(join(dir, 'a'), 'abc');
    await writeFile(join(dir, 'b'), 'de');
    expect(await dirBytes(dir)).toBe(5);
    const gen = bigStream(3 * KiB, { chunkSize: KiB });
    await drain(gen.stream);
    expect(gen.sent()).toBe(3 * KiB);
  });

  it('freePort gives a port nobody listens on', async () => {
    const port = await freePort();
    const refused = await new Promise<string>((res) => connect({ host: '127.0.0.1', port }).once('error', (e: NodeJS.ErrnoException) => res(e.code ?? '')));
    expect(refused).toBe('ECONNREFUSED');
  });

  it('greetsWith checks what a server says first; a closed port is false', async () => {
    const banner = createServer((s) => s.on('error', () => undefined).end('SSH-2.0-test\r\n'));
    await new Promise<void>((r) => banner.listen(0, '127.0.0.1', r));
    const port = (banner.address() as { port: number }).port;
    try {
      expect(await greetsWith('127.0.0.1', port, 'SSH-')).toBe(true);
      expect(await greetsWith('127.0.0.1', port, '220')).toBe(false);
      expect(await greetsWith('127.0.0.1', await freePort(), 'SSH-')).toBe(false);
    } finally {
      await new Promise<void>((r) => banner.close(() => r()));
    }
  });

  it('TcpCutProxy forwards and counts bytes, cut() resets connections, stop() stops listening', async () => {
    const echo = createServer((s) => s.on('error', () => undefined).pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const proxy = new TcpCutProxy('127.0.0.1', (echo.address() as { port: number }).port);
    await proxy.start();
    try {
      const sock = connect({ host: '127.0.0.1', port: proxy.port });
      const closed = new Promise<unknown>((r) => sock.once('close', r));
      sock.on('error', () => undefined);
      sock.write('hello');
      const echoed = await new Promise<string>((r) => sock.once('data', (d) => r(d.toString())));
      expect(echoed).toBe('hello');
      expect(proxy.upBytes).toBe(5);
      await until(() => proxy.downBytes === 5, 1000, 'the echo counted');
      proxy.cut();
      await closed;
      await proxy.stop();
      const refused = await new Promise<string>((res) => connect({ host: '127.0.0.1', port: proxy.port }).once('error', (e: NodeJS.ErrnoException) => res(e.code ?? '')));
      expect(refused).toBe('ECONNREFUSED');
    } finally {
      await proxy.stop();
      await new Promise<void>((r) => echo.close(() => r()));
    }
  });

  it('readAll (re-exported for fault tests) joins a stream', async () => {
    expect((await readAll(bigStream(2 * KiB, { chunkSize: KiB }).stream)).length).toBe(2 * KiB);
  });
});

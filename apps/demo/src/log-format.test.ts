import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatLogLine } from './log-format.js';
import { main } from './main.js';

const TIME = new Date(2026, 0, 2, 3, 4, 5).getTime();

describe('formatLogLine (the log on a terminal)', () => {
  it("prints a request line as uvicorn's access log, with MLflow's date format", () => {
    const line = JSON.stringify({ level: 30, time: TIME, method: 'GET', path: '/health', status: 200, ms: 0.4, client: '127.0.0.1:5555', msg: 'request completed' });
    expect(formatLogLine(line)).toBe('2026/01/02 03:04:05 INFO:     127.0.0.1:5555 - "GET /health" 200 0.4 ms\n');
  });

  it('prints other lines as message and key=value fields, an error with its stack, and colours the level on request', () => {
    const line = JSON.stringify({ level: 50, time: TIME, url: 'http://127.0.0.1:5000', note: 'two words', n: 3, err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x' }, msg: 'failed' });
    expect(formatLogLine(line)).toBe('2026/01/02 03:04:05 ERROR:    failed url=http://127.0.0.1:5000 note="two words" n=3\n    Error: boom\n        at x\n');
    expect(formatLogLine(JSON.stringify({ level: 40, msg: 'careful' }), true)).toBe('\x1b[33mWARNING:  \x1b[0mcareful\n');
    expect(formatLogLine('not json')).toBe('not json\n');
  });

  it('is what main logs on a terminal when given no logger', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlstore-log-format-'));
    const err = new PassThrough();
    let text = '';
    err.on('data', (c: Buffer) => (text += c.toString()));
    const stopped = new AbortController();
    stopped.abort();
    const argv = ['server', '--backend-store-uri', `sqlite:///${join(dir, 'tty.db')}`, '--artifacts-destination', join(dir, 'art'), '--port', '0'];
    expect(await main(argv, { stdout: new PassThrough(), stderr: err, isTTY: true, env: { NO_COLOR: '1' }, cwd: dir, signal: stopped.signal })).toBe(0);
    expect(text).toMatch(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d INFO: {5}mlstore server listening at http:\/\/127\.0\.0\.1:\d+ url=http/m);
    expect(text).toMatch(/ INFO: {5}server stopped\n$/);
    expect(text).not.toContain('{"level"');
  });
});

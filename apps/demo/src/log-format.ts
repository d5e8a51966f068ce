/** uvicorn's level names for pino's numeric levels. */
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARNING', 50: 'ERROR', 60: 'CRITICAL' };
/** uvicorn's colours: cyan debug, green info, yellow warning, red error, bright red critical. */
const COLORS: Record<number, string> = { 10: '34', 20: '36', 30: '32', 40: '33', 50: '31', 60: '91' };
const OMITTED = new Set(['level', 'time', 'msg', 'err']);

const pad = (n: number) => String(n).padStart(2, '0');

/** MLflow's uvicorn date format, `%Y/%m/%d %H:%M:%S`, local time. */
function timestamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function fieldValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

/**
 * One pino JSON line as a terminal line in the shape of `mlflow server`'s uvicorn log:
 * `2026/01/02 03:04:05 INFO:     message key=value …`; a request line reads as uvicorn's access log
 * (`127.0.0.1:53122 - "GET /health" 200 0.4 ms`); an error's stack follows on its own lines.
 * A line that is not JSON is returned as it is.
 */
export function formatLogLine(line: string, color = false): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const level = typeof entry['level'] === 'number' ? entry['level'] : 30;
  const name = `${LEVELS[level] ?? `LEVEL${level}`}:`.padEnd(10);
  const prefix = color && COLORS[level] ? `\x1b[${COLORS[level]}m${name}\x1b[0m` : name;
  const time = typeof entry['time'] === 'number' ? `${timestamp(entry['time'])} ` : '';
  let text: string;
  const { method, path, status, ms, client } = entry;
  if (typeof method === 'string' && typeof path === 'string' && typeof status === 'number') {
    text = `${typeof client === 'string' ? client : '-'} - "${method} ${path}" ${status} ${typeof ms === 'number' ? `${ms} ms` : ''}`.trimEnd();
    if (entry['aborted']) text += ' (aborted)';
  } else {
    const fields = Object.entries(entry)
      .filter(([k, v]) => !OMITTED.has(k) && v !== undefined)
      .map(([k, v]) => `${k}=${fieldValue(v)}`);
    text = [typeof entry['msg'] === 'string' ? entry['msg'] : '', ...fields].filter(Boolean).join(' ');
  }
  const err = entry['err'] as { stack?: unknown; message?: unknown } | undefined;
  const stack = err && typeof err === 'object' ? (typeof err.stack === 'string' ? err.stack : typeof err.message === 'string' ? err.message : '') : '';
  return `${time}${prefix}${text}\n${stack ? `${stack.replace(/^/gm, '    ')}\n` : ''}`;
}

/**
 * A pino destination that writes {@link formatLogLine}'s lines to `stream` (a terminal), with
 * coloured levels when `color`.
 */
export function prettyLogDestination(stream: NodeJS.WritableStream, color: boolean): { write(line: string): boolean } {
  return { write: (line: string) => stream.write(formatLogLine(line, color)) };
}

import { pyFloatRepr } from '../rest/wire-json.js';

/**
 * Python's `json.dumps(value, ensure_ascii=False)` (`", "` / `": "` separators), the way MLflow
 * writes `spans.content`: non-ASCII text stays unescaped (so `trace.text` LIKE filters match what
 * users type), bigints and integral numbers print as integers, other numbers as Python floats.
 */
export function pythonJsonDumpsUnicode(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (Number.isInteger(value) && Math.abs(value) < 1e21) return String(value);
    return pyFloatRepr(value);
  }
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumpsUnicode).join(', ')}]`;
  if (typeof value === 'object') {
    const parts = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}: ${pythonJsonDumpsUnicode(v)}`);
    return `{${parts.join(', ')}}`;
  }
  return JSON.stringify(String(value));
}

const WS = /[ \t\n\r]*/y;

/**
 * `JSON.parse` that keeps integers beyond 2^53 exact, as decimal strings (span times are
 * nanoseconds since the epoch, ~1.7e18), and accepts Python's `NaN` / `Infinity` tokens.
 * @throws SyntaxError on malformed text
 */
export function parseJsonExact(text: string): unknown {
  let i = 0;
  const fail = (): never => {
    throw new SyntaxError(`Malformed JSON at position ${i}`);
  };
  const ws = () => {
    WS.lastIndex = i;
    WS.exec(text);
    i = WS.lastIndex;
  };
  const value = (): unknown => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const out: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') return i++, out;
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        const key = str();
        ws();
        if (text[i++] !== ':') fail();
        out[key] = value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return i++, out;
        else fail();
      }
    }
    if (c === '[') {
      i++;
      const out: unknown[] = [];
      ws();
      if (text[i] === ']') return i++, out;
      for (;;) {
        out.push(value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return i++, out;
        else fail();
      }
    }
    if (c === '"') return str();
    for (const [token, v] of [['true', true], ['false', false], ['null', null], ['NaN', Number.NaN], ['Infinity', Infinity], ['-Infinity', -Infinity]] as const) {
      if (text.startsWith(token, i)) return (i += token.length), v;
    }
    const m = /-?\d+(\.\d+)?([eE][-+]?\d+)?/y;
    m.lastIndex = i;
    const hit = m.exec(text);
    if (!hit) return fail();
    i = m.lastIndex;
    const n = Number(hit[0]);
    return hit[1] === undefined && hit[2] === undefined && !Number.isSafeInteger(n) ? BigInt(hit[0]).toString() : n;
  };
  const str = (): string => {
    const re = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
    re.lastIndex = i;
    const hit = re.exec(text);
    if (!hit) return fail();
    i = re.lastIndex;
    return JSON.parse(hit[0]) as string;
  };
  const out = value();
  ws();
  if (i !== text.length) fail();
  return out;
}

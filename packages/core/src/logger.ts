import { redactUrisIn } from './uri.js';

/** A pino-compatible logger. Packages log through an injected Logger and are silent by default. */
export interface Logger {
  trace(obj: unknown, msg?: string): void;
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

const noop = (): void => {};

/** The default logger: discards everything. */
export const silentLogger: Logger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => silentLogger,
};

const REDACTING = Symbol.for('mlstore.redactingLogger');

/** A copy of a log argument with {@link redactUrisIn} applied to every string in it (errors included). */
function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactUrisIn(value);
  if (value === null || typeof value !== 'object' || depth > 4) return value;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  if (value instanceof Error) {
    const copy = Object.create(Object.getPrototypeOf(value) as object) as Record<string, unknown>;
    for (const key of Object.getOwnPropertyNames(value)) copy[key] = redactValue((value as unknown as Record<string, unknown>)[key], depth + 1);
    return copy;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactValue(v, depth + 1);
  return out;
}

/**
 * Wraps a logger so that no line carries a credential: passwords and tokens in any URI of the
 * message, of the logged object's strings or of a logged error's message and stack are replaced
 * by `***`. `createMlflowHandler` and the demo CLI log through it.
 */
export function redactingLogger(logger: Logger): Logger {
  if (logger === silentLogger || (logger as { [REDACTING]?: true })[REDACTING]) return logger;
  const wrap = (level: 'trace' | 'debug' | 'info' | 'warn' | 'error') => (obj: unknown, msg?: string) =>
    msg === undefined ? logger[level](redactValue(obj, 0)) : logger[level](redactValue(obj, 0), redactUrisIn(msg));
  return {
    [REDACTING]: true,
    trace: wrap('trace'),
    debug: wrap('debug'),
    info: wrap('info'),
    warn: wrap('warn'),
    error: wrap('error'),
    child: (bindings) => redactingLogger(logger.child(redactValue(bindings, 0) as Record<string, unknown>)),
  } as Logger;
}

/**
 * What the search attacks check on every answer of the server: 5xx and dropped connections, the
 * shape of refusals (MLflow's `{error_code, message}`, 400 only as INVALID_PARAMETER_VALUE), and
 * database or stack text in a message, which would tell an attacker about the SQL behind it.
 */
import { call, reportTotals, type Canaries } from './harness.js';

/** Texts only a database driver, an ORM or a stack trace writes. */
const LEAK_MARKERS: RegExp[] = [
  /syntax error/i,
  /SQLITE/i,
  /\bER_[A-Z_]{3,}/,
  /relation "/,
  /no such (table|column|function)/i,
  /unknown column/i,
  /error in your SQL syntax/i,
  /invalid input syntax/i,
  /out of range for type/i,
  /invalid byte sequence/i,
  /illegal mix of collations/i,
  /incorrect string value/i,
  /unrecognized token/i,
  /duplicate key value/i,
  /violates .* constraint/i,
  /UNIQUE constraint failed/i,
  /\bSELECT\b[\s\S]*\bFROM\b/i,
  /\b(latest_metrics|experiment_tags|logged_model_\w+)\b/,
  /node_modules|better-sqlite3|kysely|mysql2|\bpg-protocol\b/i,
  /\n\s+at .+[:(]\d+/,
  /\.(ts|js):\d+:\d+/,
];

/** The markers a message holds that the request did not (a filter may quote SQL back, legitimately). */
export function leakedMarkers(message: string, request: string): string[] {
  return LEAK_MARKERS.filter((m) => m.test(message) && !m.test(request)).map(String);
}

/** Tallies and examples of one suite on one target. */
export interface AnswerTally {
  attempts: number;
  refused: number;
  accepted: number;
  serverErrors: number;
  crashes: number;
  leaks: number;
  /** Refusals that are not MLflow's error shape, or a 400 with another code. */
  badRefusals: number;
  /** A few examples of each problem, for the failure message. */
  examples: string[];
}

export function newTally(): AnswerTally {
  return { attempts: 0, refused: 0, accepted: 0, serverErrors: 0, crashes: 0, leaks: 0, badRefusals: 0, examples: [] };
}

/** Adds the counts of `from` to `into` (its examples stay where they are). */
export function mergeTally(into: AnswerTally, from: AnswerTally): void {
  into.attempts += from.attempts;
  into.refused += from.refused;
  into.accepted += from.accepted;
  into.serverErrors += from.serverErrors;
  into.crashes += from.crashes;
  into.leaks += from.leaks;
  into.badRefusals += from.badRefusals;
}

/**
 * The attack summary row of an injection attack: `lost` writes (accepted, then read back altered)
 * are counted as lost, not accepted.
 */
export async function reportInjectionTotals(suite: string, target: string, t: AnswerTally, lost: number, canaries: Canaries | undefined): Promise<void> {
  reportTotals({
    suite,
    target,
    attempts: t.attempts,
    refused: t.refused,
    accepted: t.accepted - lost,
    serverErrors: t.serverErrors,
    crashes: t.crashes,
    canariesTouched: canaries ? (await canaries.touched()).length : 0,
    leaks: t.leaks,
    lost,
  });
}

function example(t: AnswerTally, what: string, request: string, text: string): void {
  if (t.examples.length < 12) t.examples.push(`${what}: ${request.slice(0, 300)} → ${text.slice(0, 300)}`);
}

/**
 * A parsed 2xx body, or undefined after counting what was wrong with the answer. `codes400` are the
 * error codes a 400 may carry: a search only refuses with INVALID_PARAMETER_VALUE; a write may also
 * answer MLflow's RESOURCE_ALREADY_EXISTS.
 */
export function judge(
  t: AnswerTally,
  request: string,
  answer: { status: number; text: string } | Error,
  secrets: readonly string[],
  codes400: readonly string[] = ['INVALID_PARAMETER_VALUE'],
): { status: number; body: unknown } | undefined {
  t.attempts++;
  if (answer instanceof Error) {
    t.crashes++;
    example(t, 'crash', request, String(answer));
    return undefined;
  }
  if (secrets.some((s) => answer.text.includes(s))) {
    t.leaks++;
    example(t, 'canary leaked', request, answer.text);
  }
  if (answer.status >= 500) {
    t.serverErrors++;
    example(t, `HTTP ${answer.status}`, request, answer.text);
    return undefined;
  }
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    body = undefined;
  }
  if (answer.status < 400) {
    t.accepted++;
    return { status: answer.status, body };
  }
  t.refused++;
  const err = body as { error_code?: unknown; message?: unknown } | undefined;
  if (typeof err?.error_code !== 'string' || typeof err.message !== 'string' || (answer.status === 400 && !codes400.includes(err.error_code))) {
    t.badRefusals++;
    example(t, `refusal not in MLflow's shape (HTTP ${answer.status})`, request, answer.text);
    return { status: answer.status, body };
  }
  const leaked = leakedMarkers(err.message, request);
  if (leaked.length > 0) {
    t.leaks++;
    example(t, `database text in message ${leaked.join(' ')}`, request, err.message);
  }
  return { status: answer.status, body };
}

/** POSTs JSON through the harness's `call` and returns the answer, or the transport error (a dropped connection is a crash). */
export async function post(url: string, path: string, body: unknown): Promise<{ status: number; text: string } | Error> {
  try {
    return await call(url, 'POST', path, body);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/** Runs `jobs` with at most `width` in flight. */
export async function pool(jobs: readonly (() => Promise<void>)[], width: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await (jobs[next++] as () => Promise<void>)();
  };
  await Promise.all(Array.from({ length: width }, worker));
}

/**
 * The whole tracking conformance kit through `@mlstore/store-rest`'s RestStore against the REAL
 * `mlflow server` 3.18.0 on a fresh SQLite database: one server for the file, one RestStore (with
 * its own HTTP client) per case group. The kit names everything uniquely, so groups share the
 * server safely.
 *
 * Gated like the other interop suites: runs only in the integration profile (MLSTORE_PROFILE=integration)
 * or with MLSTORE_INTEROP=1, and needs the MLflow venv (test/services/mlflow.sh); without it the suite
 * is skipped loudly, or fails under MLSTORE_REQUIRE_SERVICES=1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTrackingStoreRegistry, isMlflowError } from '@mlstore/core';
import { RestStore, registerRestTrackingStore } from '@mlstore/store-rest';
import { describeTrackingStore } from '@mlstore/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { mlflowVenvProblem, startMlflowServer, type MlflowServer } from './interop/mlflow-python.js';

const enabled = process.env.MLSTORE_PROFILE === 'integration' || process.env.MLSTORE_INTEROP === '1';
const requireServices = process.env.MLSTORE_REQUIRE_SERVICES === '1';
const SERVER_START_TIMEOUT_MS = 180_000;

/**
 * Where the real MLflow server behaves differently from what the kit asserts, by full case name.
 * Only genuine differences of MLflow's server (never of the RestStore) belong here.
 */
const TRUNCATION_IS_SERVER_SIDE =
  "MLFLOW_TRUNCATE_LONG_VALUES is read by the mlflow server process (its SqlAlchemyStore truncates with the server's default, true); " +
  'the kit sets it only in the test process, and neither MLflow\'s Python RestStore nor ours truncates or refuses client-side';
const BIG_INTEGER =
  "MLflow's SqlAlchemyStore binds a literal beyond int64 (or a 20-digit one) as a Python int, and SQLite refuses it: " +
  "the server answers 500 'Python int too large to convert to SQLite INTEGER'; mlstore rewrites the comparison exactly (PostgreSQL and MySQL compare such values in MLflow too)";
const INFINITE_LITERAL =
  "MLflow stores ±Infinity as ±max double on SQL stores but compares the literal 1e400 as float('inf'), so `= 1e400` misses a run logged " +
  'with Infinity on SQLite; mlstore compares both sides as the stored ±max double on every store';
const MODEL_TIMESTAMPS =
  "MLflow's logged-model search reads every numeric literal as float(); on SQLite a 20-digit bound then compares as a lossy REAL, " +
  'which mlstore (exact on every dialect) does not copy';
const NUL_OR_SURROGATE =
  'mlstore refuses a filter value holding NUL or an unpaired surrogate on every store (PostgreSQL cannot compare it); ' +
  "MLflow's SQLite store accepts it (and its PostgreSQL store answers a database error)";
const TRACE_TAG_WIRE =
  "MLflow's TraceInfo.to_proto truncates trace tag values to 4096 characters on the wire (a 5000-character tag reads back with 4096 " +
  'from mlflow server 3.18), and its RestStore (as ours) truncates the trace name before sending, so over REST';
const SKIP: Record<string, string> = {
  'traces > startTrace refuses a trace name over 4096 characters (never truncated)': `${TRACE_TAG_WIRE} a longer name is cut instead of refused`,
  'traces > setTraceTag refuses a value over 8000 characters [env MLFLOW_TRUNCATE_LONG_VALUES=false]':
    `${TRACE_TAG_WIRE} the stored 8000 characters read back as 4096; and ${TRUNCATION_IS_SERVER_SIDE}`,
  'traces > setTraceTag truncates a value over 8000 characters [env MLFLOW_TRUNCATE_LONG_VALUES=true]': `${TRACE_TAG_WIRE} the stored 8000 characters read back as 4096`,
  'traces > startTrace again with the same id merges into the trace (tags and metadata kept, fields replaced)':
    "MLflow 3.18's SqlAlchemyStore.start_trace merges the new tags of an existing trace (session.merge) but answers with the tag list " +
    'it read before the merge: the response lacks the new tag, which a later get-trace-info shows (checked with curl against mlflow server 3.18)',
  'assessments > updateAssessment refuses both values, or a value of the other kind':
    "a request whose assessment sets both `feedback` and `expectation` (one proto oneof) fails to parse in MLflow's server; " +
    '_get_request_message swallows the ParseError and the handler runs with the partly parsed message (no update_mask), so ' +
    "mlflow server 3.18 answers 200 and updates nothing (checked with curl) where every mlstore store refuses with MLflow's store message",
  'validation > param value over its limit is refused [env MLFLOW_TRUNCATE_LONG_VALUES=false]': TRUNCATION_IS_SERVER_SIDE,
  'validation > run tag value over its limit is refused [env MLFLOW_TRUNCATE_LONG_VALUES=false]': TRUNCATION_IS_SERVER_SIDE,
  'validation > batch param value over its limit is refused [env MLFLOW_TRUNCATE_LONG_VALUES=false]': TRUNCATION_IS_SERVER_SIDE,
  'validation > batch tag value over its limit is refused [env MLFLOW_TRUNCATE_LONG_VALUES=false]': TRUNCATION_IS_SERVER_SIDE,
  'logged-models > createLoggedModel refuses name ""':
    "MLflow's create-logged-model handler passes `request_message.name or None` to the store, so an empty name becomes " +
    "None and the SqlAlchemyStore generates a random name instead of refusing '' (MLflow's Python RestStore sends \"name\": \"\" too)",
  "search numeric literals > search_experiments compares creation_time with a 20-digit integer exactly": BIG_INTEGER,
  "search numeric literals > search_experiments compares experiment_id as an integer": BIG_INTEGER,
  "search numeric literals > search_logged_models compares timestamps with fractions and 20-digit numbers": MODEL_TIMESTAMPS,
  "search numeric literals > search_runs filter `attributes.end_time != 99999999999999999999`": BIG_INTEGER,
  "search numeric literals > search_runs filter `attributes.end_time < 99999999999999999999`": BIG_INTEGER,
  "search numeric literals > search_runs filter `attributes.end_time = 99999999999999999999`": BIG_INTEGER,
  "search numeric literals > search_runs filter `attributes.end_time > 99999999999999999999`": BIG_INTEGER,
  "search numeric literals > search_runs filter `attributes.end_time >= -99999999999999999999`": BIG_INTEGER,
  "search numeric literals > search_runs filter `attributes.start_time > -9223372036854775809`": BIG_INTEGER,
  'trace spans > logSpans fills what Span.from_dict defaults (kind, events, links, status message only on ERROR, ids re-encoded)':
    "spans travel as OTLP protobuf, where an unset end time is proto3's 0: MLflow's RestStore omits end_time_unix_nano for an " +
    "unfinished span (Span.to_otel_proto) and its server stores the span with end 0, so the trace gets execution_duration 0 where the kit " +
    "expects none (checked against mlflow server 3.18: execution_time_ms 0, read back as \"0s\")",
  "trace spans > bad input: malformed spans, unknown experiment, another experiment's trace, spans stored elsewhere; a failed call leaves nothing":
    "its setup starts a trace with the tag mlflow.trace.spansLocation=ARTIFACT_REPO, which MLflow's start-trace handler drops " +
    "(_HANDLER_BLOCKED_TRACE_TAGS), so over REST the trace is DB-backed and logSpans succeeds; RestStore's own bad-input checks are in " +
    'packages/store-rest/src/otlp-spans.test.ts',
  'trace metrics > queryTraceMetrics refuses a PERCENTILE without a value or out of 0..100 (MLflow: a bare ValueError, HTTP 500)':
    "MLflow's MetricAggregation.__post_init__ raises a bare ValueError inside the handler (not an MlflowException), so mlflow server 3.18 " +
    'answers HTTP 500 with an HTML page (checked); every mlstore store and our server refuse with INVALID_PARAMETER_VALUE and the same message',
  "search numeric literals > search_runs filter `attributes.start_time >= 9223372036854775808`": BIG_INTEGER,
  "search numeric literals > search_runs filter `metrics.m != 1e400`": INFINITE_LITERAL,
  "search numeric literals > search_runs filter `metrics.m < 1e400`": INFINITE_LITERAL,
  "search numeric literals > search_runs filter `metrics.m <= -1e999`": INFINITE_LITERAL,
  "search numeric literals > search_runs filter `metrics.m = 1e400`": INFINITE_LITERAL,
  "search numeric literals > search_runs filter `metrics.m >= 1e400`": INFINITE_LITERAL,
  "search numeric literals > search_runs refuses a filter holding a NUL character (no store can compare it the same way)": NUL_OR_SURROGATE,
  "search numeric literals > search_runs refuses a filter holding an unpaired surrogate (no store can compare it the same way)": NUL_OR_SURROGATE,
};

const title = 'RestStore against the real mlflow server 3.18.0 (SQLite backend)';
const problem = enabled ? mlflowVenvProblem() : null;

if (!enabled) {
  console.warn('[rest-interop] skipped: the MLflow 3.18.0 interop tests run only in the integration profile (MLSTORE_PROFILE=integration) or with MLSTORE_INTEROP=1');
  describe.skip(title, () => it('needs MLSTORE_PROFILE=integration or MLSTORE_INTEROP=1', () => {}));
} else if (problem) {
  if (requireServices) {
    describe(title, () => {
      it('has the services it needs (MLSTORE_REQUIRE_SERVICES=1)', () => {
        throw new Error(`[rest-interop] ${problem}`);
      });
    });
  } else {
    console.warn(`[rest-interop] skipped: ${problem}`);
    describe.skip(`${title} (${problem})`, () => it('needs the MLflow venv', () => {}));
  }
} else {
  // Started on first use (inside the first group's beforeAll), so collecting the file costs nothing.
  let dir: string | undefined;
  let serverPromise: Promise<MlflowServer> | undefined;
  const server = (): Promise<MlflowServer> =>
    (serverPromise ??= (async () => {
      dir = mkdtempSync(join(tmpdir(), 'mlstore-rest-interop-'));
      return startMlflowServer(`sqlite:///${join(dir, 'mlflow.db')}`, {
        cwd: dir,
        artifactsDestination: join(dir, 'mlartifacts'),
        timeoutMs: SERVER_START_TIMEOUT_MS,
      });
    })());

  describe(title, () => {
    afterAll(async () => {
      if (serverPromise) await (await serverPromise.catch(() => undefined))?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    // No retries: a failing request must fail its case at once rather than back off for minutes.
    describeTrackingStore('rest → mlflow server', async () => new RestStore({ baseUrl: (await server()).url, maxRetries: 0 }), { skip: SKIP });

    describe('RestStore specifics', () => {
      const open = async () => new RestStore({ baseUrl: (await server()).url, maxRetries: 0 });

      it('the registry resolves http:// to a RestStore on the server', async () => {
        const registry = registerRestTrackingStore(createTrackingStoreRegistry(), { maxRetries: 0 });
        expect(registry.schemes()).toEqual(['http', 'https']);
        const store = await registry.resolve((await server()).url);
        try {
          expect(store).toBeInstanceOf(RestStore);
          expect((await store.getExperiment('0')).name).toBe('Default');
        } finally {
          await store.close();
        }
      });

      it('an aborted signal reaches the transport: the call fails with CANCELLED', async () => {
        const store = await open();
        try {
          const err = await store.getExperiment('0', { signal: AbortSignal.abort() }).catch((e: unknown) => e);
          expect(isMlflowError(err) && err.errorCode).toBe('CANCELLED');
        } finally {
          await store.close();
        }
      });

      it('a history longer than one 25000-value page is read whole without max_results', async () => {
        const store = await open();
        try {
          const exp = await store.createExperiment(`rest-long-${Date.now()}-${Math.random()}`);
          const run = (await store.createRun({ experimentId: exp })).info.run_id;
          const total = 25_003;
          for (let start = 0; start < total; start += 1000) {
            const n = Math.min(1000, total - start);
            await store.logBatch(run, { metrics: Array.from({ length: n }, (_, i) => ({ key: 'm', value: start + i, timestamp: 1, step: start + i })) });
          }
          const history = await store.getMetricHistory(run, 'm');
          expect(history.nextPageToken).toBeUndefined();
          expect(history.items).toHaveLength(total);
          expect(history.items.at(-1)?.step).toBe(total - 1);
          const fromSteps = await store.getMetricHistoryBulkIntervalFromSteps(run, 'm', [25_002, 3, 25_000], 10);
          expect(fromSteps.map((m) => m.step)).toEqual([3, 25_000, 25_002]);
        } finally {
          await store.close();
        }
      }, 180_000);
    });
  });
}

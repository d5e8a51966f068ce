import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMlflowError, type MlflowError, type TraceInfo } from '@mlstore/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { FileTrackingStore } from './file-tracking-store.js';
import { protoTimestamp } from './mlruns-traces.js';

// MLflow 3.18's FileStore behaviour, checked against mlflow/store/tracking/file_store.py and the
// bytes it writes (expected texts below are MLflow's output for the same calls).

let root: string;
let store: FileTrackingStore;
let exp: string;

beforeEach(async () => {
  root = join(mkdtempSync(join(tmpdir(), 'mlstore-file-traces-')), 'mlruns');
  store = await FileTrackingStore.open(root);
  exp = await store.createExperiment('x');
});

function info(traceId: string, extra: Partial<TraceInfo> = {}): TraceInfo {
  return {
    trace_id: traceId,
    trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: exp } },
    request_time: 1000,
    state: 'OK',
    trace_metadata: {},
    tags: {},
    assessments: [],
    ...extra,
  };
}

async function errorOf(p: Promise<unknown>): Promise<MlflowError> {
  try {
    await p;
  } catch (err) {
    expect(isMlflowError(err)).toBe(true);
    return err as MlflowError;
  }
  throw new Error('expected an MlflowError');
}

const HUMAN = { source_type: 'HUMAN', source_id: 'me' } as const;
const traceDir = (id: string) => join(root, exp, 'traces', id);

describe('file store traces: the on-disk layout MLflow writes', () => {
  it('start_trace writes trace_info.yaml, request_metadata/ and tags/ (with the artifact location) as MLflow does', async () => {
    await store.startTrace(
      info('tr-1', {
        request_time: 1700000000100,
        execution_duration: 250,
        request_preview: '{"q": "ü"}',
        client_request_id: 'c',
        trace_metadata: { 'mlflow.trace.session': 's1' },
        tags: { 'mlflow.traceName': 'chat', 'ünï': 'välue' },
      }),
    );
    await store.startTrace(info('tr-2', { request_time: 0, state: 'STATE_UNSPECIFIED' }));
    expect(readFileSync(join(traceDir('tr-1'), 'trace_info.yaml'), 'utf8')).toBe(
      `client_request_id: c\nexecution_duration_ms: 250\nrequest_preview: '{"q": "ü"}'\nrequest_time: '2023-11-14T22:13:20.100Z'\nstate: OK\ntrace_id: tr-1\n` +
        `trace_location:\n  mlflow_experiment:\n    experiment_id: '${exp}'\n  type: MLFLOW_EXPERIMENT\n`,
    );
    expect(readFileSync(join(traceDir('tr-2'), 'trace_info.yaml'), 'utf8')).toBe(
      `request_time: '1970-01-01T00:00:00Z'\nstate: STATE_UNSPECIFIED\ntrace_id: tr-2\ntrace_location:\n  mlflow_experiment:\n    experiment_id: '${exp}'\n  type: MLFLOW_EXPERIMENT\n`,
    );
    expect(readFileSync(join(traceDir('tr-1'), 'request_metadata', 'mlflow.trace.session'), 'utf8')).toBe('s1');
    expect(readFileSync(join(traceDir('tr-1'), 'tags', 'ünï'), 'utf8')).toBe('välue');
    expect(readFileSync(join(traceDir('tr-1'), 'tags', 'mlflow.artifactLocation'), 'utf8')).toBe(`file://${root}/${exp}/traces/tr-1/artifacts`);
    // MLflow creates both folders even when empty, and adds no infoFinalized metadata.
    expect(existsSync(join(traceDir('tr-2'), 'request_metadata'))).toBe(true);
    expect((await store.getTraceInfo('tr-2')).trace_metadata).toEqual({});
  });

  it('assessments are <id>.yaml files: feedback values as protobuf doubles, expectation objects JSON-serialized', async () => {
    await store.startTrace(info('tr-1'));
    const fb = await store.createAssessment({
      assessment_name: 'rel', trace_id: 'tr-1', source: { source_type: 'LLM_JUDGE', source_id: 'gpt' },
      feedback: { value: 1 }, rationale: 'why', metadata: { k: 'v' }, span_id: 'sp',
    });
    const t = protoTimestamp(fb.create_time as number);
    expect(readFileSync(join(traceDir('tr-1'), 'assessments', `${fb.assessment_id}.yaml`), 'utf8')).toBe(
      `assessment_id: ${fb.assessment_id}\nassessment_name: rel\ncreate_time: '${t}'\nfeedback:\n  value: 1.0\nlast_update_time: '${t}'\n` +
        `metadata:\n  k: v\nrationale: why\nsource:\n  source_id: gpt\n  source_type: LLM_JUDGE\nspan_id: sp\ntrace_id: tr-1\nvalid: true\n`,
    );
    const ex = await store.createAssessment({ assessment_name: 'exp', trace_id: 'tr-1', source: HUMAN, expectation: { value: { answer: ['a', 1, true, null], 'ü': 'ok' } } });
    const te = protoTimestamp(ex.create_time as number);
    const exPath = join(traceDir('tr-1'), 'assessments', `${ex.assessment_id}.yaml`);
    expect(readFileSync(exPath, 'utf8')).toBe(
      `assessment_id: ${ex.assessment_id}\nassessment_name: exp\ncreate_time: '${te}'\nexpectation:\n  serialized_value:\n    serialization_format: JSON_FORMAT\n` +
        `    value: '{"answer": ["a", 1, true, null], "\\u00fc": "ok"}'\nlast_update_time: '${te}'\nsource:\n  source_id: me\n  source_type: HUMAN\ntrace_id: tr-1\nvalid: true\n`,
    );
    // MLflow's Expectation.from_dictionary drops `valid`; an update then writes none.
    const read = await store.getAssessment('tr-1', ex.assessment_id as string);
    expect(read.expectation).toEqual({ value: { answer: ['a', 1, true, null], 'ü': 'ok' } });
    expect(read.valid).toBeUndefined();
    await store.updateAssessment('tr-1', ex.assessment_id as string, { expectation: { value: 'new' } });
    expect(readFileSync(exPath, 'utf8')).not.toContain('valid');
    expect(readFileSync(exPath, 'utf8')).toContain('expectation:\n  value: new\n');
  });

  it('reads a trace_info.yaml in the v2 form MLflow 2.x wrote', async () => {
    mkdirSync(join(traceDir('tr-old'), 'tags'), { recursive: true });
    writeFileSync(join(traceDir('tr-old'), 'trace_info.yaml'), `execution_time_ms: 7\nexperiment_id: '${exp}'\nrequest_id: tr-old\nstatus: TRACE_STATUS_UNSPECIFIED\ntimestamp_ms: 42\n`);
    writeFileSync(join(traceDir('tr-old'), 'tags', 'k'), 'v');
    expect(await store.getTraceInfo('tr-old')).toMatchObject({ trace_id: 'tr-old', request_time: 42, execution_duration: 7, state: 'STATE_UNSPECIFIED', tags: { k: 'v' } });
  });
});

describe("file store traces: MLflow FileStore's own answers", () => {
  it('refuses an existing trace id (INTERNAL_ERROR) and an experiment that is not active (RESOURCE_DOES_NOT_EXIST)', async () => {
    await store.startTrace(info('tr-1', { tags: { a: '1' } }));
    const again = await errorOf(store.startTrace(info('tr-1', { tags: { a: '2' } })));
    expect([again.errorCode, again.message]).toEqual(['INTERNAL_ERROR', expect.stringMatching(/^Yaml file '.*trace_info.yaml' exists as/)]);
    expect((await store.getTraceInfo('tr-1')).tags['a']).toBe('1');
    const deleted = await store.createExperiment('gone');
    await store.deleteExperiment(deleted);
    const err = await errorOf(store.startTrace({ ...info('tr-2'), trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: deleted } } }));
    expect([err.errorCode, err.message]).toEqual(['RESOURCE_DOES_NOT_EXIST', `Experiment ${deleted} does not exist.`]);
  });

  it('refuses a trace id longer than the filesystem allows as the client\'s error, leaving nothing behind', async () => {
    // MLflow's FileStore lets os.makedirs raise (HTTP 500); a name the filesystem refuses is refused
    // as every other write of this store refuses one (INVALID_PARAMETER_VALUE).
    const err = await errorOf(store.startTrace(info('t'.repeat(5000), { tags: { a: '1' } })));
    expect([err.errorCode, err.message]).toEqual(['INVALID_PARAMETER_VALUE', 'A name in this request is longer than the filesystem allows.']);
    expect((await store.searchTraces({ locations: [exp] })).items).toEqual([]);
  });

  it('checks the assessments a new trace carries before writing it: a refused one leaves no trace behind', async () => {
    const bad = { assessment_name: '', trace_id: '', source: HUMAN, feedback: { value: 1 } };
    const err = await errorOf(store.startTrace(info('tr-9', { assessments: [bad] })));
    expect([err.errorCode, err.message]).toEqual(['INVALID_PARAMETER_VALUE', "Missing value for required parameter 'assessment_name'."]);
    expect(existsSync(join(traceDir('tr-9'), 'trace_info.yaml'))).toBe(false);
    expect((await store.searchTraces({ locations: [exp] })).items).toEqual([]);
  });

  it('checks trace tags only as file names (no length limits), and words a missing tag as MLflow does', async () => {
    await store.startTrace(info('tr-1'));
    await store.setTraceTag('tr-1', 'k'.repeat(251), 'v'.repeat(9000));
    expect((await store.getTraceInfo('tr-1')).tags['k'.repeat(251)]).toHaveLength(9000);
    expect((await errorOf(store.setTraceTag('tr-1', 'a//b', 'v'))).errorCode).toBe('INVALID_PARAMETER_VALUE');
    const missing = await errorOf(store.deleteTraceTag('tr-1', 'nope'));
    expect([missing.errorCode, missing.message]).toEqual(['RESOURCE_DOES_NOT_EXIST', 'No tag with name: nope in trace with ID tr-1.']);
  });

  it('answers spans NOT_IMPLEMENTED and run links INVALID_PARAMETER_VALUE', async () => {
    await store.startTrace(info('tr-1'));
    for (const p of [store.getTrace('tr-1'), store.batchGetTraces({ traceIds: ['tr-1'] }), store.batchGetTraceInfos({ traceIds: ['tr-1'] }), store.logSpans(exp, [])]) {
      expect((await errorOf(p)).errorCode).toBe('NOT_IMPLEMENTED');
    }
    const link = await errorOf(store.linkTracesToRun([], 'r'));
    expect([link.errorCode, link.message]).toEqual(['INVALID_PARAMETER_VALUE', expect.stringMatching(/^Linking traces to runs is not supported in FileStore/)]);
  });

  it('importTrace (migrate) writes into a deleted experiment in .trash, where startTrace refuses; a known id is exists', async () => {
    await store.deleteExperiment(exp);
    expect((await errorOf(store.startTrace(info('tr-del')))).errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(await store.importTrace(info('tr-del', { tags: { t: 'v' } }))).toBe('created');
    expect(existsSync(join(root, '.trash', exp, 'traces', 'tr-del', 'trace_info.yaml'))).toBe(true);
    expect(await store.getTraceInfo('tr-del')).toMatchObject({ trace_id: 'tr-del', tags: { t: 'v' } });
    expect(await store.importTrace(info('tr-del'))).toBe('exists');
  });

  it('refuses trace metrics (FEATURE_DISABLED) and filter correlation (NOT_IMPLEMENTED) with MLflow FileStore\'s messages', async () => {
    const metrics = await errorOf(store.queryTraceMetrics({ experimentIds: [exp], viewType: 'TRACES', metricName: 'trace_count', aggregations: [{ aggregation_type: 'COUNT' }] }));
    expect([metrics.errorCode, metrics.message]).toEqual(['FEATURE_DISABLED', expect.stringMatching(/^query_trace_metrics is not supported with FileStore\. This feature requires a SQL-based tracking backend/)]);
    const npmi = await errorOf(store.calculateTraceFilterCorrelation({ experimentIds: [exp], filterString1: "tags.a = 'b'", filterString2: "tags.a = 'c'" }));
    expect([npmi.errorCode, npmi.message]).toEqual(['NOT_IMPLEMENTED', 'The Correlations API is not implemented for FileStore. A SQL backend is required to use this feature.']);
  });

  it('an unknown trace is RESOURCE_DOES_NOT_EXIST for assessments, deletion included', async () => {
    const get = await errorOf(store.getAssessment('tr-none', 'a-1'));
    expect([get.errorCode, get.message]).toEqual(['RESOURCE_DOES_NOT_EXIST', "Trace with ID 'tr-none' not found"]);
    expect((await errorOf(store.deleteAssessment('tr-none', 'a-1'))).errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
    await store.startTrace(info('tr-1'));
    await store.deleteAssessment('tr-1', 'a-1');
    expect((await errorOf(store.deleteAssessment('tr-1', '../x'))).errorCode).toBe('INVALID_PARAMETER_VALUE');
  });

  it('deletes traces of an existing experiment folder only; deleting by age needs a traces folder', async () => {
    expect((await errorOf(store.deleteTraces('abc', { traceIds: ['x'] }))).message).toBe('Experiment abc does not exist.');
    const byAge = await errorOf(store.deleteTraces(exp, { maxTimestampMillis: 5 }));
    expect([byAge.errorCode, byAge.message]).toEqual(['INTERNAL_ERROR', expect.stringMatching(/^Invalid parent directory '.*traces'$/)]);
    await store.startTrace(info('tr-1'));
    expect(await store.deleteTraces(exp, { maxTimestampMillis: 5000 })).toBe(1);
  });
});

describe("file store traces: MLflow's in-memory search", () => {
  beforeEach(async () => {
    await store.startTrace(info('tr-a', { request_time: 100, execution_duration: 5, tags: { env: 'prod' } }));
    await store.startTrace(info('tr-b', { request_time: 200, state: 'STATE_UNSPECIFIED', trace_metadata: { origin: 'x' } }));
  });
  const ids = async (req: Parameters<FileTrackingStore['searchTraces']>[0]) => (await store.searchTraces({ locations: [exp], ...req })).items.map((t) => t.trace_id);
  const codeOf = async (req: Parameters<FileTrackingStore['searchTraces']>[0]) => {
    const e = await errorOf(store.searchTraces({ locations: [exp], ...req }));
    return `${e.errorCode}: ${e.message}`;
  };

  it('filters tags, metadata and attributes with Python semantics (v2 status names, no RLIKE, AND only)', async () => {
    expect(await ids({ filterString: "tags.env = 'prod'" })).toEqual(['tr-a']);
    expect(await ids({ filterString: "metadata.origin LIKE 'x'" })).toEqual(['tr-b']);
    expect(await ids({ filterString: "trace.status = 'TRACE_STATUS_UNSPECIFIED'" })).toEqual(['tr-b']);
    expect(await ids({ filterString: "trace.status = 'STATE_UNSPECIFIED'" })).toEqual([]);
    expect(await ids({ filterString: "trace.status IN ('OK')" })).toEqual(['tr-a']);
    expect(await codeOf({ filterString: "tags.env RLIKE 'p'" })).toBe("INTERNAL_ERROR: 'RLIKE'");
    expect(await codeOf({ filterString: "tags.env = 'a' OR tags.env = 'b'" })).toBe("INVALID_PARAMETER_VALUE: Invalid clause(s) in filter string: 'OR'");
    expect(await codeOf({ filterString: "trace.timestamp_ms > '5'" })).toBe("INTERNAL_ERROR: '>' not supported between instances of 'int' and 'str'");
  });

  it('refuses span and assessment filters when it evaluates them (clauses before them short-circuit)', async () => {
    expect(await codeOf({ filterString: "span.name = 'x'" })).toBe(
      'INVALID_PARAMETER_VALUE: Span filtering requires database support and cannot be performed on in-memory trace data.',
    );
    expect(await codeOf({ filterString: "feedback.q = 'x'" })).toBe(
      'INVALID_PARAMETER_VALUE: Assessment filtering requires database support and cannot be performed on in-memory trace data.',
    );
    expect(await ids({ filterString: "tags.env = 'none' AND span.name = 'x'" })).toEqual([]);
  });

  it('orders by attributes only; a missing value in an ascending key is an internal error', async () => {
    expect(await ids({ orderBy: ['timestamp ASC', 'timestamp_ms DESC'] })).toEqual(['tr-a', 'tr-b']);
    expect(await ids({ orderBy: ['execution_time DESC'] })).toEqual(['tr-a', 'tr-b']);
    expect(await codeOf({ orderBy: ['tags.env ASC'] })).toBe('INVALID_PARAMETER_VALUE: Invalid order_by entity `tag` with key `env`');
    expect(await codeOf({ orderBy: ['execution_time ASC'] })).toMatch(/^INTERNAL_ERROR: '<' not supported between instances of/);
  });

  it('checks only the upper bound of max_results, and needs existing experiments', async () => {
    expect(await store.searchTraces({ locations: [exp], maxResults: 0 })).toEqual({ items: [], nextPageToken: 'eyJvZmZzZXQiOiAwfQ==' });
    expect(await ids({ maxResults: -1 })).toEqual(['tr-b']);
    expect(await codeOf({ maxResults: 50001 })).toBe(
      'INVALID_PARAMETER_VALUE: Invalid value for request parameter max_results. It must be at most 50000, but got value 50001',
    );
    const unknown = await errorOf(store.searchTraces({ locations: ['987654321019'] }));
    expect([unknown.errorCode, unknown.message]).toEqual(['RESOURCE_DOES_NOT_EXIST', 'Experiment 987654321019 does not exist.']);
    expect((await errorOf(store.searchTraces({}))).errorCode).toBe('INTERNAL_ERROR');
  });
});

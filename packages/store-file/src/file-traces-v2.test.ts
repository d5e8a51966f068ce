import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMlflowError, type MlflowError } from '@mlstore/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { FileTrackingStore } from './file-tracking-store.js';

// MLflow 3.18's FileStore.deprecated_start_trace_v2 / deprecated_end_trace_v2: the expected texts are
// what MLflow wrote for the same calls (MLFLOW_ALLOW_FILE_STORE=true, FileStore(root) in the venv).

let root: string;
let store: FileTrackingStore;
let exp: string;

beforeEach(async () => {
  root = join(mkdtempSync(join(tmpdir(), 'mlstore-file-traces-v2-')), 'mlruns');
  store = await FileTrackingStore.open(root);
  exp = await store.createExperiment('x');
});

async function errorOf(p: Promise<unknown>): Promise<MlflowError> {
  try {
    await p;
  } catch (err) {
    expect(isMlflowError(err)).toBe(true);
    return err as MlflowError;
  }
  throw new Error('expected an MlflowError');
}

const infoYaml = (id: string, duration?: number, state = 'IN_PROGRESS') =>
  `${duration === undefined ? '' : `execution_duration_ms: ${duration}\n`}request_time: '2023-11-14T22:13:20.100Z'\nstate: ${state}\ntrace_id: ${id}\n` +
  `trace_location:\n  mlflow_experiment:\n    experiment_id: '${exp}'\n  type: MLFLOW_EXPERIMENT\n`;

describe('file store: the deprecated v2 trace paths', () => {
  it('start writes trace_info.yaml, request_metadata/ and tags/ as MLflow does (no infoFinalized); end rewrites them merged', async () => {
    const started = await store.deprecatedStartTraceV2({
      experimentId: exp,
      timestampMs: 1700000000100,
      requestMetadata: { m: '1', 'mlflow.trace.session': 's1' },
      tags: { 'mlflow.traceName': 'n', t: 'x' },
    });
    const id = started.trace_id;
    const dir = join(root, exp, 'traces', id);
    expect(readFileSync(join(dir, 'trace_info.yaml'), 'utf8')).toBe(infoYaml(id));
    expect(readdirSync(join(dir, 'request_metadata')).sort()).toEqual(['m', 'mlflow.trace.session']);
    expect(readdirSync(join(dir, 'tags')).sort()).toEqual(['mlflow.artifactLocation', 'mlflow.traceName', 't']);
    expect(readFileSync(join(dir, 'tags', 'mlflow.artifactLocation'), 'utf8')).toBe(`file://${root}/${exp}/traces/${id}/artifacts`);

    const ended = await store.deprecatedEndTraceV2(id, { timestampMs: 1700000000350, status: 'OK', requestMetadata: { m: '2', b: '3' }, tags: { t: 'y' } });
    expect(readFileSync(join(dir, 'trace_info.yaml'), 'utf8')).toBe(infoYaml(id, 250, 'OK'));
    expect(ended.trace_metadata).toEqual({ m: '2', 'mlflow.trace.session': 's1', b: '3' });
    expect(readFileSync(join(dir, 'request_metadata', 'm'), 'utf8')).toBe('2');
    expect(ended.tags).toEqual({ t: 'y', 'mlflow.traceName': 'n', 'mlflow.artifactLocation': `file://${root}/${exp}/traces/${id}/artifacts` });
    expect(await store.getTraceInfo(id)).toEqual(ended);
  });

  it('start in a deleted experiment: RESOURCE_DOES_NOT_EXIST "Experiment <id> does not exist."', async () => {
    await store.deleteExperiment(exp);
    const err = await errorOf(store.deprecatedStartTraceV2({ experimentId: exp, timestampMs: 1 }));
    expect([err.errorCode, err.message]).toEqual(['RESOURCE_DOES_NOT_EXIST', `Experiment ${exp} does not exist.`]);
  });

  it("end of an unknown id: RESOURCE_DOES_NOT_EXIST \"Trace with ID '<id>' not found\"", async () => {
    const err = await errorOf(store.deprecatedEndTraceV2('ffff', { timestampMs: 1, status: 'OK' }));
    expect([err.errorCode, err.message]).toEqual(['RESOURCE_DOES_NOT_EXIST', "Trace with ID 'ffff' not found"]);
  });
});

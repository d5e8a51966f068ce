import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelRegistryStore, SearchModelVersionsRequest, SearchRegisteredModelsRequest } from '@mlstore/core';
import { describeModelRegistryStore, describeTrackingStore } from '@mlstore/testkit';
import { FileModelRegistryStore, FileTrackingStore } from '../src/index.js';

// What MLflow 3.18's FileStore itself does differently from its SQL store (checked against
// mlflow/store/tracking/file_store.py and by test/file-trace-interop.test.ts); the file store follows
// MLflow's FileStore, so these kit cases (written to the SQL store's behaviour) do not apply.
const NO_LENGTH_CHECKS = "MLflow's FileStore checks trace tag keys only as file names: no key/value length limits, no trace-name limit, no truncation";
const NO_SPANS = "MLflow's FileStore keeps no spans (span data is in the trace's artifacts): get_trace / batch_get_* raise NOT_IMPLEMENTED";
const NO_LINKS = "MLflow's FileStore refuses link_traces_to_run with INVALID_PARAMETER_VALUE (not supported in FileStore)";
const SKIP: Record<string, string> = {
  'traces > startTrace stores every field, adds the artifact location tag and marks the info finalized':
    "MLflow's FileStore does not add the mlflow.trace.infoFinalized metadata (only its SQL store does)",
  'traces > startTrace again with the same id merges into the trace (tags and metadata kept, fields replaced)':
    "MLflow's FileStore refuses an existing trace id (write_yaml: 'Yaml file … exists', INTERNAL_ERROR); no merge",
  'traces > startTrace in a deleted experiment fails with INVALID_PARAMETER_VALUE':
    "MLflow's FileStore looks the experiment up among active ones only: RESOURCE_DOES_NOT_EXIST 'Experiment <id> does not exist.'",
  'traces > startTrace refuses a trace name over 4096 characters (never truncated)': NO_LENGTH_CHECKS,
  'traces-v2 > deprecatedStartTraceV2 in a deleted experiment fails with INVALID_PARAMETER_VALUE':
    "MLflow's FileStore looks the experiment up among active ones only: RESOURCE_DOES_NOT_EXIST 'Experiment <id> does not exist.' (checked in src/file-traces-v2.test.ts)",
  'traces-v2 > deprecatedStartTraceV2 refuses a trace name over 4096 characters': NO_LENGTH_CHECKS,
  'traces > the trace name is set and deleted through the tag methods':
    "MLflow's FileStore words a missing trace tag 'No tag with name: <key> in trace with ID <id>.'",
  'traces > deleteTraceTag of an unset key fails with RESOURCE_DOES_NOT_EXIST':
    "MLflow's FileStore words a missing trace tag 'No tag with name: <key> in trace with ID <id>.'",
  'traces > setTraceTag refuses a key over 250 characters, even when truncation is on': NO_LENGTH_CHECKS,
  'traces > setTraceTag refuses a trace name over 4096 characters': NO_LENGTH_CHECKS,
  'traces > setTraceTag refuses a value over 8000 characters [env MLFLOW_TRUNCATE_LONG_VALUES=false]': NO_LENGTH_CHECKS,
  'traces > setTraceTag truncates a value over 8000 characters [env MLFLOW_TRUNCATE_LONG_VALUES=true]': NO_LENGTH_CHECKS,
  'traces > batchGetTraceInfos returns the known ids only, scoped to experiments when given': NO_SPANS,
  'traces > getTrace of a trace whose spans are not in the store fails with INTERNAL_ERROR (the client reads artifacts)': NO_SPANS,
  'traces > getTrace of an unknown id fails with RESOURCE_DOES_NOT_EXIST': NO_SPANS,
  'trace-search-delete > searchTraces honours order_by (timestamp_ms ASC, execution_time DESC, tag)':
    "MLflow's FileStore orders by attributes only ('Invalid order_by entity `tag` with key `rank`')",
  'trace-search-delete > searchTraces is scoped to its experiments (experiment_ids or locations); unknown ones give nothing':
    "MLflow's FileStore answers an unknown experiment with RESOURCE_DOES_NOT_EXIST 'Experiment <id> does not exist.'",
  'trace-search-delete > searchTraces filters on attributes, tags, metadata and feedback (the shared trace grammar)':
    "MLflow's FileStore refuses assessment (and span) filters: 'Assessment filtering requires database support …'",
  'trace-search-delete > searchTraces refuses max_results 0':
    "MLflow's FileStore checks only the upper bound (max_results 0 gives an empty page)",
  'trace-search-delete > searchTraces refuses max_results -1':
    "MLflow's FileStore checks only the upper bound (max_results -1 slices Python-style)",
  'trace-search-delete > deleteTraces with a non-integer experiment id fails with INVALID_PARAMETER_VALUE':
    "MLflow's FileStore answers RESOURCE_DOES_NOT_EXIST 'Experiment abc does not exist.'",
  'trace-search-delete > linkTracesToRun links traces; a run_id filter finds linked traces and traces with the source-run metadata': NO_LINKS,
  'trace-search-delete > linkTracesToRun refuses more than 100 trace ids': NO_LINKS,
  'assessments > createAssessment (expectation) keeps a structured value':
    "MLflow's FileStore reads expectations back without `valid` (Expectation.from_dictionary drops it)",
  'assessments > getAssessment of an unknown assessment or trace fails with RESOURCE_DOES_NOT_EXIST':
    "MLflow's FileStore words an unknown trace 'Trace with ID '<id>' not found' (not 'request_id')",
  'assessments > deleteAssessment removes it and is idempotent (unknown assessment or trace)':
    "MLflow's FileStore answers an unknown trace with RESOURCE_DOES_NOT_EXIST (an unknown assessment is idempotent)",
};

// The whole tracking kit on a fresh mlruns folder per case group, once through a plain path and
// once through a file: URI.
const dir = mkdtempSync(join(tmpdir(), 'mlstore-file-kit-'));
let n = 0;
describeTrackingStore('mlruns', () => FileTrackingStore.open(join(dir, `kit-${n++}`, 'mlruns')), { skip: SKIP });

// The model-registry kit on a fresh registry root per case group (MLflow's `<root>/models/` layout),
// asserting MLflow's FileStore answers wherever its SQL and file stores differ. The kit's searches
// leave max_results out; MLflow's FileStore refuses that ("… but got None", checked in
// src/file-model-registry-store.test.ts), and every real caller — MLflow's server, our REST layer —
// sends the proto default (100 / 200000), so the kit gets the store as the server calls it.
function asServerCalls(store: FileModelRegistryStore): ModelRegistryStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'searchRegisteredModels') return (req: SearchRegisteredModelsRequest = {}) => target.searchRegisteredModels({ maxResults: 100, ...req });
      if (prop === 'searchModelVersions') return (req: SearchModelVersionsRequest = {}) => target.searchModelVersions({ maxResults: 200000, ...req });
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
describeModelRegistryStore('mlruns', async () => asServerCalls(await FileModelRegistryStore.open(join(dir, `registry-${n++}`))));

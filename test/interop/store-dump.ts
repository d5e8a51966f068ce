/**
 * The dump both readers produce (our stores, and MLflow's client in dump_via_client.py). It lives
 * in @mlstore/testkit so a package's own tests (store-file's MLflow 2.x fixture) can use it too.
 */
export {
  compareStrings,
  dumpStore,
  normalizeDump,
  type Dump,
  type DumpDatasetInput,
  type DumpExperiment,
  type DumpMetric,
  type DumpRun,
  type DumpRunInfo,
  type DumpRunWithHistory,
} from '@mlstore/testkit';

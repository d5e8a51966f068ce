import type {
  DatasetInput,
  Experiment,
  LoggedModel,
  LoggedModelInput,
  LoggedModelOutput,
  Metric,
  RunInfo,
} from '../entities.js';

/** One run as the memory store keeps it. */
export interface RunRecord {
  info: RunInfo;
  deletedTime?: number;
  params: Map<string, string>;
  tags: Map<string, string>;
  /** Full history per metric key (insertion order). */
  history: Map<string, Metric[]>;
  /** Row identities already stored, to drop duplicates as SQL's primary key does. */
  metricIds: Set<string>;
  latest: Map<string, Metric>;
  datasetInputs: DatasetInput[];
  modelInputs: LoggedModelInput[];
  modelOutputs: LoggedModelOutput[];
}

/** One logged model plus its lifecycle (deleted models are invisible). */
export interface ModelRecord {
  model: LoggedModel;
  deleted: boolean;
}

/** Whole in-memory database. */
export interface MemoryState {
  experiments: Map<string, Experiment>;
  /** Next id `createExperiment` assigns (bigint: imported file-store ids exceed 2^53). */
  nextExperimentId: bigint;
  runs: Map<string, RunRecord>;
  models: Map<string, ModelRecord>;
}

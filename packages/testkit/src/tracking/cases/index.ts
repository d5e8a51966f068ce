import { assessmentsGroup } from './assessments.js';
import { experimentsGroup } from './experiments.js';
import type { TrackingCaseGroup } from './group.js';
import { inputsOutputsGroup } from './inputs-outputs.js';
import { lifecycleGroup } from './lifecycle.js';
import { logBatchGroup } from './log-batch.js';
import { loggedModelsGroup } from './logged-models.js';
import { metricHistoryGroup } from './metric-history.js';
import { metricsGroup } from './metrics.js';
import { paramsTagsGroup } from './params-tags.js';
import { runsGroup } from './runs.js';
import { searchDatasetsModelsGroup } from './search-datasets-models.js';
import { searchExperimentsGroup } from './search-experiments.js';
import { searchRunsErrorsGroup } from './search-runs-errors.js';
import { searchNumericGroup } from './search-runs-numeric.js';
import { searchRunsGroup } from './search-runs.js';
import { traceMetricsGroup } from './trace-metrics.js';
import { traceSearchDeleteGroup } from './trace-search-delete.js';
import { traceSpansGroup } from './trace-spans.js';
import { traceV2Group } from './trace-v2.js';
import { tracesGroup } from './traces.js';
import { validationGroup } from './validation.js';

/** Every group of the tracking kit, in run order. */
export const trackingCaseGroups: TrackingCaseGroup[] = [
  experimentsGroup,
  runsGroup,
  lifecycleGroup,
  paramsTagsGroup,
  metricsGroup,
  validationGroup,
  logBatchGroup,
  metricHistoryGroup,
  inputsOutputsGroup,
  loggedModelsGroup,
  searchRunsGroup,
  searchRunsErrorsGroup,
  searchNumericGroup,
  searchExperimentsGroup,
  searchDatasetsModelsGroup,
  tracesGroup,
  traceV2Group,
  traceSearchDeleteGroup,
  traceSpansGroup,
  assessmentsGroup,
  traceMetricsGroup,
];

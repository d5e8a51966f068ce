/** Length and count limits of MLflow 3.18.0 (`mlflow/utils/validation.py`). */
export const MAX_PARAMS_TAGS_PER_BATCH = 100;
/** Max metrics per log_batch. */
export const MAX_METRICS_PER_BATCH = 1000;
/** Max metrics + params + tags per log_batch. */
export const MAX_ENTITIES_PER_BATCH = 1000;
/** Max JSON size of a log_batch request (checked by the REST layer). */
export const MAX_BATCH_LOG_REQUEST_SIZE = 1_000_000;
/** Max param value length. */
export const MAX_PARAM_VAL_LENGTH = 6000;
/** Max run tag value length. */
export const MAX_TAG_VAL_LENGTH = 8000;
/** Max experiment name length. */
export const MAX_EXPERIMENT_NAME_LENGTH = 500;
/** Max experiment tag key length. */
export const MAX_EXPERIMENT_TAG_KEY_LENGTH = 250;
/** Max experiment tag value length (20000 in 3.18; was 5000 in 2.x). */
export const MAX_EXPERIMENT_TAG_VAL_LENGTH = 20000;
/** Max param/metric/tag key length. */
export const MAX_ENTITY_KEY_LENGTH = 250;
/** Dataset field limits. */
export const MAX_DATASET_NAME_SIZE = 500;
/** Max dataset digest length. */
export const MAX_DATASET_DIGEST_SIZE = 36;
/** Max dataset schema length. */
export const MAX_DATASET_SCHEMA_SIZE = 1048575;
/** Max dataset source length. */
export const MAX_DATASET_SOURCE_SIZE = 65535;
/** Max dataset profile length. */
export const MAX_DATASET_PROFILE_SIZE = 16777215;
/** Max input tag key length. */
export const MAX_INPUT_TAG_KEY_SIZE = 255;
/** Max input tag value length. */
export const MAX_INPUT_TAG_VALUE_SIZE = 500;
/** Default of env `MLFLOW_ARTIFACT_LOCATION_MAX_LENGTH`. */
export const DEFAULT_ARTIFACT_LOCATION_MAX_LENGTH = 2048;
/** Default `max_results` of search_runs/search_experiments. */
export const SEARCH_MAX_RESULTS_DEFAULT_VALUE = 1000;
/** Upper bound of `max_results` for search_runs/search_experiments. */
export const SEARCH_MAX_RESULTS_THRESHOLD_VALUE = 50000;
/** Max run ids in get-history-bulk-interval. */
export const MAX_RUNS_GET_METRIC_HISTORY_BULK = 100;
/** Max `max_results` of get-history-bulk-interval. */
export const MAX_RESULTS_GET_METRIC_HISTORY_BULK_INTERVAL = 2500;

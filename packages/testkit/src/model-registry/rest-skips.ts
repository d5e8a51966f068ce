// Why each skip holds: the servers' own request checks and the wire, not the stores.
const SCHEMA_FIRST =
  "the server's request-schema check (_assert_required) answers an empty required field before the store: " +
  "\"Missing value for required parameter '<field>'. See the API docs for more information about request parameters.\" (mlflow server 3.18 does the same)";
const MAX_RESULTS =
  "the server's schema check (_assert_less_than_or_equal) answers first: 'Invalid value \"<n>\" for parameter 'max_results' supplied:  Hint: …' " +
  '(mlflow server 3.18 does the same)';
const NULL_TAG =
  "a null tag value cannot travel: MLflow's RestStore leaves the proto field unset, the server reads it as \"\" and stores an empty value " +
  '(mlflow server 3.18 does the same)';
const NO_IMPORT =
  "MLflow's REST API has no call that writes a model with its version numbers, stages and timestamps kept: " +
  '`mlstore migrate` moves a registry between the stores themselves (memory, SQL, file), not over REST';
/**
 * Registry kit cases a store reached over REST cannot pass: an MLflow tracking server (mlstore's and
 * `mlflow server` 3.18 alike) answers them before its store does, or the value cannot travel. For
 * `describeModelRegistryStore(…, { skip })` of a REST client against either server; checked
 * against mlflow server 3.18.0 (packages/server/src/fixtures/registry-wire-mlflow.json).
 */
export const REGISTRY_OVER_REST_SKIPS: Readonly<Record<string, string>> = {
  'export and import > a model comes back whole under another name: versions (a deleted one too), stages, timestamps, tags, aliases': NO_IMPORT,
  'export and import > an imported model answers through the API as its original did': NO_IMPORT,
  'export and import > the next version of an imported model follows the highest imported number, a deleted one included': NO_IMPORT,
  'export and import > importing a model whose name is taken is `exists` and changes nothing': NO_IMPORT,
  'aliases > deleteRegisteredModelAlias refuses an alias that is empty': SCHEMA_FIRST,
  'aliases > getModelVersionByAlias refuses an alias that is empty': SCHEMA_FIRST,
  'aliases > setRegisteredModelAlias refuses an alias that is empty': SCHEMA_FIRST,
  'names > createRegisteredModel refuses a name that is empty': SCHEMA_FIRST,
  'names > deleteRegisteredModel refuses a name that is empty': SCHEMA_FIRST,
  'names > getLatestVersions refuses a name that is empty': SCHEMA_FIRST,
  'names > getRegisteredModel refuses a name that is empty': SCHEMA_FIRST,
  'names > renameRegisteredModel refuses a new name that is empty': SCHEMA_FIRST,
  'names > setRegisteredModelTag refuses a name that is empty': SCHEMA_FIRST,
  'names > updateRegisteredModel refuses a name that is empty': SCHEMA_FIRST,
  'registered models > rename to an empty name: SQL names new_name, File names name': SCHEMA_FIRST,
  'stages > transition to invalid stage "" → INVALID_PARAMETER_VALUE': SCHEMA_FIRST,
  'tags > model version tag delete: a key with empty is refused': SCHEMA_FIRST,
  'tags > model version tag: a key with empty is refused': SCHEMA_FIRST,
  'tags > registered model tag delete: a key with empty is refused': SCHEMA_FIRST,
  'tags > registered model tag: a key with empty is refused': SCHEMA_FIRST,
  'version parsing > deleteModelVersionTag refuses a version that is empty': SCHEMA_FIRST,
  'version parsing > getModelVersion refuses a version that is empty': SCHEMA_FIRST,
  'version parsing > setModelVersionTag refuses a version that is empty': SCHEMA_FIRST,
  'version parsing > setRegisteredModelAlias refuses a version that is empty': SCHEMA_FIRST,
  'version parsing > transitionModelVersionStage refuses a version that is empty': SCHEMA_FIRST,
  'version parsing > updateModelVersion refuses a version that is empty': SCHEMA_FIRST,
  'search errors > searchModelVersions refuses max_results 1000000': MAX_RESULTS,
  'search errors > searchModelVersions refuses max_results 200001': MAX_RESULTS,
  'search errors > searchRegisteredModels refuses max_results 1001': MAX_RESULTS,
  'search errors > searchRegisteredModels refuses max_results 5000': MAX_RESULTS,
  'tags > createModelVersion refuses a null tag value': NULL_TAG,
  'tags > model version tag value null → "Tag value cannot be None"': NULL_TAG,
  'model versions > getModelVersionDownloadUri returns the source runs:/0123456789abcdef0123456789abcdef/model as is':
    "the server's create-version check (_validate_source_run) refuses a runs:/ source whose run_id is not given and existing: " +
    "\"Invalid model version source: 'runs:/…/model'. The run_id request parameter must identify the resource that contains the source.\" " +
    '(mlflow server 3.18 does the same)',
};

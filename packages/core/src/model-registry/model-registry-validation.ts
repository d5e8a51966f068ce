/**
 * MLflow 3.18.0's model-registry input validation and its fixed error messages
 * (`mlflow/utils/validation.py`, `model_version_stages.py`, the file store's stricter name check
 * and the registry stores' not-found / conflict texts); docs/model-registry-3.18.md §3.
 * Every store calls these so the same input fails with the same code and text everywhere.
 */
import { MlflowError } from '../errors.js';
import {
  badPathMessage,
  exceedsMaximumLengthMessage,
  invalidValueMessage,
  missingValueMessage,
  pathNotUnique,
  validateKeyName,
} from '../validation/key-rules.js';
import { PY_WORD_CLASS, pyIntDigits, pyLen, pyStrip, pyStrRepr } from '../validation/python-text.js';
import type { RegistryFlavour } from '../search/registry-filter.js';
import { MODEL_VERSION_STAGES, PROMPT_TAG, PROMPT_TEXT_TAG, type ModelVersionStage } from './model-registry-entities.js';

/** Max registry tag key length (`MAX_MODEL_REGISTRY_TAG_KEY_LENGTH`). */
export const MAX_MODEL_REGISTRY_TAG_KEY_LENGTH = 250;
/** Max registry tag value length, registered-model and model-version tags alike. */
export const MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH = 100_000;
/** Max alias length (`MAX_REGISTERED_MODEL_ALIAS_LENGTH`). */
export const MAX_REGISTERED_MODEL_ALIAS_LENGTH = 255;
/** Stages `archive_existing_versions` may be combined with (`DEFAULT_STAGES_FOR_GET_LATEST_VERSIONS`). */
export const ACTIVE_STAGES: readonly ModelVersionStage[] = ['Staging', 'Production'];

const ALIAS_REGEX = new RegExp(`^[${PY_WORD_CLASS}\\-]*$`, 'u');
const VERSION_ALIAS_REGEX = /^[vV]\p{Nd}+$/u;

function invalid(message: string): MlflowError {
  return MlflowError.invalidParameter(message);
}

/** `_validate_length_limit`: Python counts code points; null/undefined pass. */
function checkLength(entity: string, limit: number, value: string | undefined | null): void {
  if (value !== undefined && value !== null && pyLen(value) > limit) {
    throw invalid(exceedsMaximumLengthMessage(entity, limit));
  }
}

/**
 * A registered-model name (§3.2): not blank (Python `strip()`), no `/` or `:`, resolving to itself
 * as a path; the file store also refuses path separators and `%`. With `param` `'new_name'` the
 * blank check names `new_name` (rename), the other messages still name `name`, as MLflow's.
 * @returns the name. @throws INVALID_PARAMETER_VALUE
 */
export function validateModelName(name: string | undefined | null, flavour: RegistryFlavour, param: 'name' | 'new_name' = 'name'): string {
  if (param === 'new_name' && (name === undefined || name === null || pyStrip(String(name)) === '')) {
    throw invalid(missingValueMessage('new_name'));
  }
  if (name === undefined || name === null || pyStrip(name) === '') throw invalid(missingValueMessage('name'));
  if (name.includes('/') || name.includes(':')) {
    throw invalid(`Invalid model name '${name}'. Names cannot contain '/' or ':'.`);
  }
  if (pathNotUnique(name)) throw invalid(invalidValueMessage('name', name, badPathMessage(name)));
  if (flavour === 'FileStore') {
    // os.sep / os.altsep on POSIX is only '/', already refused above; kept for the message order.
    if (name.includes('/')) throw invalid(`Invalid name: '${name}'. Registered model name cannot contain path separator`);
    if (name.includes('%')) throw invalid(`Invalid name: '${name}'. Registered model name cannot contain '%' character`);
  }
  return name;
}

/** A registered-model tag (§3.3): key characters and path, key ≤ 250, value ≤ 100000 (None allowed). @throws INVALID_PARAMETER_VALUE */
export function validateRegisteredModelTag(key: string | undefined | null, value: string | undefined | null): void {
  validateKeyName(key, 'key', 'tag');
  checkLength('key', MAX_MODEL_REGISTRY_TAG_KEY_LENGTH, key);
  checkLength('value', MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH, value);
}

/**
 * A model-version tag (§3.3): as a registered-model tag, but the value may not be None, and a
 * too-long `mlflow.prompt.text` gets the prompt message. @throws INVALID_PARAMETER_VALUE
 */
export function validateModelVersionTag(key: string | undefined | null, value: string | undefined | null): void {
  validateKeyName(key, 'key', 'tag');
  if (value === undefined || value === null) throw invalid('Tag value cannot be None');
  checkLength('key', MAX_MODEL_REGISTRY_TAG_KEY_LENGTH, key);
  if (key === PROMPT_TEXT_TAG && pyLen(value) > MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH) {
    throw invalid(`Prompt text exceeds max length of ${MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH} characters.`);
  }
  checkLength('value', MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH, value);
}

/** The key check of delete-tag (`_validate_tag_name`: characters and path, no length). @throws INVALID_PARAMETER_VALUE */
export function validateRegistryTagKey(key: string | undefined | null): void {
  validateKeyName(key, 'key', 'tag');
}

/**
 * An alias name (§3.4): not empty, `^[\w-]*$` (Unicode `\w`), ≤ 255 characters; with `forSet`
 * also not `latest` (any case) nor `v<digits>`, which `set` refuses and get/delete accept.
 * @throws INVALID_PARAMETER_VALUE
 */
export function validateAliasName(alias: string | undefined | null, forSet: boolean): void {
  if (alias === undefined || alias === null || alias === '') throw invalid('Registered model alias name cannot be empty.');
  if (!ALIAS_REGEX.test(alias)) {
    throw invalid(`Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`);
  }
  checkLength('Registered model alias name', MAX_REGISTERED_MODEL_ALIAS_LENGTH, alias);
  if (!forSet) return;
  if (isLatestAlias(alias)) throw invalid("'latest' alias name (case insensitive) is reserved.");
  if (VERSION_ALIAS_REGEX.test(alias)) throw invalid(`Version alias name '${alias}' is reserved.`);
}

/** True for `latest` in any case (get-by-alias resolves it to the newest version). */
export function isLatestAlias(alias: string): boolean {
  return alias.toLowerCase() === 'latest';
}

/**
 * A version number as MLflow's `int(version)` reads it (§3.5): `" 3"`, `"+3"`, `"03"`, `"1_0"`,
 * `"１２"` parse; `"3.0"`, `"0x3"`, `""` do not. A number is truncated as `int(float)` does.
 * Integers beyond 2^53 come back rounded (JavaScript numbers).
 * @throws INVALID_PARAMETER_VALUE `Parameter 'version' must be an integer, got '<v>'.`;
 *   INTERNAL_ERROR with Python's own text for None and ±infinity, which MLflow does not catch.
 */
export function parseModelVersion(version: string | number | undefined | null): number {
  if (version === undefined || version === null) {
    throw new MlflowError("int() argument must be a string, a bytes-like object or a real number, not 'NoneType'");
  }
  if (typeof version === 'number') {
    if (Number.isNaN(version)) throw invalid("Parameter 'version' must be an integer, got 'nan'.");
    if (!Number.isFinite(version)) throw new MlflowError('cannot convert float infinity to integer');
    return Math.trunc(version) + 0; // + 0 turns -0 into 0
  }
  const digits = pyIntDigits(version);
  if (digits === undefined) throw invalid(`Parameter 'version' must be an integer, got '${version}'.`);
  return Number(digits);
}

/** The canonical stage for `stage` in any case (§3.6). @throws INVALID_PARAMETER_VALUE */
export function canonicalStage(stage: string): ModelVersionStage {
  const key = stage.toLowerCase();
  const found = MODEL_VERSION_STAGES.find((s) => s.toLowerCase() === key);
  if (found === undefined) {
    throw invalid(`Invalid Model Version stage: ${stage}. Value must be one of ${MODEL_VERSION_STAGES.join(', ')}.`);
  }
  return found;
}

/** `Registered Model with name=<name> not found` (RESOURCE_DOES_NOT_EXIST). */
export function registeredModelNotFound(name: string): MlflowError {
  return MlflowError.notFound(`Registered Model with name=${name} not found`);
}

/** `Model Version (name=<name>, version=<version>) not found` (RESOURCE_DOES_NOT_EXIST), with the parsed number. */
export function modelVersionNotFound(name: string, version: number): MlflowError {
  return MlflowError.notFound(`Model Version (name=${name}, version=${version}) not found`);
}

/** `Registered Model (name=<name>) already exists.` (RESOURCE_ALREADY_EXISTS). */
export function registeredModelExists(name: string): MlflowError {
  return new MlflowError(`Registered Model (name=${name}) already exists.`, 'RESOURCE_ALREADY_EXISTS');
}

/** True when the tags mark a prompt: the `mlflow.prompt.is_prompt` key is present, whatever its value. */
export function isPromptTags(tags: readonly { key: string }[] | undefined): boolean {
  return tags?.some((t) => t.key === PROMPT_TAG) ?? false;
}

/**
 * The RESOURCE_ALREADY_EXISTS of a create whose name is taken (`handle_resource_already_exist_error`):
 * a prompt and a model may not share a name; the same kind twice is `<Kind> (name=<n>) already exists.`
 * `newIsPrompt` defaults to the other kind than the existing one (the clash).
 */
export function modelPromptClash(name: string, existingIsPrompt: boolean, newIsPrompt = !existingIsPrompt): MlflowError {
  const oldEntity = existingIsPrompt ? 'Prompt' : 'Registered Model';
  const newEntity = newIsPrompt ? 'Prompt' : 'Registered Model';
  if (oldEntity === newEntity) return new MlflowError(`${newEntity} (name=${name}) already exists.`, 'RESOURCE_ALREADY_EXISTS');
  return new MlflowError(
    `Tried to create a ${newEntity.toLowerCase()} with name ${pyStrRepr(name)}, but the name is already taken by a ` +
      `${oldEntity.toLowerCase()}. MLflow does not allow creating a model and a prompt with the same name.`,
    'RESOURCE_ALREADY_EXISTS',
  );
}

/**
 * Transition with `archive_existing_versions` to a stage other than Staging/Production (§5.1):
 * MLflow raises it without a code, so INTERNAL_ERROR (500), quoting the stage as given.
 */
export function checkArchiveStage(stageAsGiven: string, canonical: ModelVersionStage, archiveExisting: boolean): void {
  if (archiveExisting && !ACTIVE_STAGES.includes(canonical)) {
    throw new MlflowError(
      `Model version transition cannot archive existing model versions because '${stageAsGiven}' is not an Active stage. ` +
        `Valid stages are [${ACTIVE_STAGES.map((s) => `'${s}'`).join(', ')}]`,
    );
  }
}

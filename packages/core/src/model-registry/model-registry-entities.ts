/**
 * MLflow's model-registry entities (`mlflow/protos/model_registry.proto`), with the proto/JSON
 * field names as the tracking entities have them. Version numbers are strings, as on the wire
 * (`"version": "3"`); stores keep integers and convert at their edge. See
 * docs/model-registry-3.18.md §2 for what each store fills in.
 */
import type { KeyValue } from '../entities.js';

/** Stages a version can be in; `Deleted_Internal` marks a soft-deleted version and is never returned. */
export const ModelVersionStage = { NONE: 'None', STAGING: 'Staging', PRODUCTION: 'Production', ARCHIVED: 'Archived' } as const;
export type ModelVersionStage = (typeof ModelVersionStage)[keyof typeof ModelVersionStage];
/** The stages in MLflow's order (`ALL_STAGES`). */
export const MODEL_VERSION_STAGES: readonly ModelVersionStage[] = ['None', 'Staging', 'Production', 'Archived'];
/** The stage of a soft-deleted version in MLflow's tables and files. */
export const DELETED_STAGE = 'Deleted_Internal';

/** Registration status by proto name; MLflow's SQL and file stores only ever write `READY`. */
export const ModelVersionStatus = { PENDING_REGISTRATION: 'PENDING_REGISTRATION', FAILED_REGISTRATION: 'FAILED_REGISTRATION', READY: 'READY' } as const;
export type ModelVersionStatus = (typeof ModelVersionStatus)[keyof typeof ModelVersionStatus];
/** Proto numbers of {@link ModelVersionStatus}. */
export const MODEL_VERSION_STATUS_NUMBERS: Record<ModelVersionStatus, number> = { PENDING_REGISTRATION: 1, FAILED_REGISTRATION: 2, READY: 3 };

export type RegisteredModelTag = KeyValue;
export type ModelVersionTag = KeyValue;

/** An alias of a registered model and the version it points to. */
export interface RegisteredModelAlias {
  alias: string;
  version: string;
}

export interface ModelVersion {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp?: number;
  user_id?: string;
  current_stage: string;
  description?: string;
  source?: string;
  run_id?: string;
  status: ModelVersionStatus;
  status_message?: string;
  tags: ModelVersionTag[];
  run_link?: string;
  /** Alias names pointing at this version. */
  aliases: string[];
  /** The logged model (`m-…`) it was registered from; kept by the file store only, never on the wire. */
  model_id?: string;
}

export interface RegisteredModel {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp?: number;
  user_id?: string;
  description?: string;
  /** The highest-numbered non-deleted version of each stage. */
  latest_versions: ModelVersion[];
  tags: RegisteredModelTag[];
  aliases: RegisteredModelAlias[];
}

/** Tag marking a registered model (and its versions) as a prompt of MLflow's prompt registry. */
export const PROMPT_TAG = 'mlflow.prompt.is_prompt';
/** Tag holding a prompt version's template text. */
export const PROMPT_TEXT_TAG = 'mlflow.prompt.text';

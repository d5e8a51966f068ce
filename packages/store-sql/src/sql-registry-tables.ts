import type { Kysely } from 'kysely';
import type { Database } from './db-types.js';

/**
 * The workspace every row of MLflow's registry tables carries in a single-tenant store:
 * MLflow 3.18's `DEFAULT_WORKSPACE_NAME` (`mlflow/utils/workspace_utils.py`), which its
 * SqlAlchemyStore writes on every row and filters every query on.
 */
export const DEFAULT_WORKSPACE = 'default';

export interface RegisteredModelsTable {
  name: string;
  creation_time: number | null;
  last_updated_time: number | null;
  description: string | null;
  workspace: string;
}

export interface ModelVersionsTable {
  name: string;
  version: number;
  creation_time: number | null;
  last_updated_time: number | null;
  description: string | null;
  user_id: string | null;
  current_stage: string | null;
  source: string | null;
  run_id: string | null;
  status: string | null;
  status_message: string | null;
  run_link: string | null;
  storage_location: string | null;
  workspace: string;
}

export interface RegisteredModelTagsTable {
  key: string;
  value: string | null;
  name: string;
  workspace: string;
}

export interface ModelVersionTagsTable {
  key: string;
  value: string | null;
  name: string;
  version: number;
  workspace: string;
}

export interface RegisteredModelAliasesTable {
  alias: string;
  version: number;
  name: string;
  workspace: string;
}

/** MLflow's model-registry tables (alembic head f4a9b2c7d1e6), as the registry store uses them. */
export interface RegistryTables {
  registered_models: RegisteredModelsTable;
  model_versions: ModelVersionsTable;
  registered_model_tags: RegisteredModelTagsTable;
  model_version_tags: ModelVersionTagsTable;
  registered_model_aliases: RegisteredModelAliasesTable;
}

export type RegistryDb = Kysely<Database & RegistryTables>;

export type RegisteredModelRow = RegisteredModelsTable;
export type ModelVersionRow = ModelVersionsTable;

/** The tables MLflow's registry store refuses to start without (`_verify_registry_tables_exist`). */
export const REQUIRED_REGISTRY_TABLES = ['registered_models', 'model_versions', 'webhooks', 'webhook_events'] as const;

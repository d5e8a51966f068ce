import type { ModelRegistryRpc } from '@mlstore/core';
import type { FieldSpec, MessageSchema } from './rpc-schemas.js';

const s: FieldSpec = { type: 'string' };
const req: FieldSpec = { type: 'string', required: true };
const strings: FieldSpec = { type: 'string[]' };
const keyValues: FieldSpec = { type: 'object[]', items: { key: s, value: s } };
const version = { name: req, version: req };
const page = (max: number): MessageSchema => ({ filter: s, max_results: { type: 'int', max }, order_by: strings, page_token: s });

/**
 * The request schemas of MLflow 3.18's registry handlers (server/handlers.py; the checks of
 * docs/model-registry-3.18.md §3.1). `get-download-uri` has none in MLflow beyond the proto types.
 */
export const REGISTRY_RPC_SCHEMAS: Record<ModelRegistryRpc, MessageSchema> = {
  createRegisteredModel: { name: req, tags: keyValues, description: s, deployment_job_id: s },
  getRegisteredModel: { name: req },
  renameRegisteredModel: { name: req, new_name: req },
  updateRegisteredModel: { name: req, description: s, deployment_job_id: s },
  deleteRegisteredModel: { name: req },
  searchRegisteredModels: page(1000),
  getLatestVersions: { name: req, stages: strings },
  setRegisteredModelTag: { name: req, key: req, value: s },
  deleteRegisteredModelTag: { name: req, key: req },
  setRegisteredModelAlias: { name: req, alias: req, version: req },
  deleteRegisteredModelAlias: { name: req, alias: req },
  getModelVersionByAlias: { name: req, alias: req },
  createModelVersion: { name: req, source: req, run_id: s, tags: keyValues, run_link: s, description: s, model_id: s },
  getModelVersion: version,
  updateModelVersion: { ...version, description: s },
  transitionModelVersionStage: { ...version, stage: req, archive_existing_versions: { type: 'bool' } },
  deleteModelVersion: version,
  searchModelVersions: page(200_000),
  getModelVersionDownloadUri: { name: s, version: s },
  setModelVersionTag: { ...version, key: req, value: s },
  deleteModelVersionTag: { ...version, key: req },
};

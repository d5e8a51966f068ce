/**
 * Registry records (registry-meta.ts) as the entities MLflow's file store returns: every version
 * carries its aliases (also inside `latest_versions` and search results), `model_id` is kept.
 */
import { MODEL_VERSION_STAGES, type ModelVersion, type ModelVersionStage, type RegisteredModel } from '@mlstore/core';
import { readVersionRecords, type RegistryModelRecord, type RegistryVersionRecord } from './registry-meta.js';

/** Tags as the entities' key/value list. */
export const tagList = (tags: ReadonlyMap<string, string>) => [...tags].map(([key, value]) => ({ key, value }));

/** A version of `m` as an entity, with the aliases of `m` that point at it. */
export function versionEntity(m: RegistryModelRecord, v: RegistryVersionRecord): ModelVersion {
  const mv: ModelVersion = {
    name: m.name,
    version: String(v.version),
    creation_timestamp: v.creation ?? 0,
    current_stage: v.stage,
    status: v.status as ModelVersion['status'],
    tags: tagList(v.tags),
    aliases: [...m.aliases].filter(([, n]) => n === String(v.version)).map(([a]) => a),
  };
  if (v.lastUpdated !== null) mv.last_updated_timestamp = v.lastUpdated;
  if (v.userId !== null) mv.user_id = v.userId;
  if (v.description !== null) mv.description = v.description;
  if (v.source !== null) mv.source = v.source;
  if (v.runId !== null) mv.run_id = v.runId;
  if (v.statusMessage !== null) mv.status_message = v.statusMessage;
  if (v.runLink !== null) mv.run_link = v.runLink;
  if (v.modelId !== null) mv.model_id = v.modelId;
  return mv;
}

/** The highest-numbered version per stage among `versions` (deleted ones never match a stage), in `stages` order. */
export function latestVersions(versions: readonly RegistryVersionRecord[], stages: readonly ModelVersionStage[]): RegistryVersionRecord[] {
  const best = new Map<string, RegistryVersionRecord>();
  for (const v of versions) {
    if (!stages.includes(v.stage as ModelVersionStage)) continue;
    const cur = best.get(v.stage);
    if (!cur || v.version > cur.version) best.set(v.stage, v);
  }
  return stages.flatMap((s) => best.get(s) ?? []);
}

/** A registered model as an entity, with its latest versions (aliases included) read from its folder. */
export function modelEntity(m: RegistryModelRecord): RegisteredModel {
  const rm: RegisteredModel = {
    name: m.name,
    creation_timestamp: m.creation ?? 0,
    latest_versions: latestVersions(readVersionRecords(m.dir), MODEL_VERSION_STAGES).map((v) => versionEntity(m, v)),
    tags: tagList(m.tags),
    aliases: [...m.aliases].map(([alias, version]) => ({ alias, version })),
  };
  if (m.lastUpdated !== null) rm.last_updated_timestamp = m.lastUpdated;
  if (m.description !== null) rm.description = m.description;
  return rm;
}

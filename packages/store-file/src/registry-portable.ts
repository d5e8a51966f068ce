/**
 * Export and import of whole registered models for `mlstore migrate`: a model folder read into
 * {@link RegisteredModelExport} (deleted versions too, as their meta.yaml holds them), and one
 * written back from it with MLflow's byte layout — versions, tags and aliases first, the model's
 * meta.yaml last, so a folder without it is an interrupted import, cleared when the import is run
 * again.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  parseModelVersion,
  validateAliasName,
  validateModelVersionTag,
  validateRegisteredModelTag,
  type KeyValue,
  type ModelVersionExport,
  type RegisteredModelExport,
} from '@mlstore/core';
import { writeError } from './file-io.js';
import {
  modelMetaText,
  readVersionRecords,
  REGISTRY_ALIASES,
  REGISTRY_META,
  REGISTRY_TAGS,
  VERSION_PREFIX,
  versionMetaText,
  type RegistryModelRecord,
  type RegistryVersionRecord,
} from './registry-meta.js';
import { writeKeys } from './registry-writes.js';

/** The lock file of the model folder (FileIo.withLock), which an import runs under. */
const LOCK_FILE = '.mlstore.lock';

const keyValues = (m: ReadonlyMap<string, string>): KeyValue[] => [...m].map(([key, value]) => ({ key, value }));
const opt = <K extends string, V>(key: K, v: V | null): Partial<Record<K, V>> => (v === null ? {} : ({ [key]: v } as Record<K, V>));

function versionExport(v: RegistryVersionRecord): ModelVersionExport {
  return {
    version: String(v.version),
    ...opt('creation_timestamp', v.creation),
    ...opt('last_updated_timestamp', v.lastUpdated),
    ...opt('user_id', v.userId),
    current_stage: v.stage,
    ...opt('description', v.description),
    ...opt('source', v.source),
    ...opt('run_id', v.runId),
    status: v.status,
    ...opt('status_message', v.statusMessage),
    ...opt('run_link', v.runLink),
    ...opt('storage_location', v.storageLocation),
    ...opt('model_id', v.modelId),
    tags: keyValues(v.tags),
  };
}

/** A model folder as an export: every readable version in number order. */
export function exportModelRecord(m: RegistryModelRecord): RegisteredModelExport {
  return {
    name: m.name,
    ...opt('creation_timestamp', m.creation),
    ...opt('last_updated_timestamp', m.lastUpdated),
    ...opt('description', m.description),
    tags: keyValues(m.tags),
    aliases: [...m.aliases].map(([alias, version]) => ({ alias, version })),
    versions: readVersionRecords(m.dir)
      .sort((a, b) => a.version - b.version)
      .map(versionExport),
  };
}

/** Refuses what could not be written as MLflow's files (a tag key climbing out of its folder, …) before anything is. */
function checkWritable(model: RegisteredModelExport): void {
  for (const t of model.tags) validateRegisteredModelTag(t.key, t.value);
  for (const a of model.aliases) {
    validateAliasName(a.alias, false);
    parseModelVersion(a.version);
  }
  for (const v of model.versions) {
    parseModelVersion(v.version);
    for (const t of v.tags) validateModelVersionTag(t.key, t.value);
  }
}

/**
 * Writes `model` into `dir` (the model folder, which exists and has no meta.yaml: anything in it
 * but the lock is an interrupted import's and is removed first).
 */
export function writeImportedModel(dir: string, model: RegisteredModelExport): void {
  checkWritable(model);
  try {
    for (const entry of readdirSync(dir)) if (entry !== LOCK_FILE) rmSync(join(dir, entry), { recursive: true, force: true });
    for (const v of model.versions) {
      const n = parseModelVersion(v.version);
      const vdir = join(dir, `${VERSION_PREFIX}${n}`);
      mkdirSync(vdir);
      const record: RegistryVersionRecord = {
        dir: vdir,
        name: model.name,
        version: n,
        creation: v.creation_timestamp ?? null,
        lastUpdated: v.last_updated_timestamp ?? null,
        stage: v.current_stage,
        description: v.description ?? null,
        source: v.source ?? null,
        runId: v.run_id ?? null,
        runLink: v.run_link ?? null,
        modelId: v.model_id ?? null,
        storageLocation: v.storage_location ?? null,
        status: v.status,
        statusMessage: v.status_message ?? null,
        userId: v.user_id ?? null,
        tags: new Map(v.tags.map((t) => [t.key, t.value ?? ''])),
        raw: {},
      };
      writeFileSync(join(vdir, REGISTRY_META), versionMetaText(record));
      writeKeys(record.tags, join(vdir, REGISTRY_TAGS));
    }
    const record: RegistryModelRecord = {
      dir,
      name: model.name,
      creation: model.creation_timestamp ?? null,
      lastUpdated: model.last_updated_timestamp ?? null,
      description: model.description ?? null,
      tags: new Map(model.tags.map((t) => [t.key, t.value ?? ''])),
      aliases: new Map(model.aliases.map((a) => [a.alias, String(parseModelVersion(a.version))])),
      raw: {},
    };
    writeKeys(record.tags, join(dir, REGISTRY_TAGS));
    writeKeys(record.aliases, join(dir, REGISTRY_ALIASES));
    const meta = join(dir, `${REGISTRY_META}.import`);
    writeFileSync(meta, modelMetaText(record));
    renameSync(meta, join(dir, REGISTRY_META));
  } catch (err) {
    throw writeError(err);
  }
}

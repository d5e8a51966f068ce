/**
 * Moving a model registry between stores with everything kept: the export form of a registered
 * model (all its versions, soft-deleted ones too, with their numbers, stages, timestamps, tags and
 * aliases), the {@link PortableModelRegistryStore} contract the memory, SQL and file stores
 * implement, and {@link migrateRegistry}, which `mlstore migrate` runs after the tracking data.
 */
import { setImmediate } from 'node:timers/promises';
import type { CallOptions } from '../abstract-store.js';
import { throwIfAborted } from '../base-store.js';
import type { ImportOutcome } from '../maintenance.js';
import type { MigrationMismatch } from '../verify-migration.js';
import type { KeyValue } from '../entities.js';
import type { RegisteredModelAlias } from './model-registry-entities.js';
import type { ModelRegistryStore } from './model-registry-store.js';

/**
 * A model version as a store holds it, soft-deleted ones included (`current_stage`
 * `Deleted_Internal`, with whatever the store kept of them: MLflow's SQL store redacts source, run
 * and description on delete, its file store keeps them). Absent fields are NULL in the store.
 */
export interface ModelVersionExport {
  version: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  user_id?: string;
  current_stage: string;
  description?: string;
  source?: string;
  run_id?: string;
  status: string;
  status_message?: string;
  run_link?: string;
  /** Where the version's files are when it differs from `source` (a logged model's artifacts). */
  storage_location?: string;
  /** The logged model it comes from; only MLflow's file store keeps it (SQL stores resolve it from `source`). */
  model_id?: string;
  tags: KeyValue[];
}

/** A registered model with its tags, aliases and every version, in ascending version order. */
export interface RegisteredModelExport {
  name: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  description?: string;
  tags: KeyValue[];
  aliases: RegisteredModelAlias[];
  versions: ModelVersionExport[];
}

/** A registry store that can export and import whole registered models with nothing changed. */
export interface PortableModelRegistryStore extends ModelRegistryStore {
  /** Every registered model (prompts too), each with all of its versions. */
  exportRegisteredModels(opts?: CallOptions): AsyncIterable<RegisteredModelExport>;
  /**
   * Creates the model with its tags, aliases and versions exactly as given (numbers, stages,
   * timestamps, deleted versions) in one atomic step, so the next version created gets the number
   * after the highest imported one. A model of that name already there is `exists`, unchanged (a
   * resumed migration; {@link migrateRegistry}'s verification reports one that differs).
   */
  importRegisteredModel(model: RegisteredModelExport, opts?: CallOptions): Promise<ImportOutcome>;
}

export function isPortableModelRegistryStore(store: ModelRegistryStore): store is PortableModelRegistryStore {
  const s = store as Partial<PortableModelRegistryStore>;
  return typeof s.exportRegisteredModels === 'function' && typeof s.importRegisteredModel === 'function';
}

/** A difference {@link migrateRegistry} found between a source model and its copy (`field`: `missing`, `unexpected` or the field). */
export type RegistryMismatch = MigrationMismatch & { entity: 'registered-model' | 'model-version' };

/** What {@link migrateRegistry} did. */
export interface RegistryMigrationReport {
  registeredModels: { created: number; skipped: number };
  /** Versions of the models created (deleted ones included). */
  modelVersions: number;
  /** Absent when verification was turned off. */
  verification?: { ok: boolean; registeredModels: number; modelVersions: number; mismatches: RegistryMismatch[] };
}

export interface MigrateRegistryOptions extends CallOptions {
  /** After every model. */
  onProgress?: (done: number, total: number) => void;
  /** Compare every model of source and target at the end. Default true. */
  verify?: boolean;
  /**
   * Where a version's `source` / `storage_location` is in the target, when the migration moved
   * the artifacts (`migrate --copy-artifacts`); default: kept as they are.
   */
  relocate?: (uri: string) => string;
}

const byKey = (a: KeyValue, b: KeyValue) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * A model as it must read back from `target`: tags and aliases in key order, versions in number
 * order, and without what the target cannot keep (a logged model id in a SQL store).
 */
function canonical(m: RegisteredModelExport, target: ModelRegistryStore): RegisteredModelExport {
  const keepsModelId = target.capabilities.flavour === 'FileStore';
  return {
    ...m,
    tags: [...m.tags].sort(byKey),
    aliases: [...m.aliases].sort((a, b) => (a.alias < b.alias ? -1 : a.alias > b.alias ? 1 : 0)),
    versions: [...m.versions]
      .sort((a, b) => Number(a.version) - Number(b.version))
      .map(({ model_id, ...v }) => ({ ...v, tags: [...v.tags].sort(byKey), ...(keepsModelId && model_id !== undefined ? { model_id } : {}) })),
  };
}

function compareModels(source: RegisteredModelExport, target: RegisteredModelExport, out: RegistryMismatch[]): void {
  const field = (entity: RegistryMismatch['entity'], id: string, name: string, a: unknown, b: unknown) => {
    const sa = a === undefined ? null : typeof a === 'object' ? JSON.stringify(a) : (a as string | number);
    const sb = b === undefined ? null : typeof b === 'object' ? JSON.stringify(b) : (b as string | number);
    if (sa !== sb) out.push({ entity, id, field: name, source: sa, target: sb });
  };
  for (const k of ['creation_timestamp', 'last_updated_timestamp', 'description', 'tags', 'aliases'] as const) {
    field('registered-model', source.name, k, source[k], target[k]);
  }
  const targetVersions = new Map(target.versions.map((v) => [v.version, v]));
  for (const v of source.versions) {
    const id = `${source.name}/${v.version}`;
    const t = targetVersions.get(v.version);
    targetVersions.delete(v.version);
    if (!t) {
      out.push({ entity: 'model-version', id, field: 'missing', source: v.current_stage, target: null });
      continue;
    }
    const keys = new Set([...Object.keys(v), ...Object.keys(t)] as (keyof ModelVersionExport)[]);
    for (const k of [...keys].sort()) field('model-version', id, k, v[k], t[k]);
  }
  for (const v of targetVersions.values()) out.push({ entity: 'model-version', id: `${source.name}/${v.version}`, field: 'unexpected', source: null, target: v.current_stage });
}

/**
 * Copies every registered model of `source` into `target` with its name, timestamps, description,
 * tags, aliases and every version (numbers, stages, deleted versions, sources, run ids, storage
 * locations, tags) kept, one atomic import per model, so an interrupted copy is resumed by calling
 * it again (models already there are skipped). Then, unless `verify: false`, every model of the
 * source is compared field by field with its copy.
 *
 * Artifacts are not moved here: versions keep pointing where their files are, unless `relocate`
 * says where a migration copied them.
 * @throws CANCELLED when `signal` aborts (what was copied stays)
 */
export async function migrateRegistry(
  source: PortableModelRegistryStore,
  target: PortableModelRegistryStore,
  options: MigrateRegistryOptions = {},
): Promise<RegistryMigrationReport> {
  const call: CallOptions = options.signal ? { signal: options.signal } : {};
  const models: RegisteredModelExport[] = [];
  const relocate = options.relocate;
  const relocated = (m: RegisteredModelExport): RegisteredModelExport =>
    relocate
      ? {
          ...m,
          versions: m.versions.map((v) => ({
            ...v,
            ...(v.source !== undefined ? { source: relocate(v.source) } : {}),
            ...(v.storage_location !== undefined ? { storage_location: relocate(v.storage_location) } : {}),
          })),
        }
      : m;
  for await (const m of source.exportRegisteredModels(call)) models.push(relocated(m));
  const report: RegistryMigrationReport = { registeredModels: { created: 0, skipped: 0 }, modelVersions: 0 };
  for (const [i, m] of models.entries()) {
    await setImmediate();
    throwIfAborted(call);
    if ((await target.importRegisteredModel(m, call)) === 'created') {
      report.registeredModels.created++;
      report.modelVersions += m.versions.length;
    } else {
      report.registeredModels.skipped++;
    }
    options.onProgress?.(i + 1, models.length);
  }
  if (options.verify === false) return report;

  const copies = new Map<string, RegisteredModelExport>();
  for await (const m of target.exportRegisteredModels(call)) copies.set(m.name, m);
  const mismatches: RegistryMismatch[] = [];
  let versions = 0;
  for (const m of models) {
    versions += m.versions.length;
    const copy = copies.get(m.name);
    if (!copy) mismatches.push({ entity: 'registered-model', id: m.name, field: 'missing', source: m.versions.length, target: null });
    else compareModels(canonical(m, target), canonical(copy, target), mismatches);
  }
  // Models the target had before are its own, not a migration's mistake: they are not reported.
  report.verification = { ok: mismatches.length === 0, registeredModels: models.length, modelVersions: versions, mismatches };
  return report;
}

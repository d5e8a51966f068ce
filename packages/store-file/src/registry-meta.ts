/**
 * The model registry's `<root>/models/` files as MLflow 3.18's registry FileStore writes them
 * (docs/model-registry-3.18.md §7): one folder per registered model with `meta.yaml`, `tags/`,
 * `aliases/` and `version-<n>/` folders (each with `meta.yaml` and `tags/`). This module turns
 * those files into records and records back into byte-identical `meta.yaml` text.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pyYamlDump, type PyYamlValue } from './py-yaml.js';
import { errno, isMissing, readKeyFolder, readTextSync } from './file-io.js';
import { MalformedMetaError, readMeta } from './mlruns-meta.js';

/** Folder and file names of the registry layout. */
export const REGISTRY_MODELS = 'models';
export const REGISTRY_META = 'meta.yaml';
export const REGISTRY_TAGS = 'tags';
export const REGISTRY_ALIASES = 'aliases';
export const VERSION_PREFIX = 'version-';

/** A registered model as its folder holds it. `raw` keeps keys we do not model, rewritten as read. */
export interface RegistryModelRecord {
  dir: string;
  name: string;
  creation: number | null;
  lastUpdated: number | null;
  description: string | null;
  tags: Map<string, string>;
  /** alias → version digits, from the `aliases/` folder (the meta's `aliases` key is a stale snapshot). */
  aliases: Map<string, string>;
  raw: Record<string, unknown>;
}

/** A model version as its `version-<n>` folder holds it. */
export interface RegistryVersionRecord {
  dir: string;
  name: string;
  version: number;
  creation: number | null;
  lastUpdated: number | null;
  stage: string;
  description: string | null;
  source: string | null;
  runId: string | null;
  runLink: string | null;
  modelId: string | null;
  storageLocation: string | null;
  status: string;
  statusMessage: string | null;
  userId: string | null;
  tags: Map<string, string>;
  raw: Record<string, unknown>;
}

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const int = (v: unknown): number | null => (typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : null);

/** The parsed meta.yaml of `dir`, or undefined when there is none (a folder being created). */
function readMetaOf(dir: string): Record<string, unknown> | undefined {
  const text = readTextSync(join(dir, REGISTRY_META));
  if (text === undefined) return undefined;
  return readMeta(text, dir);
}

/** Reads the registered model in `dir`; undefined when the folder or its meta.yaml is absent. */
export function readModelRecord(dir: string, fallbackName: string): RegistryModelRecord | undefined {
  const meta = readMetaOf(dir);
  if (meta === undefined) return undefined;
  return {
    dir,
    name: str(meta.name) ?? fallbackName,
    creation: int(meta.creation_timestamp),
    lastUpdated: int(meta.last_updated_timestamp),
    description: str(meta.description),
    tags: readKeyFolder(join(dir, REGISTRY_TAGS)),
    aliases: readKeyFolder(join(dir, REGISTRY_ALIASES)),
    raw: meta,
  };
}

/** Reads the version in `dir` (`version-<n>`); undefined when its meta.yaml is absent. */
export function readVersionRecord(dir: string, dirVersion: number): RegistryVersionRecord | undefined {
  const meta = readMetaOf(dir);
  if (meta === undefined) return undefined;
  return {
    dir,
    name: str(meta.name) ?? '',
    version: int(meta.version) ?? dirVersion,
    creation: int(meta.creation_timestamp),
    lastUpdated: int(meta.last_updated_timestamp),
    stage: str(meta.current_stage) ?? 'None',
    description: str(meta.description),
    source: str(meta.source),
    runId: str(meta.run_id),
    runLink: str(meta.run_link),
    modelId: str(meta.model_id),
    storageLocation: str(meta.storage_location),
    status: str(meta.status) ?? 'READY',
    statusMessage: str(meta.status_message),
    userId: str(meta.user_id),
    tags: readKeyFolder(join(dir, REGISTRY_TAGS)),
    raw: meta,
  };
}

/**
 * The `version-<n>` folders of a model folder as `[n, path]`, as MLflow lists them (every folder
 * whose name starts with `version-`; one whose suffix is not a number is skipped here, MLflow would
 * fail on it). Versions whose meta.yaml is missing or unreadable are left out by the readers.
 */
export function versionDirs(modelDir: string): [number, string][] {
  let entries;
  try {
    entries = readdirSync(modelDir, { withFileTypes: true });
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
  const out: [number, string][] = [];
  for (const e of entries) {
    if (!e.isDirectory() || !e.name.startsWith(VERSION_PREFIX)) continue;
    const digits = e.name.slice(VERSION_PREFIX.length);
    if (/^\d+$/.test(digits)) out.push([Number(digits), join(modelDir, e.name)]);
  }
  return out;
}

/** Every readable version of a model folder (a malformed meta.yaml is skipped). */
export function readVersionRecords(modelDir: string): RegistryVersionRecord[] {
  const out: RegistryVersionRecord[] = [];
  for (const [n, dir] of versionDirs(modelDir)) {
    try {
      const v = readVersionRecord(dir, n);
      if (v) out.push(v);
    } catch (err) {
      if (!(err instanceof MalformedMetaError) && errno(err) === undefined) throw err;
    }
  }
  return out;
}

/**
 * Registered-model meta.yaml as MLflow writes it: every entity property except `tags` and
 * `latest_versions`, keys sorted, with the current aliases as a snapshot (`{}` when none).
 */
export function modelMetaText(m: RegistryModelRecord): string {
  const data: Record<string, PyYamlValue> = {
    ...(m.raw as Record<string, PyYamlValue>),
    aliases: Object.fromEntries(m.aliases),
    creation_timestamp: m.creation,
    deployment_job_id: (m.raw.deployment_job_id as PyYamlValue | undefined) ?? null,
    deployment_job_state: (m.raw.deployment_job_state as PyYamlValue | undefined) ?? null,
    description: m.description,
    last_updated_timestamp: m.lastUpdated,
    name: m.name,
    workspace: (m.raw.workspace as PyYamlValue | undefined) ?? 'default',
  };
  return pyYamlDump(data);
}

/**
 * Version meta.yaml as MLflow writes it: every `FileModelVersion` property except `tags`,
 * `metrics`, `params` and `aliases`; `current_stage: None` is the string, `version` an int.
 */
export function versionMetaText(v: RegistryVersionRecord): string {
  const data: Record<string, PyYamlValue> = {
    ...(v.raw as Record<string, PyYamlValue>),
    creation_timestamp: v.creation,
    current_stage: v.stage,
    deployment_job_state: (v.raw.deployment_job_state as PyYamlValue | undefined) ?? null,
    description: v.description,
    last_updated_timestamp: v.lastUpdated,
    model_id: v.modelId,
    name: v.name,
    run_id: v.runId,
    run_link: v.runLink,
    source: v.source,
    status: v.status,
    status_message: v.statusMessage,
    storage_location: v.storageLocation,
    user_id: v.userId,
    version: v.version,
    workspace: (v.raw.workspace as PyYamlValue | undefined) ?? 'default',
  };
  return pyYamlDump(data);
}

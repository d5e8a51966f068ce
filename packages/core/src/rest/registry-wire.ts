import type { ModelVersion, ModelVersionStatus, RegisteredModel } from '../model-registry/model-registry-entities.js';
import { MODEL_VERSION_STATUS_NUMBERS } from '../model-registry/model-registry-entities.js';
import { keyValuesFromWire } from './wire-decode.js';
import { wireInteger } from './wire-json.js';

// MLflow 3.18's registry entities on the wire (`ModelVersion.to_proto`, `RegisteredModel.to_proto`
// through `message_to_json`), keys in proto field order as MLflow writes them. See
// docs/model-registry-3.18.md §2.2.

type Wire = Record<string, unknown>;

const obj = (v: unknown): Wire => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Wire) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
const optStr = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : str(v));

/**
 * A `ModelVersion` as MLflow's server emits it: optional strings whenever set (an empty string
 * included), `status_message` only when non-empty, empty lists left out, and never `model_id`
 * (MLflow's `to_proto` does not write it).
 */
export function modelVersionToWire(mv: ModelVersion): Wire {
  const w: Wire = { name: mv.name, version: String(mv.version), creation_timestamp: mv.creation_timestamp };
  if (mv.last_updated_timestamp !== undefined && mv.last_updated_timestamp !== null) w['last_updated_timestamp'] = mv.last_updated_timestamp;
  if (mv.user_id != null) w['user_id'] = mv.user_id;
  if (mv.current_stage != null) w['current_stage'] = mv.current_stage;
  if (mv.description != null) w['description'] = mv.description;
  if (mv.source != null) w['source'] = mv.source;
  if (mv.run_id != null) w['run_id'] = mv.run_id;
  if (mv.status != null) w['status'] = mv.status;
  if (mv.status_message) w['status_message'] = mv.status_message;
  if (mv.tags.length > 0) w['tags'] = mv.tags.map((t) => ({ key: t.key, value: t.value }));
  if (mv.run_link != null) w['run_link'] = mv.run_link;
  if (mv.aliases.length > 0) w['aliases'] = [...mv.aliases];
  return w;
}

/**
 * A `RegisteredModel` as MLflow's server emits it: `last_updated_timestamp` and `description`
 * only when truthy (an empty description disappears), aliases as `{alias, version}` with string
 * versions, empty lists left out.
 */
export function registeredModelToWire(rm: RegisteredModel): Wire {
  const w: Wire = { name: rm.name };
  if (rm.creation_timestamp != null) w['creation_timestamp'] = rm.creation_timestamp;
  if (rm.last_updated_timestamp) w['last_updated_timestamp'] = rm.last_updated_timestamp;
  if (rm.description) w['description'] = rm.description;
  if (rm.latest_versions.length > 0) w['latest_versions'] = rm.latest_versions.map(modelVersionToWire);
  if (rm.tags.length > 0) w['tags'] = rm.tags.map((t) => ({ key: t.key, value: t.value }));
  if (rm.aliases.length > 0) w['aliases'] = rm.aliases.map((a) => ({ alias: a.alias, version: String(a.version) }));
  return w;
}

function statusFromWire(v: unknown): ModelVersionStatus {
  if (typeof v === 'string' && v in MODEL_VERSION_STATUS_NUMBERS) return v as ModelVersionStatus;
  const n = wireInteger(v);
  const name = (Object.keys(MODEL_VERSION_STATUS_NUMBERS) as ModelVersionStatus[]).find((k) => MODEL_VERSION_STATUS_NUMBERS[k] === n);
  return name ?? 'READY';
}

/** A `ModelVersion` from any MLflow server's JSON (absent optional fields stay undefined, as MLflow's `from_proto` leaves them None only where the proto has no value). */
export function modelVersionFromWire(v: unknown): ModelVersion {
  const w = obj(v);
  const mv: ModelVersion = {
    name: str(w['name']),
    version: str(w['version']),
    creation_timestamp: wireInteger(w['creation_timestamp']) ?? 0,
    current_stage: str(w['current_stage']),
    status: statusFromWire(w['status']),
    tags: keyValuesFromWire(w['tags']),
    aliases: list(w['aliases']).map(str),
  };
  const updated = wireInteger(w['last_updated_timestamp']);
  if (updated !== undefined) mv.last_updated_timestamp = updated;
  for (const key of ['user_id', 'description', 'source', 'run_id', 'status_message', 'run_link'] as const) {
    const s = optStr(w[key]);
    if (s !== undefined) mv[key] = s;
  }
  return mv;
}

/** A `RegisteredModel` from any MLflow server's JSON. */
export function registeredModelFromWire(v: unknown): RegisteredModel {
  const w = obj(v);
  const rm: RegisteredModel = {
    name: str(w['name']),
    creation_timestamp: wireInteger(w['creation_timestamp']) ?? 0,
    latest_versions: list(w['latest_versions']).map(modelVersionFromWire),
    tags: keyValuesFromWire(w['tags']),
    aliases: list(w['aliases']).map((a) => ({ alias: str(obj(a)['alias']), version: str(obj(a)['version']) })),
  };
  const updated = wireInteger(w['last_updated_timestamp']);
  if (updated !== undefined) rm.last_updated_timestamp = updated;
  for (const key of ['user_id', 'description'] as const) {
    const s = optStr(w[key]);
    if (s !== undefined) rm[key] = s;
  }
  return rm;
}

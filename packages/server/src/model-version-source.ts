import { realpathSync } from 'node:fs';
import { dirname, basename, join, resolve as resolvePath } from 'node:path';
import { isMlflowError, MlflowError, parseModelUri, PROMPT_TAG, resolveModelVersionNumber, runInfoOf, splitUri, type AbstractStore, type CallOptions, type ModelRegistryStore, type ParsedModelUri } from '@mlstore/core';

// The checks MLflow 3.18's `_create_model_version` handler applies to a version's source before
// the store sees it (server/handlers.py; docs/model-registry-3.18.md §6.1).

const PROMPT_SOURCES = new Set(['dummy-source', 'prompt-template']);

/** The request of a create-version call, `undefined` where the field was not sent (proto `HasField`). */
export interface ModelVersionSourceRequest {
  source: string;
  runId: string | undefined;
  modelId: string | undefined;
  tags: { key: string; value: string }[];
}

export interface ModelVersionSourceContext {
  trackingStore: AbstractStore;
  registry: ModelRegistryStore;
  /** The server's host policy for artifact URIs (`_validate_artifact_uri_scheme`). */
  hostPolicy: (uri: string, fieldName?: string) => void;
  /** Default: env `MLFLOW_CREATE_MODEL_VERSION_SOURCE_VALIDATION_REGEX`. */
  sourceRegex?: string | undefined;
  signal?: AbortSignal;
}

/** What the store is called with. */
export interface CheckedModelVersionSource {
  source: string;
  runId: string | undefined;
  modelId: string | undefined;
  isPrompt: boolean;
}

const invalidSource = (source: string, why: string) => MlflowError.invalidParameter(`Invalid model version source: '${source}'. ${why}`);
const notContaining = (source: string, idName: 'run_id' | 'model_id') =>
  invalidSource(source, `The ${idName} request parameter must identify the resource that contains the source.`);

/** `tags` collapsed by key (last value wins) name a prompt when `mlflow.prompt.is_prompt` lower-cases to `true`. */
export function isPromptRequest(tags: { key: string; value: string }[]): boolean {
  let value = 'false';
  for (const t of tags) if (t.key === PROMPT_TAG) value = t.value;
  return value.toLowerCase() === 'true';
}

/** Python's `urllib.parse.unquote` (lenient: malformed escapes stay as written). */
function unquote(s: string): string {
  return s.replace(/(%[0-9a-fA-F]{2})+/g, (run) => {
    const bytes = Buffer.from(run.replace(/%/g, ''), 'hex');
    return bytes.toString('utf8');
  });
}

/** `pathlib.Path(p).resolve()` on POSIX: absolute against the cwd, `..` folded, symlinks of the existing prefix followed. */
export function resolveLocalPath(p: string): string {
  const abs = resolvePath(p || '.');
  const rest: string[] = [];
  let head = abs;
  for (;;) {
    try {
      return join(realpathSync(head), ...rest);
    } catch {
      if (head === dirname(head)) return abs;
      rest.unshift(basename(head));
      head = dirname(head);
    }
  }
}

/** MLflow's `is_local_uri` for registry sources: no scheme, or `file:` (a remote `file://host` is refused). */
function isLocalUri(uri: string): boolean {
  const { scheme, netloc } = splitUri(uri);
  if (scheme === '') return true;
  const host = netloc.slice(netloc.lastIndexOf('@') + 1).replace(/:\d*$/, '').toLowerCase();
  const remote = host !== '' && !(host === '.' || host.startsWith('localhost') || host.startsWith('127.0.0.1'));
  if (scheme === 'file') {
    // MLflow raises it without an error code: INTERNAL_ERROR, HTTP 500.
    if (remote) throw new MlflowError(`${uri} is not a valid remote uri. For remote access on windows, please consider using a different scheme such as SMB (e.g. smb://<hostname>/<path>).`, 'INTERNAL_ERROR');
    return true;
  }
  return false;
}

function localPath(uri: string): string {
  return unquote(uri.startsWith('file:') ? splitUri(uri).path : uri);
}

/** `_validate_non_local_source_contains_relative_paths`. */
function checkNoRelativeReferences(original: string): void {
  let source = original;
  for (;;) {
    const next = unquote(source.replace(/\+/g, ' '));
    if (next === source) break;
    source = next;
  }
  const path = splitUri(source).path.replace(/\/+$/, '').replace(/\/+/g, '/');
  const bad = () =>
    invalidSource(
      original,
      'If supplying a source as an http, https, local file path, ftp, objectstore, or mlflow-artifacts uri, an absolute path must be provided without relative path references present. Please provide an absolute path.',
    );
  if (path.includes('\0') || source.split('/').some((p) => p === '..')) throw bad();
  if (resolveLocalPath(path) !== path) throw bad();
}

function uriParts(uri: string): { scheme: string; authority: string; parts: string[] } {
  const { scheme, netloc, path } = splitUri(uri);
  const parts = path
    .split('/')
    .filter(Boolean)
    .map((p) => {
      let v = p;
      for (let next = unquote(v); next !== v; next = unquote(v)) v = next;
      return v;
    });
  return { scheme, authority: netloc.toLowerCase(), parts };
}

function isWithinRoot(source: string, root: string): boolean {
  const s = uriParts(source);
  const r = uriParts(root);
  return s.scheme === r.scheme && s.authority === r.authority && r.parts.length > 0 && r.parts.every((p, i) => s.parts[i] === p);
}

function isMlflowArtifactSource(source: string): boolean {
  const { scheme, parts } = uriParts(source);
  if (scheme === 'mlflow-artifacts') return true;
  if (scheme !== 'http' && scheme !== 'https') return false;
  const route = ['api', '2.0', 'mlflow-artifacts', 'artifacts'];
  for (let i = 0; i + route.length <= parts.length; i++) if (route.every((p, j) => parts[i + j] === p)) return true;
  return false;
}

function parseSourceUri(source: string): ParsedModelUri {
  try {
    return parseModelUri(source);
  } catch {
    throw notContaining(source, 'model_id');
  }
}

async function sourceRun(ctx: ModelVersionSourceContext, runId: string, source: string) {
  try {
    return await runInfoOf(ctx.trackingStore, runId, callOpts(ctx));
  } catch (e) {
    if (isMlflowError(e) && e.errorCode === 'RESOURCE_DOES_NOT_EXIST') throw notContaining(source, 'run_id');
    throw e;
  }
}

async function sourceModel(ctx: ModelVersionSourceContext, modelId: string, source: string) {
  try {
    return await ctx.trackingStore.getLoggedModel(modelId, callOpts(ctx));
  } catch (e) {
    if (isMlflowError(e) && e.errorCode === 'RESOURCE_DOES_NOT_EXIST') throw notContaining(source, 'model_id');
    throw e;
  }
}

const callOpts = (ctx: ModelVersionSourceContext): CallOptions => (ctx.signal ? { signal: ctx.signal } : {});

/**
 * A local source inside a local artifact root (both resolved). With a root to check against, the
 * error names the resolved source (MLflow rebinds `source` before raising); without, as given.
 */
function checkLocalWithin(source: string, root: string | undefined, idName: 'run_id' | 'model_id'): void {
  let shown = source;
  if (root !== undefined) {
    const resolved = resolveLocalPath(localPath(source));
    shown = resolved;
    if (isLocalUri(root)) {
      const dir = resolveLocalPath(localPath(root));
      if (resolved === dir || resolved.startsWith(dir.endsWith('/') ? dir : `${dir}/`)) return;
    }
  }
  throw invalidSource(
    shown,
    `To use a local path as a model version source, the ${idName} request parameter has to be specified and the local path has to be contained within the artifact directory of the run specified by the ${idName}.`,
  );
}

/** `_validate_source_run`. */
async function validateSourceRun(source: string, runId: string | undefined, ctx: ModelVersionSourceContext): Promise<void> {
  if (isLocalUri(source)) {
    const root = runId ? (await sourceRun(ctx, runId, source)).artifact_uri : undefined;
    return checkLocalWithin(source, root, 'run_id');
  }
  checkNoRelativeReferences(source);
  const { scheme, netloc, path } = splitUri(source);
  if (scheme === 'runs') {
    if (netloc) throw notContaining(source, 'run_id');
    const sourceRunId = path.replace(/^\/+/, '').split('/')[0] ?? '';
    if (runId && sourceRunId === runId) return;
    throw notContaining(source, 'run_id');
  }
  if (scheme === 'models') {
    if (netloc) throw notContaining(source, 'model_id');
    if ('modelId' in parseSourceUri(source)) throw notContaining(source, 'model_id');
  }
  if (isMlflowArtifactSource(source)) {
    if (runId && isWithinRoot(source, (await sourceRun(ctx, runId, source)).artifact_uri)) return;
    throw notContaining(source, 'run_id');
  }
}

/** `_validate_source_model`. */
async function validateSourceModel(source: string, modelId: string, ctx: ModelVersionSourceContext): Promise<void> {
  if (isLocalUri(source)) {
    const root = (await sourceModel(ctx, modelId, source)).info.artifact_uri;
    return checkLocalWithin(source, root, 'model_id');
  }
  checkNoRelativeReferences(source);
  const { scheme, netloc } = splitUri(source);
  if (scheme === 'models') {
    if (netloc) throw notContaining(source, 'model_id');
    const parsed = parseSourceUri(source);
    if ('modelId' in parsed) {
      if (parsed.modelId === modelId) return;
      throw notContaining(source, 'model_id');
    }
  }
  if (scheme === 'runs') throw notContaining(source, 'model_id');
  if (isMlflowArtifactSource(source)) {
    if (isWithinRoot(source, (await sourceModel(ctx, modelId, source)).info.artifact_uri)) return;
    throw notContaining(source, 'model_id');
  }
}

/** `_resolve_registered_model_source_lineage`: a `models:/<name>/…` source pinned to a concrete version. */
async function resolveLineage(
  source: string,
  runId: string | undefined,
  modelId: string | undefined,
  has: { runId: boolean; modelId: boolean },
  ctx: ModelVersionSourceContext,
): Promise<{ source: string; runId: string | undefined; modelId: string | undefined }> {
  const { scheme, netloc } = splitUri(source);
  if (scheme !== 'models') return { source, runId, modelId };
  if (netloc) throw invalidSource(source, 'Registered model sources must use the active model registry.');
  const parsed = parseSourceUri(source);
  if ('modelId' in parsed) return { source, runId, modelId };
  const { registry } = ctx;
  const opts = callOpts(ctx);
  const rm = await registry.getRegisteredModel(parsed.name, opts);
  const promptTag = rm.tags.find((t) => t.key === PROMPT_TAG)?.value ?? 'false';
  if (promptTag.toLowerCase() === 'true') throw invalidSource(source, 'Prompt versions cannot be used as model version sources.');
  const version = await resolveModelVersionNumber(parsed, registry, opts);
  const mv = await registry.getModelVersion(parsed.name, version, opts);
  if ((has.runId && (runId ?? '') !== (mv.run_id ?? '')) || (has.modelId && (modelId ?? '') !== (mv.model_id ?? ''))) {
    throw invalidSource(source, 'The run_id and model_id request parameters must match the referenced model version.');
  }
  return { source: `models:/${parsed.name}/${mv.version}`, runId: has.runId ? runId : mv.run_id, modelId: has.modelId ? modelId : mv.model_id };
}

/**
 * MLflow's create-model-version source checks, in its order: the operator's source regex, prompt
 * placeholders, the host policy, `models:/` lineage (rewritten to `models:/<name>/<n>`, run and
 * model ids inherited), then `_validate_source_model` or `_validate_source_run`.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE with MLflow's messages; lookups' own errors as they come.
 */
export async function checkModelVersionSource(request: ModelVersionSourceRequest, ctx: ModelVersionSourceContext): Promise<CheckedModelVersionSource> {
  const regex = 'sourceRegex' in ctx ? ctx.sourceRegex : process.env['MLFLOW_CREATE_MODEL_VERSION_SOURCE_VALIDATION_REGEX'];
  if (request.source && regex && !new RegExp(regex).test(request.source)) throw MlflowError.invalidParameter(`Invalid model version source: '${request.source}'.`);
  const isPrompt = isPromptRequest(request.tags);
  if (isPrompt && !PROMPT_SOURCES.has(request.source)) {
    throw MlflowError.invalidParameter(`Invalid prompt source: '${request.source}'. Prompt sources must use an MLflow placeholder.`);
  }
  ctx.hostPolicy(request.source, 'source');
  // Unsent strings reach MLflow's store as the proto default "".
  if (isPrompt) return { source: request.source, runId: request.runId ?? '', modelId: request.modelId ?? '', isPrompt };
  const has = { runId: request.runId !== undefined, modelId: request.modelId !== undefined };
  const resolved = await resolveLineage(request.source, request.runId ?? '', request.modelId ?? '', has, ctx);
  if (resolved.modelId) await validateSourceModel(resolved.source, resolved.modelId, ctx);
  else await validateSourceRun(resolved.source, resolved.runId, ctx);
  return { ...resolved, isPrompt };
}

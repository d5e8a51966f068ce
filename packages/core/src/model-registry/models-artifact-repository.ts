import type { Readable } from 'node:stream';
import type { AbstractStore, CallOptions } from '../abstract-store.js';
import type {
  ArtifactBody,
  ArtifactCallOptions,
  ArtifactRepository,
  ArtifactRepositoryCapabilities,
  DownloadOptions,
  OpenArtifactOptions,
  UploadOptions,
} from '../artifacts/artifact-repository.js';
import type { FileInfo } from '../entities.js';
import { MlflowError } from '../errors.js';
import type { ArtifactRepositoryRegistry } from '../registry/registries.js';
import { splitUri } from '../uri.js';
import type { ModelRegistryStore } from './model-registry-store.js';

/** A parsed `models:/` URI (MLflow's `_parse_model_uri`): a logged model, or a registered model's version, stage, latest or alias. */
export type ParsedModelUri = { modelId: string } | { name: string; version?: string; stage?: string; alias?: string };

/**
 * MLflow's `_parse_model_uri` for the `models` scheme: `models:/<name>/<version>`,
 * `models:/<name>/<stage>`, `models:/<name>/latest`, `models:/<name>@<alias>` (split on the last
 * `@`), `models:/<model_id>` (one segment: a logged model).
 *
 * @throws MlflowError INTERNAL_ERROR `Not a proper models:/ URI: …` (MLflow gives it no code).
 */
export function parseModelUri(uri: string): ParsedModelUri {
  const improper = () =>
    new MlflowError(
      `Not a proper models:/ URI: ${uri}. Models URIs must be of the form 'models:/name/suffix' or 'models:/name@alias' where suffix is a version, stage, or the string 'latest' and where alias is a registered model alias. Only one of suffix or alias can be defined at a time.`,
      'INTERNAL_ERROR',
    );
  const { scheme, path } = splitUri(uri);
  if (scheme !== 'models' || !uri.slice(0, 7).toLowerCase().startsWith('models:')) throw improper();
  const q = path.indexOf('?');
  const p = q >= 0 ? path.slice(0, q) : path;
  if (!p.startsWith('/') || p.length <= 1) throw improper();
  const parts = p.replace(/^\/+/, '').split('/');
  if (parts.length > 2 || parts[0]!.trim() === '') throw improper();
  if (parts.length === 2) {
    const [name, suffix] = parts as [string, string];
    if (suffix.trim() === '') throw improper();
    if (/^\p{Nd}+$/u.test(suffix)) return { name, version: suffix };
    if (suffix.toLowerCase() === 'latest') return { name };
    return { name, stage: suffix };
  }
  if (p.includes('@')) {
    const at = parts[0]!.lastIndexOf('@');
    const alias = at >= 0 ? parts[0]!.slice(at + 1) : '';
    if (at < 0 || alias.trim() === '') throw improper();
    return { name: parts[0]!.slice(0, at), alias };
  }
  return { modelId: parts[0]! };
}

/**
 * MLflow's `split_models_uri`: `models:/<name>/<version>/path/to/x` → (`models:/<name>/<version>`,
 * `path/to/x`), `models:/<name>@<alias>/path` → (`models:/<name>@<alias>`, `path`); anything else
 * is the model URI with no path. A trailing `/` is dropped first.
 */
export function splitModelsUri(uri: string): { modelUri: string; path: string } {
  const trimmed = uri.replace(/\/+$/, '');
  const { netloc, path } = splitUri(trimmed);
  if ((path.match(/\//g) ?? []).length < 2) return { modelUri: trimmed, path: '' };
  const splits = splitMax(path, '/', 3);
  const cut = (splits[1] ?? '').includes('@') ? 2 : 3;
  return { modelUri: `${netloc ? `models://${netloc}` : 'models:'}${splits.slice(0, cut).join('/')}`, path: splits.slice(cut).join('/') };
}

/** Python's `str.split(sep, maxsplit)`. */
function splitMax(text: string, sep: string, max: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (out.length < max) {
    const i = rest.indexOf(sep);
    if (i < 0) break;
    out.push(rest.slice(0, i));
    rest = rest.slice(i + sep.length);
  }
  out.push(rest);
  return out;
}

/**
 * The version a registered-model URI names (MLflow's `get_model_name_and_version`): the version
 * itself, the alias's version, or the highest-numbered version of the stage (of any stage for
 * `latest`).
 *
 * @throws MlflowError the registry's errors; INTERNAL_ERROR `No versions of model with name …`.
 */
export async function resolveModelVersionNumber(
  parsed: { name: string; version?: string; stage?: string; alias?: string },
  registryStore: ModelRegistryStore,
  opts: CallOptions = {},
): Promise<string> {
  const { name } = parsed;
  if (parsed.version !== undefined) return parsed.version;
  if (parsed.alias !== undefined) return (await registryStore.getModelVersionByAlias(name, parsed.alias, opts)).version;
  const latest = await registryStore.getLatestVersions(name, parsed.stage === undefined ? [] : [parsed.stage], opts);
  if (latest.length === 0) {
    throw new MlflowError(`No versions of model with name '${name}'${parsed.stage === undefined ? '' : ` and stage '${parsed.stage}'`} found`, 'INTERNAL_ERROR');
  }
  return String(Math.max(...latest.map((v) => Number(v.version))));
}

/** What resolving a `models:/` URI needs. */
export interface ModelsUriDeps {
  registryStore: ModelRegistryStore;
  /** For logged models (`models:/m-…`) and `runs:/` download URIs. */
  trackingStore?: Pick<AbstractStore, 'getLoggedModel' | 'getRun'>;
}

/**
 * The artifact URI behind a `models:/` URI without a sub-path (MLflow's
 * `ModelsArtifactRepository.get_underlying_uri`): a logged model's artifact location, or the
 * registered version's download URI (an alias, a stage or `latest` resolved to its version).
 * A `runs:/<run_id>/<path>` download URI is resolved to the run's artifact root and path.
 *
 * @throws MlflowError the registry's errors; INTERNAL_ERROR `No versions of model with name …`.
 */
export async function resolveModelsUri(uri: string, deps: ModelsUriDeps, opts: CallOptions = {}): Promise<string> {
  const parsed = parseModelUri(uri);
  const needTracking = () => {
    if (!deps.trackingStore) throw new MlflowError(`Resolving ${uri} needs a tracking store`, 'INTERNAL_ERROR');
    return deps.trackingStore;
  };
  let location: string;
  if ('modelId' in parsed) {
    location = (await needTracking().getLoggedModel(parsed.modelId, opts)).info.artifact_uri;
  } else {
    location = await deps.registryStore.getModelVersionDownloadUri(parsed.name, await resolveModelVersionNumber(parsed, deps.registryStore, opts), opts);
  }
  if (splitUri(location).scheme !== 'runs') return location;
  const { netloc, path } = splitUri(location);
  if (netloc) throw MlflowError.invalidParameter('Run artifact sources cannot include a host.');
  const [runId = '', ...rest] = path.replace(/^\/+/, '').split('/');
  const root = (await needTracking().getRun(runId, opts)).info.artifact_uri.replace(/\/+$/, '');
  const sub = rest.filter(Boolean).join('/');
  return sub ? `${root}/${sub}` : root;
}

/**
 * MLflow's `ModelsArtifactRepository`: a `models:/` URI served by the repository of the artifact
 * URI behind it. Reads go to that repository; writes are refused for registered-model URIs, as
 * MLflow refuses them ("Use register_model instead"), and allowed for logged models.
 */
export class ModelsArtifactRepository implements ArtifactRepository {
  readonly capabilities: ArtifactRepositoryCapabilities;
  private readonly loggedModel: boolean;

  constructor(
    readonly artifactUri: string,
    /** The repository of the underlying artifact URI. */
    readonly underlying: ArtifactRepository,
  ) {
    this.capabilities = underlying.capabilities;
    this.loggedModel = 'modelId' in parseModelUri(splitModelsUri(artifactUri).modelUri);
  }

  private refuseWrite(what: string): void {
    if (!this.loggedModel) throw MlflowError.invalidParameter(`${what} is not supported for models:/<name>/<version> URIs. Use register_model instead.`);
  }

  async logArtifact(localFile: string, artifactPath?: string, opts?: ArtifactCallOptions): Promise<void> {
    this.refuseWrite('log_artifact');
    return this.underlying.logArtifact(localFile, artifactPath, opts);
  }
  async logArtifacts(localDir: string, artifactPath?: string, opts?: UploadOptions): Promise<void> {
    this.refuseWrite('log_artifacts');
    return this.underlying.logArtifacts(localDir, artifactPath, opts);
  }
  async writeArtifact(path: string, body: ArtifactBody, opts?: ArtifactCallOptions): Promise<void> {
    this.refuseWrite('write_artifact');
    return this.underlying.writeArtifact(path, body, opts);
  }
  async deleteArtifacts(path?: string, opts?: ArtifactCallOptions): Promise<void> {
    this.refuseWrite('delete_artifacts');
    return this.underlying.deleteArtifacts(path, opts);
  }
  listArtifacts(path?: string, opts?: ArtifactCallOptions): Promise<FileInfo[]> {
    return this.underlying.listArtifacts(path, opts);
  }
  downloadArtifacts(artifactPath: string, dstPath?: string, opts?: DownloadOptions): Promise<string> {
    return this.underlying.downloadArtifacts(artifactPath, dstPath, opts);
  }
  openArtifact(path: string, opts?: OpenArtifactOptions): Promise<Readable> {
    return this.underlying.openArtifact(path, opts);
  }
}

/**
 * Serves `models:/` URIs from `artifacts` (MLflow's entry in its artifact repository registry):
 * each URI (a sub-path after the version or alias included) is resolved through the registry and
 * tracking stores, then opened with the repository `artifacts` gives for the URI behind it.
 */
export function registerModelsArtifactRepository(artifacts: ArtifactRepositoryRegistry, deps: ModelsUriDeps): ArtifactRepositoryRegistry {
  return artifacts.register('models', async (uri, options) => {
    const { modelUri, path } = splitModelsUri(uri);
    const location = await resolveModelsUri(modelUri, deps);
    const underlying = await artifacts.resolve(path ? `${location.replace(/\/+$/, '')}/${path}` : location, options);
    return new ModelsArtifactRepository(uri, underlying);
  });
}

import { parseArgs } from 'node:util';
import type { AbstractStore, ArtifactRepository } from '@mlstore/core';
import { startMlflowServer } from '@mlstore/server';
import { openStore, println, reportFailure, UsageError, usageErrors, type CommandContext } from '../context.js';

/** Help text of `mlstore server`. */
export const SERVER_USAGE = `Usage: mlstore server [options]

Runs MLflow's tracking server (the REST API of MLflow 3.18.0 and its mlflow-artifacts proxy) on
mlstore's stores. Any MLflow client works against it unchanged. Flags and their environment
variables are MLflow's.

Options:
  --backend-store-uri <uri>       tracking store: sqlite:///mlflow.db (default), postgresql://…,
                                  mysql://…, ./mlruns or file:///… ($MLFLOW_BACKEND_STORE_URI)
  --default-artifact-root <uri>   artifact root of new experiments (default: mlflow-artifacts:/ when
                                  serving artifacts, else ./mlruns) ($MLFLOW_DEFAULT_ARTIFACT_ROOT)
  --artifacts-destination <uri>   where the proxy stores artifacts (default ./mlartifacts)
                                  ($MLFLOW_ARTIFACTS_DESTINATION)
  --serve-artifacts               serve the mlflow-artifacts proxy (default) ($MLFLOW_SERVE_ARTIFACTS)
  --no-serve-artifacts            do not; artifact routes answer 503
  --artifacts-only                serve only the artifact proxy; tracking routes answer 503
                                  ($MLFLOW_ARTIFACTS_ONLY)
  -h, --host <host>               interface to bind (default 127.0.0.1) ($MLFLOW_HOST)
  -p, --port <port>               port (default 5000) ($MLFLOW_PORT)
  --static-prefix <prefix>        serve every route under this path, e.g. /mlflow ($MLFLOW_STATIC_PREFIX)
  -w, --workers <n>               accepted for compatibility; one Node process serves all requests
  --help                          show this help

SIGINT/SIGTERM stop accepting connections, finish the requests in flight, close the stores and exit.`;

const OPTIONS = {
  'backend-store-uri': { type: 'string' },
  'default-artifact-root': { type: 'string' },
  'artifacts-destination': { type: 'string' },
  'serve-artifacts': { type: 'boolean' },
  'no-serve-artifacts': { type: 'boolean' },
  'artifacts-only': { type: 'boolean' },
  host: { type: 'string', short: 'h' },
  port: { type: 'string', short: 'p' },
  'static-prefix': { type: 'string' },
  workers: { type: 'string', short: 'w' },
  help: { type: 'boolean' },
} as const;

/** MLflow's boolean environment values. */
function envFlag(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const value = env[name]?.trim().toLowerCase();
  if (value === undefined || value === '') return undefined;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new UsageError(`${name} must be true, false, 1 or 0 (got '${env[name]}').`);
}

/** True for URIs MLflow treats as local paths (`file:` or no scheme). */
const isLocalUri = (uri: string) => !/^[a-zA-Z][a-zA-Z0-9+.-]+:/.test(uri) || uri.startsWith('file:');

/** `mlstore server`: serves until SIGINT/SIGTERM; returns the exit code. */
export async function runServer(args: string[], ctx: CommandContext): Promise<number> {
  let store: AbstractStore | undefined;
  try {
    const { values } = usageErrors(() => parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }));
    if (values.help) {
      println(ctx.stdout, SERVER_USAGE);
      return 0;
    }
    const env = ctx.env;
    const backendStoreUri = values['backend-store-uri'] ?? env['MLFLOW_BACKEND_STORE_URI'] ?? 'sqlite:///mlflow.db';
    const serveArtifacts = values['no-serve-artifacts'] ? false : (values['serve-artifacts'] ?? envFlag(env, 'MLFLOW_SERVE_ARTIFACTS') ?? true);
    const artifactsOnly = values['artifacts-only'] ?? envFlag(env, 'MLFLOW_ARTIFACTS_ONLY') ?? false;
    if (artifactsOnly && !serveArtifacts) throw new UsageError('--artifacts-only cannot be used with --no-serve-artifacts.');
    const destinationUri = values['artifacts-destination'] ?? env['MLFLOW_ARTIFACTS_DESTINATION'] ?? './mlartifacts';
    const defaultArtifactRoot =
      values['default-artifact-root'] ??
      env['MLFLOW_DEFAULT_ARTIFACT_ROOT'] ??
      (serveArtifacts ? 'mlflow-artifacts:/' : isLocalUri(backendStoreUri) ? backendStoreUri : './mlruns');
    const port = Number(values.port ?? env['MLFLOW_PORT'] ?? 5000);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number (got '${values.port}').`);
    const staticPrefix = values['static-prefix'] ?? env['MLFLOW_STATIC_PREFIX'];
    if (staticPrefix !== undefined && (!staticPrefix.startsWith('/') || staticPrefix.endsWith('/') || /[{}]/.test(staticPrefix))) {
      throw new UsageError("--static-prefix must begin with a '/', not end with one, and hold no '{' or '}'.");
    }
    if (values.workers !== undefined) ctx.logger.info({ workers: values.workers }, 'one Node process serves every request; --workers is ignored');

    const { artifacts } = ctx.registries;
    store = artifactsOnly ? undefined : await openStore(ctx, backendStoreUri, defaultArtifactRoot);
    const destination: ArtifactRepository | undefined = serveArtifacts ? await artifacts.resolve(destinationUri) : undefined;
    const server = await startMlflowServer({
      trackingStore: store,
      artifactsDestination: destination,
      serveArtifacts,
      artifactsOnly,
      resolveArtifactRepository: (uri) => artifacts.resolve(uri),
      trustedArtifactUris: [defaultArtifactRoot, destinationUri],
      staticPrefix,
      host: values.host ?? env['MLFLOW_HOST'] ?? '127.0.0.1',
      port,
      logger: ctx.logger,
    });
    ctx.logger.info(
      { url: server.url, backendStoreUri: artifactsOnly ? undefined : backendStoreUri, defaultArtifactRoot, artifactsDestination: serveArtifacts ? destinationUri : undefined },
      `mlstore server listening at ${server.url}`,
    );
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    ctx.logger.info('shutting down: finishing requests in flight');
    await server.close();
    ctx.logger.info('server stopped');
    return 0;
  } catch (err) {
    return reportFailure(ctx, 'server', err);
  } finally {
    await store?.close();
  }
}

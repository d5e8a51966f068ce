import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { AbstractStore, ArtifactRepository, ModelRegistryStore } from '@mlstore/core';
import type { ListeningMlflowServer } from '@mlstore/server';
import { securityOptionsFromFlags } from '@mlstore/server/security';
import { openStore, println, reportFailure, UsageError, usageErrors, type CommandContext } from '../context.js';
import { isServerWorker, resolveWorkers, superviseWorkers, workerLifecycle } from './server-workers.js';
import { resolveUiBundle, UI_MLFLOW_VERSION, type UiBundle } from '../ui-bundle.js';

/** Help text of `mlstore server`. */
export const SERVER_USAGE = `Usage: mlstore server [options]

Runs MLflow's tracking server (the REST API of MLflow 3.18.0 and its mlflow-artifacts proxy) on
mlstore's stores. Any MLflow client works against it unchanged. Flags and their environment
variables are MLflow's.

Options:
  --backend-store-uri <uri>       tracking store: sqlite:///mlflow.db (default), postgresql://…,
                                  mysql://…, ./mlruns or file:///… ($MLFLOW_BACKEND_STORE_URI)
  --registry-store-uri <uri>      model registry store: the same forms (default: the backend store
                                  URI) ($MLFLOW_REGISTRY_STORE_URI)
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
  --allowed-hosts <list>          Host headers accepted, comma-separated, * wildcards, '*' for any
                                  (default: localhost and private IPs, on any port; /health and
                                  /version exempt) ($MLFLOW_SERVER_ALLOWED_HOSTS)
  --cors-allowed-origins <list>   origins allowed cross-origin, comma-separated, '*' for any (default:
                                  http://localhost, 127.0.0.1, [::1] on any port)
                                  ($MLFLOW_SERVER_CORS_ALLOWED_ORIGINS)
  --x-frame-options <value>       SAMEORIGIN (default), DENY or NONE ($MLFLOW_SERVER_X_FRAME_OPTIONS)
  --disable-security-middleware   no host, CORS or security-header checks (dangerous)
                                  ($MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE)
  --headers-timeout <seconds>     time a client has to send a request's headers (default 20)
                                  ($MLSTORE_HEADERS_TIMEOUT)
  --idle-timeout <seconds>        close a connection silent this long, 0 for never (default 120)
                                  ($MLSTORE_IDLE_TIMEOUT)
  --keep-alive-timeout <seconds>  idle keep-alive connections close after this (default 5)
                                  ($MLSTORE_KEEP_ALIVE_TIMEOUT)
  --max-connections <n>           connections open at once (default: half the open-file limit,
                                  64..4096) ($MLSTORE_MAX_CONNECTIONS)
  -w, --workers <n>               server processes sharing the port, each with its own stores
                                  (default 1; MLflow's default is 4) ($MLSTORE_WORKERS,
                                  $MLFLOW_WORKERS); the limits above apply per process; the SQL
                                  pool ($MLFLOW_SQLALCHEMYSTORE_POOL_SIZE + _MAX_OVERFLOW, 5 + 10)
                                  is the whole server's, divided among the workers
  --ui-dir <dir>                  MLflow's web UI to serve at / (an unpacked mlflow/server/js/build
                                  folder); default: that of mlflow==${UI_MLFLOW_VERSION} in the active
                                  Python environment, else the copy 'mlstore ui install' made
                                  ($MLSTORE_UI_DIR)
  --ui-install                    without either, run 'mlstore ui install' (download from PyPI)
                                  before serving
  --uvicorn-opts <options>        the subset of uvicorn's options that applies here: --log-level
                                  critical|error|warning|info|debug|trace, --no-access-log,
                                  --access-log ($MLFLOW_UVICORN_OPTS)
  --help                          show this help

Every request is logged at info once answered (method, path, status, ms, client) on stderr: JSON
lines, or uvicorn-style lines on a terminal. --uvicorn-opts --no-access-log or LOG_LEVEL=warn
silences them.

SIGINT/SIGTERM stop accepting connections, finish the requests in flight, close the stores and exit.`;

const OPTIONS = {
  'backend-store-uri': { type: 'string' },
  'registry-store-uri': { type: 'string' },
  'default-artifact-root': { type: 'string' },
  'artifacts-destination': { type: 'string' },
  'serve-artifacts': { type: 'boolean' },
  'no-serve-artifacts': { type: 'boolean' },
  'artifacts-only': { type: 'boolean' },
  host: { type: 'string', short: 'h' },
  port: { type: 'string', short: 'p' },
  'static-prefix': { type: 'string' },
  'allowed-hosts': { type: 'string' },
  'cors-allowed-origins': { type: 'string' },
  'x-frame-options': { type: 'string' },
  'disable-security-middleware': { type: 'boolean' },
  'headers-timeout': { type: 'string' },
  'idle-timeout': { type: 'string' },
  'keep-alive-timeout': { type: 'string' },
  'max-connections': { type: 'string' },
  workers: { type: 'string', short: 'w' },
  'uvicorn-opts': { type: 'string' },
  'ui-dir': { type: 'string' },
  'ui-install': { type: 'boolean' },
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

/** uvicorn's `--log-level` choices and the pino level each one sets. */
const UVICORN_LOG_LEVELS: Record<string, string> = { critical: 'fatal', error: 'error', warning: 'warn', info: 'info', debug: 'debug', trace: 'trace' };

/**
 * The part of `--uvicorn-opts` (MLflow forwards it to uvicorn) that means something for one Node
 * process: the log level and the access log. Other uvicorn options are refused rather than ignored
 * (a silently dropped `--ssl-certfile` would serve plain HTTP).
 */
export function parseUvicornOpts(raw: string | undefined): { logLevel?: string; accessLog?: boolean } {
  const out: { logLevel?: string; accessLog?: boolean } = {};
  const words = (raw ?? '').trim().split(/\s+/).filter(Boolean);
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word === '--access-log' || word === '--no-access-log') out.accessLog = word === '--access-log';
    else if (word === '--log-level' || word.startsWith('--log-level=')) {
      const value = word === '--log-level' ? words[++i] : word.slice('--log-level='.length);
      const level = value === undefined ? undefined : UVICORN_LOG_LEVELS[value.toLowerCase()];
      if (level === undefined) {
        throw new UsageError(`--uvicorn-opts: Invalid value for '--log-level': '${value ?? ''}' is not one of 'critical', 'error', 'warning', 'info', 'debug', 'trace'.`);
      }
      out.logLevel = level;
    } else {
      throw new UsageError(`--uvicorn-opts: '${word}' is not supported; mlstore server takes only --log-level, --access-log and --no-access-log.`);
    }
  }
  return out;
}

/** One line for an error binding the port (no stack: the cause is the machine's state, not a bug). */
function bindFailure(err: unknown, host: string, port: number): string | undefined {
  switch ((err as NodeJS.ErrnoException | undefined)?.code) {
    case 'EADDRINUSE':
      return `port ${port} is in use, try --port <another port> (0 picks a free one).`;
    case 'EACCES':
      return `no permission to listen on port ${port} (ports below 1024 need privileges), try --port <another port>.`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot listen on host '${host}': it is not an address of this machine, check --host.`;
    default:
      return undefined;
  }
}

/** True for URIs MLflow treats as local paths (`file:` or no scheme). */
const isLocalUri = (uri: string) => !/^[a-zA-Z][a-zA-Z0-9+.-]+:/.test(uri) || uri.startsWith('file:');

/** `mlstore server`: serves until SIGINT/SIGTERM; returns the exit code. */
export async function runServer(args: string[], ctx: CommandContext): Promise<number> {
  let store: AbstractStore | undefined;
  let registryStore: ModelRegistryStore | undefined;
  let server: ListeningMlflowServer | undefined;
  // In a worker of `--workers N`: stopped by the primary too, and tells it when it serves.
  const worker = isServerWorker() ? workerLifecycle(ctx.signal) : undefined;
  const stopped = worker?.stopped ?? ctx.signal;
  const logger = worker ? ctx.logger.child({ worker: worker.id }) : ctx.logger;
  try {
    // `--uvicorn-opts '--log-level debug'` passes a value that starts with dashes, which parseArgs
    // refuses as ambiguous unless it is joined with '='; click (MLflow) takes it as it is.
    const joined = args.flatMap((a, i) => (a === '--uvicorn-opts' && i + 1 < args.length ? [] : args[i - 1] === '--uvicorn-opts' ? [`--uvicorn-opts=${a}`] : [a]));
    const { values } = usageErrors(() => parseArgs({ args: joined, options: OPTIONS, strict: true, allowPositionals: false }));
    if (values.help) {
      println(ctx.stdout, SERVER_USAGE);
      return 0;
    }
    const env = ctx.env;
    const backendStoreUri = values['backend-store-uri'] ?? env['MLFLOW_BACKEND_STORE_URI'] ?? 'sqlite:///mlflow.db';
    const registryStoreUri = values['registry-store-uri'] ?? env['MLFLOW_REGISTRY_STORE_URI'] ?? backendStoreUri;
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
    const security = usageErrors(() =>
      securityOptionsFromFlags({ allowedHosts: values['allowed-hosts'], corsAllowedOrigins: values['cors-allowed-origins'], xFrameOptions: values['x-frame-options'], disableSecurityMiddleware: values['disable-security-middleware'] }, env),
    );
    const limit = (flag: 'headers-timeout' | 'idle-timeout' | 'keep-alive-timeout' | 'max-connections', envName: string, scale: number, min: number): number | undefined => {
      const raw = values[flag] ?? env[envName];
      if (raw === undefined || raw === '') return undefined;
      const n = Number(raw);
      if (!Number.isFinite(n) || n < min) throw new UsageError(`--${flag} must be a number ≥ ${min} (got '${raw}').`);
      return Math.round(n * scale);
    };
    const connectionLimits = {
      headersTimeoutMs: limit('headers-timeout', 'MLSTORE_HEADERS_TIMEOUT', 1000, 0.001),
      idleTimeoutMs: limit('idle-timeout', 'MLSTORE_IDLE_TIMEOUT', 1000, 0),
      keepAliveTimeoutMs: limit('keep-alive-timeout', 'MLSTORE_KEEP_ALIVE_TIMEOUT', 1000, 0),
      maxConnections: limit('max-connections', 'MLSTORE_MAX_CONNECTIONS', 1, 1),
    };
    const uvicorn = parseUvicornOpts(values['uvicorn-opts'] ?? env['MLFLOW_UVICORN_OPTS']);
    if (uvicorn.logLevel) ctx.setLogLevel(uvicorn.logLevel);
    const workers = resolveWorkers(values.workers, env);
    const uiDir = values['ui-dir'] ?? (env['MLSTORE_UI_DIR'] || undefined);
    if (uiDir !== undefined && !statSync(uiDir, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--ui-dir: '${uiDir}' is not a folder.`);
    const findUi = async (): Promise<UiBundle | undefined> => {
      const found = await resolveUiBundle({ uiDir, env });
      if (found || !values['ui-install']) return found;
      try {
        // Loaded only here: the download code (and its zip reader) stays out of a serving process.
        const { installUiBundle } = await import('../ui-install.js');
        const { dir } = await installUiBundle({ env, signal: ctx.signal, log: (line) => println(ctx.stderr, line) });
        return { dir, source: 'cache' };
      } catch (err) {
        // The API does not need the UI: serve without it (offline, a mirror down) and say why.
        if (ctx.signal.aborted) throw err;
        const cause = (err as Error).cause as Error | undefined;
        logger.warn({ err }, `--ui-install failed, serving without the UI: ${(err as Error).message}${cause?.message ? ` (${cause.message})` : ''}`);
        return undefined;
      }
    };
    // With workers the primary installs once; they then find the copy.
    if (workers > 1 && !isServerWorker()) {
      if (values['ui-install']) await findUi();
      return await superviseWorkers(workers, args, ctx);
    }

    // Bind before opening anything: a taken port must not leave a new mlflow.db (or anything) behind.
    // A worker after the first (the port proven, the database created) opens its stores first: the
    // primary hands it connections from the moment it listens, which would get 503s while it starts.
    const host = values.host ?? env['MLFLOW_HOST'] ?? '127.0.0.1';
    // Loaded here, past the supervisor's return: a `--workers N` primary serves nothing.
    const { createMlflowHandler, listenMlflowServer } = await import('@mlstore/server');
    const bind = async (): Promise<ListeningMlflowServer | undefined> => {
      try {
        return await listenMlflowServer({
          ...Object.fromEntries(Object.entries(connectionLimits).filter(([, v]) => v !== undefined)),
          accessLog: uvicorn.accessLog ?? true,
          host,
          port,
          logger,
        });
      } catch (err) {
        const line = bindFailure(err, host, port);
        if (line === undefined) throw err;
        println(ctx.stderr, `mlstore server: ${line}`);
        return undefined;
      }
    };
    const bindFirst = !worker || worker.id === 1;
    if (bindFirst && !(server = await bind())) return 1;
    // Looked for while the stores open (the Python probe may take a second); not before the bind,
    // so a taken port fails at once.
    const uiBundle = findUi();
    uiBundle.catch(() => {});
    const { artifacts } = ctx.registries;
    store = artifactsOnly ? undefined : await openStore(ctx, backendStoreUri, defaultArtifactRoot);
    registryStore = store ? await ctx.registries.modelRegistry.resolve(registryStoreUri, { trackingStore: store, logger }) : undefined;
    const destination: ArtifactRepository | undefined = serveArtifacts ? await artifacts.resolve(destinationUri) : undefined;
    const ui = await uiBundle;
    if (!bindFirst) server = await bind();
    if (!server) return 1;
    server.serve(
      createMlflowHandler({
        trackingStore: store,
        ...(registryStore ? { registryStore } : {}),
        artifactsDestination: destination,
        serveArtifacts,
        artifactsOnly,
        resolveArtifactRepository: (uri) => artifacts.resolve(uri),
        trustedArtifactUris: [defaultArtifactRoot, destinationUri],
        staticPrefix,
        security,
        ...(ui ? { uiDir: ui.dir } : {}),
        logger,
      }),
    );
    logger.info(
      { url: server.url, backendStoreUri: artifactsOnly ? undefined : backendStoreUri, registryStoreUri: artifactsOnly ? undefined : registryStoreUri, defaultArtifactRoot, artifactsDestination: serveArtifacts ? destinationUri : undefined },
      `mlstore server listening at ${server.url}`,
    );
    const uiUrl = `${server.url}${staticPrefix ?? ''}/`;
    if (ui) logger.info({ uiDir: ui.dir, uiSource: ui.source }, `MLflow ${UI_MLFLOW_VERSION} UI at ${uiUrl}, served from ${ui.dir}${ui.source === 'python' ? ` (mlflow of ${ui.python})` : ''}`);
    else logger.info(`no MLflow UI found: ${uiUrl} says how to get it ('mlstore ui install', or --ui-dir)`);
    worker?.ready();
    await new Promise<void>((resolve) => {
      if (stopped.aborted) resolve();
      else stopped.addEventListener('abort', () => resolve(), { once: true });
    });
    logger.info('shutting down: finishing requests in flight');
    await server.close();
    logger.info('server stopped');
    return 0;
  } catch (err) {
    return reportFailure(ctx, 'server', err);
  } finally {
    // Closed first on a failed start (a store that would not open): nothing may keep the port.
    await server?.close();
    await registryStore?.close();
    await store?.close();
    worker?.release();
  }
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { guessMimeType, MlflowError, OTLP_TRACES_PATH, redactingLogger, runInfoOf, silentLogger, type AbstractStore, type ArtifactRepository, type Logger, type MlflowRpc, type ModelRegistryStore } from '@mlstore/core';
import { createArtifactLocationPolicy, createHostPolicy } from './artifact-location.js';
import { handleArtifactProxy } from './artifact-proxy.js';
import { jsonBodySource, parseJsonBody, readBody, sendError, sendJson, sendJsonText, sendText } from './http-io.js';
import { attachmentDisposition } from './content-disposition.js';
import { queryToJson, readRpcRequest } from './request-parse.js';
import { RpcRouter } from './router.js';
import { RPC_SCHEMAS } from './rpc-schemas.js';
import { RunArtifacts, type ArtifactRepositoryResolver } from './run-artifacts.js';
import { createSecurityMiddleware, type SecurityOptions } from './security-middleware.js';
import { SERVER_INFO_PATHS, serverInfoJson } from './server-info.js';
import { handleOtlpTraces } from './otlp-ingest.js';
import { serveTraceArtifact } from './trace-artifact.js';
import { TRACE_RPCS } from './trace-rpcs.js';
import { TRACKING_RPCS, type RpcContext, type RpcHandler } from './tracking-rpcs.js';
import { handleUiRoute } from './ui-routes.js';
import { handleUiEndpoint } from './ui-endpoints.js';
import { handleUiStatic } from './ui-static.js';
import { REGISTRY_RPCS } from './registry-rpcs.js';
import { serveModelVersionArtifact } from './model-version-artifact.js';
import { GRAPHQL_PATH } from './graphql/graphql-path.js';

let graphqlHandler: Promise<typeof import('./graphql/graphql-handler.js')> | undefined;
/** graphql-js and MLflow's schema, loaded on the first /graphql request (API clients never send one). */
const loadGraphqlHandler = () => (graphqlHandler ??= import('./graphql/graphql-handler.js'));

/** The MLflow version whose REST API the server speaks; `/version` answers it. */
export const MLFLOW_COMPAT_VERSION = '3.18.0';

export interface MlflowHandlerOptions {
  /** The tracking store behind the API (required unless `artifactsOnly`). */
  trackingStore?: AbstractStore;
  /**
   * The model registry behind `/mlflow/registered-models/…` and `/mlflow/model-versions/…`
   * (MLflow's `--registry-store-uri`). Without one those routes answer MLflow's "model registry
   * functionality is unavailable" error (INVALID_PARAMETER_VALUE, 400).
   */
  registryStore?: ModelRegistryStore;
  /** The proxy's destination (`--artifacts-destination`). Without it artifact routes answer 503. */
  artifactsDestination?: ArtifactRepository;
  /** Serve the mlflow-artifacts proxy (default: when `artifactsDestination` is given). */
  serveArtifacts?: boolean;
  /** Serve only the artifact proxy; tracking routes answer 503 (`--artifacts-only`). */
  artifactsOnly?: boolean;
  /** Resolves runs' non-proxied artifact URIs for `/mlflow/artifacts/list` and `/get-artifact`. */
  resolveArtifactRepository?: ArtifactRepositoryResolver;
  /**
   * URIs whose hosts the server may contact (its `--default-artifact-root` and
   * `--artifacts-destination`); other host-addressed locations are refused (SSRF guard).
   */
  trustedArtifactUris?: string[];
  /** Schemes allowed to address any host. Default: env `MLFLOW_ALLOWED_HOST_ADDRESSED_ARTIFACT_SCHEMES`. */
  allowedHostAddressedSchemes?: string[];
  /** A path prefix every route is served under (`--static-prefix`), e.g. `/mlflow`. */
  staticPrefix?: string;
  /** Largest JSON request body in bytes (default 64 MiB). Artifact uploads are streamed and unlimited. */
  bodyLimit?: number;
  /** Answer of `/version` (default {@link MLFLOW_COMPAT_VERSION}). */
  version?: string;
  /**
   * The `store_type` that `/api/3.0/mlflow/server-info` reports: MLflow's class name for the
   * backend (`SqlStore` for SQL databases, `FileStore` for `./mlruns`); default: the tracking
   * store's `capabilities.mlflowStoreType`, else null.
   */
  storeType?: string | null;
  /**
   * MLflow's security middleware (host allow-list, CORS, X-Frame-Options), applied to every request
   * before routing. Default: on, configured from MLflow's env vars (MLFLOW_SERVER_ALLOWED_HOSTS, …,
   * MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE); `false` turns it off.
   */
  security?: SecurityOptions | false;
  /**
   * MLflow's web UI bundle (the `mlflow/server/js/build` folder of the `mlflow` 3.18.0 wheel),
   * served at `/` and `/static-files/…` below the static prefix as `mlflow server` serves it.
   * Without one `/` answers a short page saying how to get it (mlstore does not ship the bundle).
   */
  uiDir?: string;
  logger?: Logger;
}

/** A Node request handler; `next` (Express/Connect style) gets requests for unknown paths. */
export type MlflowRequestHandler = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

const API_PREFIXES = ['/api/2.0', '/ajax-api/2.0', '/api/3.0', '/ajax-api/3.0'];
const RPC_HANDLERS: Partial<Record<MlflowRpc, RpcHandler>> = { ...TRACKING_RPCS, ...TRACE_RPCS, ...REGISTRY_RPCS };
const TRACE_ARTIFACT_PATHS = new Set(['/ajax-api/2.0/mlflow/get-trace-artifact', '/ajax-api/3.0/mlflow/get-trace-artifact']);
const NOT_FOUND_HTML =
  '<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>\n';

/**
 * MLflow's tracking REST API and mlflow-artifacts proxy as a plain Node request handler: mount it
 * in `http.createServer`, Express, Connect, or Fastify (through `reply.hijack()`).
 *
 * @throws Error when neither a tracking store nor `artifactsOnly` is given.
 * @throws MlflowError INVALID_PARAMETER_VALUE for an invalid security setting (see {@link createSecurityMiddleware}).
 */
export function createMlflowHandler(options: MlflowHandlerOptions): MlflowRequestHandler {
  const logger = redactingLogger(options.logger ?? silentLogger);
  const store = options.trackingStore;
  if (!store && !options.artifactsOnly) throw new Error('createMlflowHandler: a trackingStore is required unless artifactsOnly is set');
  const destination = options.artifactsDestination;
  const serveArtifacts = (options.serveArtifacts ?? destination !== undefined) && destination !== undefined;
  const bodyLimit = options.bodyLimit ?? 64 * 1024 * 1024;
  const version = options.version ?? MLFLOW_COMPAT_VERSION;
  const staticPrefix = (options.staticPrefix ?? '').replace(/\/+$/, '');
  const policyOptions = {
    trustedUris: options.trustedArtifactUris ?? [],
    allowedSchemes: options.allowedHostAddressedSchemes ?? (process.env['MLFLOW_ALLOWED_HOST_ADDRESSED_ARTIFACT_SCHEMES'] ?? '').split(','),
  };
  const hostPolicy = createHostPolicy(policyOptions);
  const artifactLocationPolicy = createArtifactLocationPolicy(policyOptions);
  const runArtifacts = new RunArtifacts({ destination: serveArtifacts ? destination : undefined, resolve: options.resolveArtifactRepository, hostPolicy });
  const router = new RpcRouter(Object.keys(RPC_HANDLERS) as MlflowRpc[]);
  const security = createSecurityMiddleware(options.security, { staticPrefix, logger });
  const serverInfo = serverInfoJson({
    storeType: options.artifactsOnly || !store ? null : (options.storeType ?? store.capabilities.mlflowStoreType ?? null),
    servedDestination: serveArtifacts ? destination : undefined,
    env: process.env,
  });

  async function dispatch(req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<boolean> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    let path = q >= 0 ? url.slice(0, q) : url;
    const query = new URLSearchParams(q >= 0 ? url.slice(q + 1) : '');
    if (staticPrefix) {
      // Werkzeug's strict slashes: the UI's `<prefix>/` rule redirects `<prefix>` there.
      if (path === staticPrefix && (req.method === 'GET' || req.method === 'HEAD')) {
        res.writeHead(308, { Location: `${staticPrefix}/${q >= 0 ? url.slice(q) : ''}`, 'Content-Length': 0 });
        res.end();
        return true;
      }
      if (!path.startsWith(`${staticPrefix}/`)) return false;
      path = path.slice(staticPrefix.length);
    }
    const method = req.method ?? 'GET';
    if (path === '/health') return sendText(res, 200, 'OK'), true;
    if (path === '/version') return sendText(res, 200, version), true;
    if (await handleUiStatic(path, req, res, options.uiDir)) return true;
    if (await handleUiEndpoint(path, req, res, { bodyLimit, env: process.env })) return true;
    if (path === '/get-artifact' && method === 'GET') return serveRunArtifact(query, res, signal);
    // Flask merges repeated slashes (werkzeug's merge_slashes: a redirect to the merged URL), and
    // MLflow's own tests call `//model-versions/get-artifact`.
    if (/^\/+model-versions\/get-artifact$/.test(path) && method === 'GET') {
      if (options.artifactsOnly || !store) {
        sendText(res, 503, `Endpoint: ${staticPrefix}${path} disabled due to the mlflow server running in \`--artifacts-only\` mode. To enable tracking server functionality, run \`mlflow server\` without \`--artifacts-only\``);
        return true;
      }
      await serveModelVersionArtifact(query, res, { registryStore: options.registryStore, trackingStore: store, runArtifacts, hostPolicy, signal });
      return true;
    }
    if (SERVER_INFO_PATHS.has(path)) {
      if (method === 'GET' || method === 'HEAD') sendJsonText(res, 200, serverInfo);
      else sendText(res, 405, 'Method Not Allowed');
      return true;
    }
    if (path === GRAPHQL_PATH) {
      if (method !== 'GET' && method !== 'POST') return sendText(res, 405, 'Method Not Allowed'), true;
      // MLflow 3.18 still runs /graphql against its default backend in --artifacts-only mode; we
      // have no tracking store there and answer as MLflow's other tracking endpoints do.
      if (options.artifactsOnly || !store) {
        sendText(res, 503, `Endpoint: ${staticPrefix}${path} disabled due to the mlflow server running in \`--artifacts-only\` mode. To enable tracking server functionality, run \`mlflow server\` without \`--artifacts-only\``);
        return true;
      }
      const { handleGraphql } = await loadGraphqlHandler();
      await handleGraphql(req, res, { store, runArtifacts, signal, artifactLocationPolicy, registryStore: options.registryStore, hostPolicy }, bodyLimit);
      return true;
    }
    if (path === OTLP_TRACES_PATH) {
      // MLflow's OTLP router takes POST only; other methods reach Flask, which knows no such route.
      if (method !== 'POST' || options.artifactsOnly || !store) return false;
      await handleOtlpTraces(store, req, res, bodyLimit, signal);
      return true;
    }
    if (TRACE_ARTIFACT_PATHS.has(path) && method === 'GET' && store && !options.artifactsOnly) {
      await serveTraceArtifact(store, runArtifacts, query, res, signal);
      return true;
    }
    const prefix = API_PREFIXES.find((p) => path.startsWith(`${p}/`));
    if (!prefix) return false;
    const apiVersion = prefix.endsWith('3.0') ? 3 : 2;
    const rest = path.slice(prefix.length);
    if (prefix === '/ajax-api/2.0' && (await handleUiRoute(rest, req, res, query, { store: options.artifactsOnly ? undefined : store, runArtifacts, staticPrefix, signal }))) return true;

    if (rest.startsWith('/mlflow-artifacts/')) {
      if (!serveArtifacts) {
        sendText(res, 503, `Endpoint: ${path} disabled due to the mlflow server running with \`--no-serve-artifacts\`. To enable artifacts server functionality, run \`mlflow server\` with \`--serve-artifacts\``);
        return true;
      }
      return handleArtifactProxy(destination!, req, res, rest.slice('/mlflow-artifacts/'.length), query, bodyLimit, signal);
    }

    const match = router.match(method, rest, apiVersion);
    if (match === undefined) return false;
    if (match === 'method-not-allowed') {
      sendText(res, 405, 'Method Not Allowed');
      return true;
    }
    if (options.artifactsOnly || !store) {
      sendText(res, 503, `Endpoint: ${path} disabled due to the mlflow server running in \`--artifacts-only\` mode. To enable tracking server functionality, run \`mlflow server\` without \`--artifacts-only\``);
      return true;
    }
    const schema = RPC_SCHEMAS[match.rpc];
    const input = method === 'GET' && query.size > 0 ? queryToJson(schema, query) : parseJsonBody(req, await readBody(req, bodyLimit));
    const msg = readRpcRequest(schema, { ...input, ...match.params }, jsonBodySource(input));
    const ctx: RpcContext = { store, runArtifacts, signal, artifactLocationPolicy, registryStore: options.registryStore, hostPolicy };
    sendJson(res, 200, await RPC_HANDLERS[match.rpc]!(msg, ctx));
    return true;
  }

  async function serveRunArtifact(query: URLSearchParams, res: ServerResponse, signal: AbortSignal): Promise<boolean> {
    if (!store) throw new MlflowError('get-artifact needs a tracking store', 'TEMPORARILY_UNAVAILABLE');
    const runId = query.get('run_id') ?? query.get('run_uuid') ?? '';
    const path = query.get('path') ?? '';
    if (!runId) throw MlflowError.invalidParameter("Missing value for required parameter 'run_id'.");
    const info = await runInfoOf(store, runId, { signal });
    const stream = await runArtifacts.open(info.artifact_uri, path, signal);
    const name = path.slice(path.lastIndexOf('/') + 1);
    res.writeHead(200, { 'Content-Type': guessMimeType(name), 'Content-Disposition': attachmentDisposition(name), 'X-Content-Type-Options': 'nosniff' });
    await pipeline(stream, res);
    return true;
  }

  return (req, res, next) => {
    if (security?.handle(req, res)) return;
    const controller = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    dispatch(req, res, controller.signal).then(
      (handled) => {
        if (handled) return;
        if (next) return next();
        res.writeHead(404, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(NOT_FOUND_HTML) });
        res.end(NOT_FOUND_HTML);
      },
      (err: unknown) => {
        // Drain what the client still sends so it reads our answer instead of a reset, and close
        // the connection after it: an unread body may be large or may never end.
        if (!req.complete) {
          if (!res.headersSent) res.setHeader('Connection', 'close');
          req.resume();
        }
        sendError(res, err, logger);
      },
    );
  };
}

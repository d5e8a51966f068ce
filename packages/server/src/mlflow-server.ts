import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { redactingLogger, silentLogger } from '@mlstore/core';
import { createMlflowHandler, type MlflowHandlerOptions, type MlflowRequestHandler } from './mlflow-handler.js';
import { withRequestLog } from './request-log.js';

export interface MlflowServerOptions extends MlflowHandlerOptions {
  /** Interface to bind (default `127.0.0.1`; MLflow's `--host`). */
  host?: string;
  /** Port (default 5000; 0 picks a free one). */
  port?: number;
  /** How long `close()` waits for requests in flight before cutting connections (default 30 s). */
  shutdownTimeoutMs?: number;
  /**
   * Time a client has to send a request's headers (default 20 s); slower ones get 408 and are
   * closed, so half-sent requests (slowloris) cannot hold descriptors.
   */
  headersTimeoutMs?: number;
  /**
   * Time limit for a whole request, body included (default 0: none). Off by default so a long
   * artifact upload that keeps progressing is never cut; stalled ones end by `idleTimeoutMs`.
   */
  requestTimeoutMs?: number;
  /** A connection that sends and receives nothing for this long is closed (default 120 s; 0: never). */
  idleTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open between requests (default 5 s, as uvicorn). */
  keepAliveTimeoutMs?: number;
  /**
   * Most connections open at once (default: half the process's open-file limit, at most 4096);
   * further connections are closed at once instead of exhausting descriptors.
   */
  maxConnections?: number;
  /**
   * One `info` line per request once its response is done (method, path, status, ms, client), as
   * uvicorn's access log (default true; nothing is measured when false or without a logger).
   */
  accessLog?: boolean;
}

/** The process's soft open-file limit on Linux, or undefined elsewhere. */
function openFileLimit(): number | undefined {
  try {
    const line = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return line ? Number(line[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The default connection cap: half the open-file limit (the rest for stores and files), 64..4096. */
export function defaultMaxConnections(limit = openFileLimit()): number {
  return limit === undefined ? 1024 : Math.max(64, Math.min(4096, Math.floor(limit / 2)));
}

/** A listening server. */
export interface RunningMlflowServer {
  /** `http://host:port`. */
  readonly url: string;
  readonly server: Server;
  /**
   * Graceful shutdown: stops accepting connections, closes idle keep-alive connections, lets
   * requests in flight finish (up to `shutdownTimeoutMs`), then closes what is left. Idempotent.
   * The stores passed in stay open: they belong to the caller.
   */
  close(): Promise<void>;
}

/** What {@link listenMlflowServer} takes: the socket, connection limits and the request log. */
export type MlflowListenOptions = Omit<MlflowServerOptions, keyof MlflowHandlerOptions> & Pick<MlflowHandlerOptions, 'logger'>;

/** A bound port that answers 503 until {@link ListeningMlflowServer.serve} gives it a handler. */
export interface ListeningMlflowServer extends RunningMlflowServer {
  /** Starts answering requests with `handler` (e.g. {@link createMlflowHandler}'s). */
  serve(handler: MlflowRequestHandler): void;
}

const STARTING = JSON.stringify({ error_code: 'TEMPORARILY_UNAVAILABLE', message: 'The server is starting; retry shortly.' });

/**
 * Binds the port before anything else is opened, so a failed start (port in use) leaves nothing
 * behind; requests get 503 TEMPORARILY_UNAVAILABLE (which MLflow's client retries) until `serve()`.
 *
 * @throws the listen error (e.g. EADDRINUSE, EACCES, EADDRNOTAVAIL).
 */
export async function listenMlflowServer(options: MlflowListenOptions): Promise<ListeningMlflowServer> {
  const logger = redactingLogger(options.logger ?? silentLogger);
  let handler: MlflowRequestHandler | undefined;
  const headersTimeout = options.headersTimeoutMs ?? 20_000;
  const respond = (req: IncomingMessage, res: ServerResponse): void => {
    if (handler) return handler(req, res);
    res.writeHead(503, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(STARTING), 'Retry-After': '1' });
    res.end(STARTING);
  };
  const server = createServer(
    {
      // Node derives the header timeout from requestTimeout when it is not given (0 turned it off).
      headersTimeout,
      requestTimeout: options.requestTimeoutMs ?? 0,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 5_000,
      // Timeouts are checked on this period; keep it well under the shortest one.
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(headersTimeout / 4))),
    },
    options.accessLog === false || logger === silentLogger ? respond : withRequestLog(respond, logger),
  );
  server.timeout = options.idleTimeoutMs ?? 120_000;
  server.maxConnections = options.maxConnections ?? defaultMaxConnections();
  server.on('drop', (data?: { remoteAddress?: string }) => logger.debug({ remoteAddress: data?.remoteAddress, maxConnections: server.maxConnections }, 'connection refused: too many open connections'));
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 5000, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        logger.warn({ timeoutMs: options.shutdownTimeoutMs ?? 30_000 }, 'requests still in flight at shutdown; closing their connections');
        server.closeAllConnections();
      }, options.shutdownTimeoutMs ?? 30_000);
      timer.unref();
      // A keep-alive connection whose response is still streaming when close() starts turns idle
      // later: close those as they go idle instead of waiting out the keep-alive timeout.
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      server.close(() => {
        clearTimeout(timer);
        clearInterval(sweep);
        resolve();
      });
      server.closeIdleConnections();
    }));
  return { url, server, close, serve: (h) => void (handler = h) };
}

/**
 * Starts MLflow's REST API and artifact proxy on a plain `node:http` server.
 *
 * @throws the listen error (e.g. EADDRINUSE).
 * @throws what {@link createMlflowHandler} throws for invalid options (before binding).
 */
export async function startMlflowServer(options: MlflowServerOptions): Promise<RunningMlflowServer> {
  const handler = createMlflowHandler(options);
  const { serve, ...running } = await listenMlflowServer(options);
  serve(handler);
  return running;
}

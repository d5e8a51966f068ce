import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '@mlstore/core';
import { createMlflowHandler, type MlflowHandlerOptions } from './mlflow-handler.js';

export interface MlflowServerOptions extends MlflowHandlerOptions {
  /** Interface to bind (default `127.0.0.1`; MLflow's `--host`). */
  host?: string;
  /** Port (default 5000; 0 picks a free one). */
  port?: number;
  /** How long `close()` waits for requests in flight before cutting connections (default 30 s). */
  shutdownTimeoutMs?: number;
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

/**
 * Starts MLflow's REST API and artifact proxy on a plain `node:http` server.
 *
 * @throws the listen error (e.g. EADDRINUSE).
 */
export async function startMlflowServer(options: MlflowServerOptions): Promise<RunningMlflowServer> {
  const logger = options.logger ?? silentLogger;
  const handler = createMlflowHandler(options);
  const server = createServer({ requestTimeout: 0, keepAliveTimeout: 5_000 }, (req, res) => handler(req, res));
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
      server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      server.closeIdleConnections();
    }));
  return { url, server, close };
}

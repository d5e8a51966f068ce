import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from '@mlstore/core';

/** The fields of one request line (pino-http's message; uvicorn's access-log content). */
export interface RequestLogLine {
  method: string;
  /** The request target as sent, query string included (uvicorn logs the same). */
  path: string;
  /** The status sent; for a response cut before its end, the status it had. */
  status: number;
  /** Milliseconds from the request's headers to the response's end, one decimal. */
  ms: number;
  /** `address:port` of the peer. */
  client: string;
  /** True when the connection closed before the response was complete. */
  aborted?: true;
}

/** The message every request line carries, so a log reader can select them. */
export const REQUEST_LOG_MESSAGE = 'request completed';

/**
 * Wraps a request listener so that each request logs one `info` line after its response is done
 * (nothing is written on the request's path: the line costs one timestamp and one listener).
 */
export function withRequestLog(listener: (req: IncomingMessage, res: ServerResponse) => void, logger: Logger): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const start = performance.now();
    // Read now: a socket destroyed before the response ends no longer knows its peer.
    const client = `${req.socket.remoteAddress ?? ''}:${req.socket.remotePort ?? ''}`;
    res.once('close', () => {
      const line: RequestLogLine = {
        method: req.method ?? '',
        path: req.url ?? '',
        status: res.statusCode,
        ms: Math.round((performance.now() - start) * 10) / 10,
        client,
      };
      if (!res.writableFinished) line.aborted = true;
      logger.info(line, REQUEST_LOG_MESSAGE);
    });
    listener(req, res);
  };
}

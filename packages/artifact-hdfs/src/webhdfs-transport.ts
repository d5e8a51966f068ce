import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { MlflowError } from '@mlstore/core';
import { PREFIX, mapHdfsError, redactWebHdfs } from './errors.js';
import type { HdfsSettings } from './hdfs-options.js';
import { encodeHdfsPath } from './hdfs-uri.js';
import { negotiateHeader } from './kerberos-auth.js';

/** A request body: a buffer (sent with Content-Length) or a stream (sent chunked). */
export type RequestBody = Buffer | Readable;

export interface SendOptions {
  body?: RequestBody;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** What the call does, for messages. */
  what: string;
}

/** Marks an error raised by the request body (the caller's stream), so it is not taken for a network failure. */
export class BodyError extends Error {
  constructor(readonly original: unknown) {
    super(`the body stream failed: ${(original as Error | undefined)?.message ?? String(original)}`);
  }
}

/**
 * HTTP to a WebHDFS/HttpFS gateway and to the datanodes it redirects to, over node:http(s): the
 * datanode (Netty) sends an unsolicited `100 Continue` before its `201`, which fetch/undici refuse
 * and node:http tolerates. Keeps connections alive (one agent per protocol, `maxSockets` per host),
 * adds authentication (`user.name`, `delegation`, or SPNEGO with the `hadoop.auth` cookie reused),
 * and honours an AbortSignal until the response body is consumed.
 */
export class WebHdfsTransport {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private authCookie: string | undefined;

  constructor(readonly settings: HdfsSettings) {
    const opts = { keepAlive: true, maxSockets: settings.maxSockets, maxFreeSockets: Math.min(8, settings.maxSockets) };
    this.httpAgent = new http.Agent(opts);
    this.httpsAgent = new https.Agent(opts);
  }

  /** The gateway URL of `op` on `absPath`, with the auth parameters and `params` (undefined skipped). */
  opUrl(absPath: string, op: string, params: Record<string, string | number | boolean | undefined> = {}): URL {
    const url = new URL(this.settings.gatewayBase.href);
    url.pathname = this.settings.gatewayBase.pathname + encodeHdfsPath(absPath);
    const q: string[] = [`op=${op}`];
    const auth = this.settings.auth;
    if (auth.kind === 'simple') q.push(`user.name=${encodeURIComponent(auth.user)}`);
    else if (auth.kind === 'delegation') q.push(`delegation=${encodeURIComponent(auth.token)}`);
    for (const [k, v] of Object.entries(params)) if (v !== undefined) q.push(`${k}=${encodeURIComponent(String(v))}`);
    url.search = `?${q.join('&')}`;
    return url;
  }

  private sameOrigin(url: URL): boolean {
    return url.origin === this.settings.gatewayBase.origin;
  }

  private async authHeaders(url: URL, fresh: boolean): Promise<Record<string, string>> {
    const auth = this.settings.auth;
    if (auth.kind !== 'kerberos' || !this.sameOrigin(url)) return {};
    if (this.authCookie && !fresh) return { cookie: this.authCookie };
    return { authorization: await negotiateHeader(auth.service, auth.module, auth.ticketCache) };
  }

  private keepCookie(res: http.IncomingMessage): void {
    if (this.settings.auth.kind !== 'kerberos') return;
    for (const c of res.headers['set-cookie'] ?? []) {
      const m = /^hadoop\.auth=("[^"]*"|[^;]*)/.exec(c);
      if (m && m[1] && m[1] !== '""') this.authCookie = `hadoop.auth=${m[1]}`;
    }
  }

  /**
   * Sends one request and resolves with the response once its headers arrive (any status). The
   * signal stays armed until the response body ends; the idle timeout fails a silent socket.
   *
   * @throws MlflowError CANCELLED when aborted, TEMPORARILY_UNAVAILABLE on connection failures;
   *   a {@link BodyError} when the body stream fails.
   */
  async send(url: URL, method: string, opts: SendOptions): Promise<http.IncomingMessage> {
    const first = await this.sendOnce(url, method, opts, false);
    // A stale hadoop.auth cookie: negotiate afresh once (bodies here are never streams: uploads
    // stream only to the datanode/redirect target, after the authenticated first step).
    if (first.statusCode === 401 && this.settings.auth.kind === 'kerberos' && this.authCookie && !(opts.body instanceof Readable)) {
      first.resume();
      this.authCookie = undefined;
      return this.sendOnce(url, method, opts, true);
    }
    return first;
  }

  private async sendOnce(url: URL, method: string, opts: SendOptions, fresh: boolean, retried = false): Promise<http.IncomingMessage> {
    const { signal, body } = opts;
    if (signal?.aborted) throw mapHdfsError(signal.reason, opts.what, signal);
    const headers: Record<string, string> = { ...(await this.authHeaders(url, fresh)), ...(opts.headers ?? {}) };
    if (this.settings.csrfHeader && method !== 'GET') headers[this.settings.csrfHeader] = 'mlstore';
    if (body === undefined) headers['content-length'] = '0';
    else if (Buffer.isBuffer(body)) headers['content-length'] = String(body.length);
    const https_ = url.protocol === 'https:';
    return new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = (https_ ? https : http).request(url, { method, headers, agent: https_ ? this.httpsAgent : this.httpAgent });
      let settled = false;
      let bodyError: BodyError | undefined;
      const onAbort = () => req.destroy(Object.assign(new Error('aborted'), { name: 'AbortError' }));
      signal?.addEventListener('abort', onAbort, { once: true });
      const disarm = () => signal?.removeEventListener('abort', onAbort);
      const fail = (error: unknown) => {
        disarm();
        if (settled) return;
        settled = true;
        // A kept-alive connection the server (or a proxy) closed meanwhile: resend once on a new
        // one, unless the body was a stream (it cannot be replayed).
        const code = (error as { code?: unknown }).code;
        if (!retried && !bodyError && req.reusedSocket && !(body instanceof Readable) && !signal?.aborted && (code === 'ECONNRESET' || code === 'EPIPE')) {
          resolve(this.sendOnce(url, method, opts, fresh, true));
          return;
        }
        reject(bodyError ?? mapHdfsError(error, opts.what, signal));
      };
      if (this.settings.idleTimeoutMs > 0) {
        req.setTimeout(this.settings.idleTimeoutMs, () =>
          req.destroy(Object.assign(new Error(`no data for ${this.settings.idleTimeoutMs} ms`), { code: 'ETIMEDOUT' })),
        );
      }
      req.on('error', fail);
      req.on('response', (res) => {
        settled = true;
        this.keepCookie(res);
        res.once('close', disarm);
        if (body instanceof Readable && (res.statusCode ?? 0) >= 300) {
          // Refused before the body was consumed: stop sending it.
          body.unpipe(req);
          body.resume();
        }
        resolve(res);
      });
      if (body instanceof Readable) {
        body.once('error', (e) => {
          bodyError = new BodyError(e);
          req.destroy(bodyError);
        });
        body.pipe(req);
      } else {
        req.end(body);
      }
    });
  }

  /**
   * `send`, following one redirect (307 to a datanode, or HttpFS to itself with `data=true`): the
   * first request carries no body; the body goes to the redirect target.
   */
  async sendRedirected(url: URL, method: string, opts: SendOptions): Promise<http.IncomingMessage> {
    const { body, ...head } = opts;
    const first = await this.send(url, method, head);
    const status = first.statusCode ?? 0;
    if (status < 300 || status >= 400) {
      // No redirect: only an error is acceptable when a body still has to go somewhere.
      if (body !== undefined && status < 300) {
        first.resume();
        throw new MlflowError(`${PREFIX} ${opts.what}: the gateway answered ${status} instead of redirecting the upload`, 'INTERNAL_ERROR');
      }
      return first;
    }
    first.resume();
    const location = first.headers.location;
    if (!location) throw new MlflowError(`${PREFIX} ${opts.what}: HTTP ${status} without a Location`, 'INTERNAL_ERROR');
    let target: URL;
    try {
      target = new URL(location, url);
    } catch {
      throw new MlflowError(`${PREFIX} ${opts.what}: bad redirect ${JSON.stringify(redactWebHdfs(location))}`, 'INTERNAL_ERROR');
    }
    return this.send(target, method, { ...opts, headers: { ...(opts.headers ?? {}), ...(body ? { 'content-type': 'application/octet-stream' } : {}) } });
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

/** Reads a (small) response body as text, at most `limit` bytes kept. */
export async function readText(res: http.IncomingMessage, limit = 4 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    const b = chunk as Buffer;
    if (size < limit) chunks.push(b);
    size += b.length;
  }
  return Buffer.concat(chunks).toString('utf8');
}

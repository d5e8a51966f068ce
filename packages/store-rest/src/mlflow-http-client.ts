import { PassThrough, Readable } from 'node:stream';
import { MlflowError, parseJsonExact, redactUri } from '@mlstore/core';
import { Agent, type Dispatcher } from 'undici';
import {
  MlflowAbortError,
  PACKAGE_PREFIX,
  bodyExcerpt,
  classifyFailure,
  errorFromFailure,
  errorFromResponse,
} from './errors.js';
import { resolveHttpClientOptions, type MlflowHttpClientOptions, type ResolvedHttpClientOptions } from './http-client-options.js';
import { abortErrorFor, isRetryableStatus, retryDelayMs, backoffDelayMs, retryPolicyFor, sleep, type RetryPolicy } from './retry.js';
import { encodeQuery, requote, splitAbsoluteUrl, type Query } from './url.js';

/** HTTP methods of {@link MlflowHttpClient.callJson}. */
export type JsonMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** A request body: one-shot (`Readable`, async iterable) or replayable (string, bytes, a factory). */
export type HttpBody = string | Uint8Array | Readable | AsyncIterable<Uint8Array>;

/** Options of one call. */
export interface HttpCallOptions {
  /** Aborts at once (also during backoff sleeps) with an `MlflowAbortError` (name `AbortError`). */
  signal?: AbortSignal;
  /**
   * Whether the request may safely be sent twice. Default: true for every method except POST.
   * Non-idempotent requests are retried only on 408/429 and connection failures, as MLflow
   * retries POSTs that are not on its retry-safe list.
   */
  idempotent?: boolean;
  /** Headers of this call (after the client's; `Authorization` is set by the client). */
  headers?: Record<string, string>;
  /** Overrides the client's `maxRetries` for this call (e.g. 0 for a best-effort probe). */
  maxRetries?: number;
  /**
   * `callJson` only: integers beyond 2^53 in the response are kept exact, as decimal text (span
   * times in nanoseconds, which MLflow writes as JSON numbers).
   */
  exactIntegers?: boolean;
}

/** Options of {@link MlflowHttpClient.request}. */
export interface HttpRequestOptions extends HttpCallOptions {
  /** Query parameters, encoded by `encodeQuery` and appended to any query already in the URL. */
  query?: Query;
  /**
   * The body. A `Readable` or async iterable can be sent only once, so such a request is never
   * retried; pass a factory (`() => createReadStream(file)`) to make a streamed body retryable.
   */
  body?: HttpBody | (() => HttpBody);
}

/** A response whose body the caller must consume or destroy. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Streamed body; transport failures surface as `MlflowError`s, an abort as `MlflowAbortError`. */
  body: Readable;
}

/**
 * An HTTP client for an MLflow tracking server with the Python client's semantics: auth from
 * options / env / `~/.mlflow/credentials`, TLS settings, urllib3-style retries with backoff and
 * `Retry-After`, a per-attempt timeout, and MLflow's error mapping. One keep-alive connection pool
 * (an undici `Agent`) per client; call {@link close} when done.
 */
export class MlflowHttpClient {
  /** `scheme://host[:port][/prefix]`, without credentials or trailing slash. */
  readonly baseUrl: string;
  private readonly options: ResolvedHttpClientOptions;
  private readonly agent: Agent;
  private readonly origin: string;

  /**
   * @throws MlflowError INVALID_PARAMETER_VALUE for an invalid URL or environment variable, or
   *   an unreadable certificate file (see {@link resolveHttpClientOptions}).
   */
  constructor(options: MlflowHttpClientOptions) {
    this.options = resolveHttpClientOptions(options);
    this.baseUrl = this.options.baseUrl;
    this.origin = new URL(this.baseUrl).origin;
    const connect: Record<string, unknown> = { rejectUnauthorized: !this.options.insecureTls };
    if (this.options.timeoutMs > 0) connect.timeout = this.options.timeoutMs;
    if (this.options.ca) connect.ca = this.options.ca;
    if (this.options.clientCert) {
      // One PEM holds both, like the `cert` file of `requests`; OpenSSL picks the right blocks.
      connect.cert = this.options.clientCert;
      connect.key = this.options.clientCert;
    }
    this.agent = new Agent({ connect, headersTimeout: this.options.timeoutMs, bodyTimeout: this.options.timeoutMs });
  }

  /**
   * A JSON RPC call like MLflow's `call_endpoint`: GET sends `payload` as the query string
   * (arrays as repeated keys, booleans `true`/`false`); other methods send it as a JSON body with
   * `Content-Type: application/json`. Returns the parsed JSON object (`{}` for an empty 2xx body).
   *
   * @throws MlflowHttpError for a non-2xx response: a JSON `{error_code, message}` body gives that
   *   code and `"<code>: <message>"`; any other body the code of the status, with the status and a
   *   body excerpt in the message. `httpStatus` is the status received.
   * @throws MlflowError INTERNAL_ERROR when a 2xx body is not a JSON object; DEADLINE_EXCEEDED
   *   after timeouts; TEMPORARILY_UNAVAILABLE after connection failures (retries exhausted).
   * @throws MlflowAbortError when `opts.signal` aborts.
   */
  async callJson<T = Record<string, unknown>>(method: JsonMethod, path: string, payload?: Record<string, unknown>, opts: HttpCallOptions = {}): Promise<T> {
    const request: HttpRequestOptions = { ...opts };
    if (method === 'GET') {
      if (payload) request.query = payload as Query;
    } else if (payload !== undefined) {
      request.body = JSON.stringify(payload);
      request.headers = { 'content-type': 'application/json', ...(opts.headers ?? {}) };
    }
    const what = `to endpoint ${path}`;
    const response = await this.request(method, path, request);
    const text = await readText(response.body);
    if (response.status < 200 || response.status > 299) throw errorFromResponse(response.status, text, what);
    const trimmed = text.trim();
    if (trimmed === '' || trimmed === '200 OK') return {} as T;
    let parsed: unknown;
    try {
      parsed = opts.exactIntegers ? parseJsonExact(text) : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new MlflowError(
        `${PACKAGE_PREFIX} API request ${what} was successful but the response body was not a JSON object. Response body: '${bodyExcerpt(text)}'`,
        'INTERNAL_ERROR',
      );
    }
    return parsed as T;
  }

  /**
   * A raw request (artifact up- and downloads). `pathOrUrl` is a path below `baseUrl` (encode it
   * with `encodeUrlPath`; characters invalid in URLs are escaped, `%XX` kept) or an absolute
   * http(s) URL (e.g. a presigned part URL), which gets neither the `Authorization` header nor
   * the client's extra headers unless it has the base URL's origin. Every status is returned
   * (after retries); the caller consumes or destroys `body`.
   *
   * @throws MlflowError DEADLINE_EXCEEDED / TEMPORARILY_UNAVAILABLE / INTERNAL_ERROR (TLS) for
   *   transport failures once retries are exhausted; MlflowAbortError on abort.
   */
  async request(method: string, pathOrUrl: string, opts: HttpRequestOptions = {}): Promise<HttpResponse> {
    const { origin, path } = this.target(pathOrUrl, opts.query);
    const url = `${origin}${path}`;
    const what = `${method} ${redactUri(url)}`;
    const headers: Record<string, string> = { 'user-agent': 'mlstore-store-rest' };
    if (origin === this.origin) Object.assign(headers, lower(this.options.headers));
    Object.assign(headers, lower(opts.headers ?? {}));
    if (origin === this.origin && this.options.authorization) headers.authorization = this.options.authorization;

    const replayable = opts.body === undefined || typeof opts.body === 'function' || typeof opts.body === 'string' || opts.body instanceof Uint8Array;
    const base = retryPolicyFor({ ...this.options, maxRetries: opts.maxRetries ?? this.options.maxRetries }, opts.idempotent ?? method.toUpperCase() !== 'POST');
    const policy: RetryPolicy = replayable ? base : { ...base, maxRetries: 0 };
    const { signal } = opts;

    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw abortErrorFor(signal);
      const body = typeof opts.body === 'function' ? opts.body() : opts.body;
      let response: Dispatcher.ResponseData;
      try {
        response = await this.agent.request({
          origin,
          path,
          method: method.toUpperCase() as 'GET',
          headers,
          body: toUndiciBody(body),
          signal: signal ?? null,
          headersTimeout: this.options.timeoutMs,
          bodyTimeout: this.options.timeoutMs,
        });
      } catch (err) {
        if (signal?.aborted) throw abortErrorFor(signal);
        if (isAbort(err)) throw new MlflowAbortError(undefined, err);
        const kind = classifyFailure(err);
        // TLS and unknown failures are not retried: a retry cannot fix a certificate (urllib3 would
        // retry them as "other" errors until the total budget is spent).
        const retryable = kind === 'connect' || (kind === 'read' && policy.retryReadErrors);
        if (!retryable || attempt >= policy.maxRetries) throw errorFromFailure(err, what, this.options.timeoutMs);
        const delay = backoffDelayMs(policy, attempt + 1);
        this.options.logger.debug({ method, url: redactUri(url), attempt: attempt + 1, error: errCode(err), delayMs: Math.round(delay) }, 'retrying HTTP request');
        await sleep(delay, signal ?? undefined);
        continue;
      }
      const retryAfter = headerValue(response.headers['retry-after']);
      if (attempt < policy.maxRetries && isRetryableStatus(policy, response.statusCode, retryAfter !== undefined && retryAfter !== '')) {
        await response.body.dump().catch(() => undefined);
        const delay = retryDelayMs(policy, attempt + 1, retryAfter);
        this.options.logger.debug({ method, url: redactUri(url), attempt: attempt + 1, status: response.statusCode, delayMs: Math.round(delay) }, 'retrying HTTP request');
        await sleep(delay, signal ?? undefined);
        continue;
      }
      return {
        status: response.statusCode,
        headers: response.headers as Record<string, string | string[] | undefined>,
        body: mapBodyErrors(response.body, (err) => (signal?.aborted || isAbort(err) ? abortErrorFor(signal) : errorFromFailure(err, what, this.options.timeoutMs))),
      };
    }
  }

  /** Closes the connection pool; in-flight requests finish first. */
  async close(): Promise<void> {
    await this.agent.close();
  }

  private target(pathOrUrl: string, query: Query | undefined): { origin: string; path: string } {
    const abs = splitAbsoluteUrl(pathOrUrl);
    const qs = encodeQuery(query);
    const withQuery = (p: string) => (qs ? `${p}${p.includes('?') ? '&' : '?'}${qs}` : p);
    if (abs) return { origin: abs.origin, path: withQuery(requote(abs.path)) };
    if (/^[a-z][a-z0-9+.-]*:/i.test(pathOrUrl)) {
      throw MlflowError.invalidParameter(`${PACKAGE_PREFIX} only http(s) URLs can be requested, got ${redactUri(pathOrUrl)}`);
    }
    const basePath = this.baseUrl.slice(this.origin.length);
    const rel = pathOrUrl.startsWith('/') ? pathOrUrl : `/${pathOrUrl}`;
    return { origin: this.origin, path: withQuery(requote(`${basePath}${rel}`)) };
  }
}

function lower(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function errCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function isAbort(err: unknown): boolean {
  return (err as { name?: unknown } | undefined)?.name === 'AbortError' || errCode(err) === 'UND_ERR_ABORTED';
}

function toUndiciBody(body: HttpBody | undefined): string | Uint8Array | Readable | null {
  if (body === undefined) return null;
  if (typeof body === 'string' || body instanceof Uint8Array || body instanceof Readable) return body;
  return Readable.from(body);
}

/** Re-emits `source` through a PassThrough whose errors are mapped; destroying it destroys the source. */
function mapBodyErrors(source: Readable, map: (err: unknown) => Error): Readable {
  const out = new PassThrough();
  source.on('error', (err) => out.destroy(map(err)));
  out.on('close', () => {
    if (!source.destroyed) source.destroy();
  });
  source.pipe(out);
  return out;
}

async function readText(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString('utf8');
}

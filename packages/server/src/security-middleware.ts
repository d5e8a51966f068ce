import type { IncomingMessage, ServerResponse } from 'node:http';
import { MlflowError, silentLogger, type Logger } from '@mlstore/core';
import { decodePath, HostMatcher, isLocalhostOrigin, OriginMatcher, PRIVATE_IPV6_PATTERNS } from './security-patterns.js';

// MLflow 3.18's security middleware (mlflow/server/fastapi_security.py, security.py,
// security_utils.py), re-derived. `mlflow server` runs it as ASGI layers, outermost first: host
// validation, CORS (Starlette's CORSMiddleware: preflights, response headers), blocking of
// cross-origin state changes, then security headers — so a refused host gets no CORS or security
// headers, a preflight no security headers, and a blocked request CORS headers only. The same order
// is kept here. Flask-CORS's extra headers on Flask-served routes (a duplicate `Vary: Origin`,
// `Access-Control-Allow-Origin` on requests without `Origin`) change nothing for browsers and are not
// reproduced.

/** Body of the 403 answering a Host header outside the allow-list (MLflow's text). */
export const INVALID_HOST_MESSAGE = 'Invalid Host header - possible DNS rebinding attack detected';
/** Body of the 403 answering a cross-origin state-changing API request (MLflow's text). */
export const CORS_BLOCKED_MESSAGE = 'Cross-origin request blocked';
/** MLflow's default `X-Frame-Options` value. */
export const DEFAULT_X_FRAME_OPTIONS = 'SAMEORIGIN';

const LOCALHOST_VARIANTS = ['localhost', '127.0.0.1', '[::1]', '0.0.0.0'];

/**
 * MLflow's default Host allow-list, whatever interface the server binds (127.0.0.1 and 0.0.0.0
 * alike): the loopback names on any port (`[[]` is fnmatch's literal `[`), then the private
 * ranges 192.168/16, 10/8, 172.16/12 (IP literals only) and `fc00:*`/`fd00:*` (bare IPv6 literals).
 */
export const DEFAULT_ALLOWED_HOSTS: readonly string[] = Object.freeze([
  ...LOCALHOST_VARIANTS,
  ...LOCALHOST_VARIANTS.map((h) => `${h.replace('[', '[[]')}:*`),
  '192.168.*',
  '10.*',
  ...Array.from({ length: 16 }, (_, i) => `172.${16 + i}.*`),
  ...PRIVATE_IPV6_PATTERNS,
]);

/** Options of the security middleware; unset fields come from MLflow's env vars, then defaults. */
export interface SecurityOptions {
  /**
   * Allowed `Host` header values (`--allowed-hosts`, env `MLFLOW_SERVER_ALLOWED_HOSTS`): exact
   * (case-sensitive, port included) unless they hold `*`, then shell patterns; `'*'` allows all.
   * Default (also for an empty list) {@link DEFAULT_ALLOWED_HOSTS}. `/health` and `/version` are exempt.
   */
  allowedHosts?: string[];
  /**
   * Origins allowed cross-origin (`--cors-allowed-origins`, env `MLFLOW_SERVER_CORS_ALLOWED_ORIGINS`);
   * `http://localhost`, `http://127.0.0.1` and `http://[::1]` on any port always are. `'*'` allows
   * every origin without credentials and turns blocking off. Default `[]`.
   */
  corsAllowedOrigins?: string[];
  /**
   * `X-Frame-Options` value, sent upper-cased; `NONE` (any case) or `''` sends none, and the
   * notebook trace renderer never gets it (`--x-frame-options`, env `MLFLOW_SERVER_X_FRAME_OPTIONS`).
   * Default `SAMEORIGIN`.
   */
  xFrameOptions?: string;
}

/** The raw values of `mlflow server`'s security flags (comma-separated lists, as typed). */
export interface MlflowSecurityFlags {
  /** `--allowed-hosts`, e.g. `mlflow.example.com,10.0.0.5:5000`. */
  allowedHosts?: string;
  /** `--cors-allowed-origins`, e.g. `https://app.example.com`. */
  corsAllowedOrigins?: string;
  /** `--x-frame-options`. */
  xFrameOptions?: string;
  /** `--disable-security-middleware` (true when given). */
  disableSecurityMiddleware?: boolean;
}

/** click's boolean words, which `mlflow server` accepts for MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE. */
const CLICK_BOOLEANS = new Map(Object.entries({ '1': true, '0': false, yes: true, no: false, true: true, false: false, on: true, off: false, t: true, f: false, y: true, n: false, '': false }));

function envList(value: string | undefined): string[] | undefined {
  return value ? value.split(',').map((s) => s.trim()) : undefined;
}

function settings(flags: MlflowSecurityFlags, env: NodeJS.ProcessEnv): Required<SecurityOptions> {
  return {
    allowedHosts: envList(flags.allowedHosts || env['MLFLOW_SERVER_ALLOWED_HOSTS']) ?? [...DEFAULT_ALLOWED_HOSTS],
    corsAllowedOrigins: envList(flags.corsAllowedOrigins || env['MLFLOW_SERVER_CORS_ALLOWED_ORIGINS']) ?? [],
    xFrameOptions: flags.xFrameOptions || env['MLFLOW_SERVER_X_FRAME_OPTIONS'] || DEFAULT_X_FRAME_OPTIONS,
  };
}

/**
 * Resolves `mlflow server`'s security flags the way its CLI does: a non-empty flag wins over its
 * env var, lists split on `,` and trimmed; the middleware is off when `--disable-security-middleware`
 * is given or MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE is a true click boolean (1/true/yes/on/t/y,
 * any case).
 *
 * @returns the options, or `false` when the middleware is disabled.
 * @throws MlflowError INVALID_PARAMETER_VALUE when that env var is not a boolean word.
 */
export function securityOptionsFromFlags(flags: MlflowSecurityFlags, env: NodeJS.ProcessEnv = process.env): Required<SecurityOptions> | false {
  if (flags.disableSecurityMiddleware === true) return false;
  const raw = env['MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE'];
  const disabled = raw === undefined ? false : CLICK_BOOLEANS.get(raw.trim().toLowerCase());
  if (disabled === undefined) {
    throw MlflowError.invalidParameter(`Invalid value for '--disable-security-middleware': '${raw}' is not a valid boolean.`);
  }
  return disabled ? false : settings(flags, env);
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);
const CORS_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'];
/** Starlette's method list for `allow_methods=["*"]` (wildcard mode). */
const ALL_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'QUERY'];
const LOCALHOST_ORIGIN = /^(?:http:\/\/localhost(?::[0-9]+)?|http:\/\/127\.0\.0\.1(?::[0-9]+)?|http:\/\/\[::1\](?::[0-9]+)?)$/;
const PREFLIGHT_VARY = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network';
/** The notebook trace renderer must be embeddable in Jupyter, so it never gets X-Frame-Options. */
const NOTEBOOK_RENDERER_PATH = '/static-files/lib/notebook-trace-renderer';
const TEST_ENDPOINTS = new Set(['/test', '/api/test']);

/** Context of {@link createSecurityMiddleware}. */
export interface SecurityContext {
  /** The server's `--static-prefix`: health paths and API prefixes are checked under it. */
  staticPrefix?: string;
  logger?: Logger;
  /** Where unset options are read from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Builds the middleware: `false` turns it off; `undefined` reads every setting from MLflow's env
 * vars (MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE included); an object enables it, its unset
 * fields read from env, then MLflow's defaults.
 *
 * @returns the middleware, or `undefined` when disabled.
 * @throws MlflowError INVALID_PARAMETER_VALUE for a bad disable env value or an X-Frame-Options
 *   value that is not a valid header value.
 */
export function createSecurityMiddleware(options: SecurityOptions | false | undefined, context: SecurityContext = {}): SecurityMiddleware | undefined {
  const env = context.env ?? process.env;
  const logger = context.logger ?? silentLogger;
  const resolved = options === undefined ? securityOptionsFromFlags({}, env) : options && settings({}, env);
  if (!resolved) {
    logger.warn({}, 'Security middleware is DISABLED. Your MLflow server is vulnerable to various attacks.');
    return undefined;
  }
  if (options) {
    // Explicit options win over env; an empty host list means MLflow's defaults, as there.
    if (options.allowedHosts) resolved.allowedHosts = options.allowedHosts.length ? options.allowedHosts : [...DEFAULT_ALLOWED_HOSTS];
    if (options.corsAllowedOrigins) resolved.corsAllowedOrigins = options.corsAllowedOrigins;
    if (options.xFrameOptions !== undefined) resolved.xFrameOptions = options.xFrameOptions;
  }
  return new SecurityMiddleware(resolved, context.staticPrefix ?? '', logger);
}

/** Decides each request before routing: refuses it, answers a CORS preflight, or sets its headers. */
export class SecurityMiddleware {
  private readonly hosts: HostMatcher | undefined;
  private readonly corsWildcard: boolean;
  private readonly corsExact: Set<string>;
  private readonly blockExemptions: OriginMatcher;
  private readonly xFrameOptions: string | undefined;
  private readonly healthPaths: Set<string>;
  private readonly apiPrefixes: string[];
  private readonly preflightBase: Record<string, string>;
  private readonly corsMethods: Set<string>;

  constructor(options: Required<SecurityOptions>, staticPrefix: string, private readonly logger: Logger) {
    const prefix = staticPrefix.replace(/\/+$/, '');
    const matcher = new HostMatcher(options.allowedHosts);
    this.hosts = matcher.allowAll ? undefined : matcher;
    if (matcher.allowAll) logger.warn({}, 'Accepting ALL hosts. This may leave the server vulnerable to DNS rebinding attacks.');
    const origins = options.corsAllowedOrigins;
    this.corsWildcard = origins.includes('*');
    if (this.corsWildcard) {
      logger.warn({}, 'MLFLOW_SERVER_CORS_ALLOWED_ORIGINS=* is set; disabling credentialed CORS. Wildcard origins with credentials is a CORS spec violation.');
    }
    this.corsExact = new Set(origins);
    this.blockExemptions = new OriginMatcher(origins);
    const xfo = options.xFrameOptions.toUpperCase();
    if (!/^[\t\x20-\x7e\x80-\xff]*$/.test(xfo)) throw MlflowError.invalidParameter(`Invalid X-Frame-Options value: ${JSON.stringify(options.xFrameOptions)}`);
    this.xFrameOptions = xfo && xfo !== 'NONE' ? xfo : undefined;
    this.healthPaths = new Set([`${prefix}/health`, `${prefix}/version`]);
    // The artifact routes are served unprefixed even under a static prefix, so they count too.
    this.apiPrefixes = [`${prefix}/api/`, `${prefix}/ajax-api/`, '/api/2.0/mlflow-artifacts/artifacts', '/ajax-api/2.0/mlflow-artifacts/artifacts'];
    const methods = this.corsWildcard ? ALL_METHODS : CORS_METHODS;
    this.corsMethods = new Set(methods);
    this.preflightBase = {
      Vary: PREFLIGHT_VARY,
      ...(this.corsWildcard ? { 'Access-Control-Allow-Origin': '*' } : {}),
      'Access-Control-Allow-Methods': methods.join(', '),
      'Access-Control-Max-Age': '600',
      ...(this.corsWildcard ? {} : { 'Access-Control-Allow-Credentials': 'true' }),
    };
  }

  /**
   * Applies the middleware to one request. Returns `true` when it answered the request itself
   * (403 for a refused host or a blocked cross-origin change, 200/400 for a preflight); otherwise it
   * has set the CORS and security headers on `res` and routing goes on.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    // Decoded, as the ASGI path MLflow checks: `/%68ealth` is exempt there too.
    const path = decodePath(q >= 0 ? url.slice(0, q) : url);
    const host = req.headers.host;
    if (this.hosts && !this.healthPaths.has(path) && !this.hosts.allows(host)) {
      this.logger.warn({ host }, 'Rejected request with invalid Host header');
      return refuse(req, res, INVALID_HOST_MESSAGE);
    }
    const origin = req.headers.origin;
    const method = req.method ?? 'GET';
    if (origin !== undefined && method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      this.preflight(req, res, origin);
      return true;
    }
    res.setHeader('Vary', 'Origin');
    if (origin !== undefined) {
      if (this.corsWildcard) {
        res.setHeader('Access-Control-Allow-Origin', '*');
      } else {
        res.setHeader('Access-Control-Allow-Credentials', 'true');
        if (this.allowsCors(origin)) res.setHeader('Access-Control-Allow-Origin', origin);
      }
      res.setHeader('Access-Control-Expose-Headers', '*');
      if (!this.corsWildcard && origin && STATE_CHANGING.has(method) && this.isApiPath(path) && !isLocalhostOrigin(origin) && !this.blockExemptions.matches(origin)) {
        this.logger.warn({ origin }, 'Blocked cross-origin request');
        return refuse(req, res, CORS_BLOCKED_MESSAGE);
      }
    }
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (this.xFrameOptions && !path.startsWith(NOTEBOOK_RENDERER_PATH)) res.setHeader('X-Frame-Options', this.xFrameOptions);
    return false;
  }

  /** Starlette's preflight answer: allowed origin (exact or localhost), method, and private network. */
  private preflight(req: IncomingMessage, res: ServerResponse, origin: string): void {
    const headers = { ...this.preflightBase };
    const failures: string[] = [];
    if (!this.allowsCors(origin)) failures.push('origin');
    else if (!this.corsWildcard) headers['Access-Control-Allow-Origin'] = origin;
    if (!this.corsMethods.has(String(req.headers['access-control-request-method']))) failures.push('method');
    const requestedHeaders = req.headers['access-control-request-headers'];
    if (requestedHeaders !== undefined) headers['Access-Control-Allow-Headers'] = requestedHeaders;
    if (req.headers['access-control-request-private-network'] !== undefined) failures.push('private-network');
    const body = failures.length ? `Disallowed CORS ${failures.join(', ')}` : 'OK';
    res.writeHead(failures.length ? 400 : 200, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }

  /** Whether CORS headers allow `origin`: exact entries only (patterns just exempt from blocking). */
  private allowsCors(origin: string): boolean {
    return this.corsWildcard || this.corsExact.has(origin) || LOCALHOST_ORIGIN.test(origin);
  }

  private isApiPath(path: string): boolean {
    return this.apiPrefixes.some((p) => path.startsWith(p)) && !TEST_ENDPOINTS.has(path);
  }
}

function refuse(req: IncomingMessage, res: ServerResponse, message: string): true {
  // With a body still coming the connection is closed after the answer: a refused client must not
  // hold a descriptor while it trickles (it still reads the 403, as the body is drained meanwhile).
  const close = req.complete ? {} : { Connection: 'close' };
  res.writeHead(403, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(message), ...close });
  res.end(message);
  if (!req.complete) req.resume();
  return true;
}

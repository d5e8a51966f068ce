import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { readBody, sendJsonText, sendText } from './http-io.js';

// The small endpoints MLflow 3.18's UI calls on every page besides the REST API, answered as
// `mlflow server` answers them with no AI gateway, no assistant provider and no telemetry:
// Flask's `gateway_proxy_handler` and `get/post_ui_telemetry_handler` (server/handlers.py) and
// FastAPI's assistant router (server/assistant/api.py). mlstore runs none of those services and
// sends telemetry nowhere.

const GATEWAY_PROXY_PATH = '/ajax-api/2.0/mlflow/gateway-proxy';
const UI_TELEMETRY_PATH = '/ajax-api/3.0/mlflow/ui-telemetry';
const ASSISTANT_PREFIX = '/ajax-api/3.0/mlflow/assistant';

/** MLflow's `FALLBACK_UI_CONFIG` (telemetry/constant.py): what the UI reads when it must not record. */
const UI_TELEMETRY_OFF = JSON.stringify({ disable_ui_events: [], disable_ui_telemetry: true, ui_rollout_percentage: 0 });

/** MLflow's `_is_ci_env_or_testing` variables (telemetry/utils.py): telemetry is off where any is set. */
const CI_ENV_VARS = [
  'PYTEST_CURRENT_TEST', 'GITHUB_ACTIONS', 'CI', 'CIRCLECI', 'GITLAB_CI', 'JENKINS_URL', 'TRAVIS', 'TF_BUILD',
  'BITBUCKET_BUILD_NUMBER', 'CODEBUILD_BUILD_ARN', 'BUILDKITE', 'TEAMCITY_VERSION', 'CLOUD_RUN_EXECUTION',
  'RUNBOT_HOST_URL', 'RUNBOT_BUILD_NAME', 'RUNBOT_WORKER_ID',
];

const envTrue = (value: string | undefined): boolean => value !== undefined && ['true', '1'].includes(value.toLowerCase());

/**
 * MLflow's `is_telemetry_disabled()`: `MLFLOW_DISABLE_TELEMETRY` true/1, `DO_NOT_TRACK=true`, or a
 * CI variable; `_MLFLOW_TESTING_TELEMETRY` true/1 forces it on.
 */
export function telemetryDisabled(env: NodeJS.ProcessEnv): boolean {
  if (envTrue(env['_MLFLOW_TESTING_TELEMETRY'])) return false;
  return envTrue(env['MLFLOW_DISABLE_TELEMETRY']) || (env['DO_NOT_TRACK'] ?? 'false').toLowerCase() === 'true' || CI_ENV_VARS.some((name) => name in env);
}

/**
 * The assistant providers MLflow 3.18 lists (`list_providers()`), none available here: mlstore
 * runs no assistant, so `resolved` is null, as MLflow answers on a host without any of them.
 */
const ASSISTANT_PROVIDERS = JSON.stringify({
  providers: [
    ['claude_code', 'Claude Code', 'AI-powered assistant using Claude Code CLI', false, 'structured'],
    ['codex', 'Codex', 'AI-powered assistant using the Codex CLI', false, 'structured'],
    ['mlflow_gateway', 'MLflow AI Gateway', 'AI-powered assistant backed by an MLflow AI Gateway endpoint configured on this server.', true, 'tool'],
    ['ollama', 'Ollama', 'AI-powered assistant using a locally running Ollama server.', false, 'tool'],
  ].map(([name, display_name, description, allows_remote_access, client_tool_delivery]) => ({
    name,
    display_name,
    description,
    available: false,
    selected: false,
    requires_api_key: false,
    has_api_key: false,
    allows_remote_access,
    client_tool_delivery,
    model_options: [],
  })),
  resolved: null,
  gateway_vendor_options: { openai: ['gpt-5.5'], anthropic: ['claude-sonnet-5'], gemini: ['gemini-3-pro'] },
});

/** Headers a reverse proxy adds (MLflow's `_FORWARDED_REQUEST_HEADERS`): their presence makes a caller remote. */
const FORWARDED_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip', 'via'];

/** MLflow's `_is_localhost`: a loopback peer address and no forwarding header. */
export function isLocalCaller(req: IncomingMessage): boolean {
  if (FORWARDED_HEADERS.some((h) => h in req.headers)) return false;
  const address = (req.socket.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.)/i, '');
  if (isIP(address) === 4) return address.startsWith('127.');
  return address === '::1';
}

/** Options of {@link handleUiEndpoint}. */
export interface UiEndpointContext {
  /** Largest body read from a telemetry POST. */
  bodyLimit: number;
  env: NodeJS.ProcessEnv;
}

/** Python's `not value` for a JSON value (a missing key counts as MLflow's default `[]`). */
function pythonFalsy(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value).length === 0;
}

/** `POST /ui-telemetry`: "success" for an empty batch when telemetry is on, else "disabled" (no records are kept). */
async function telemetryPost(req: IncomingMessage, ctx: UiEndpointContext): Promise<string> {
  if (telemetryDisabled(ctx.env)) return JSON.stringify({ status: 'disabled' });
  // Flask's `request.json` needs a JSON content type (`is_json`), else it raises: "disabled".
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json' && !/^application\/[^/]+\+json$/.test(type)) return JSON.stringify({ status: 'disabled' });
  try {
    const body: unknown = JSON.parse((await readBody(req, ctx.bodyLimit)).toString('utf8'));
    // Flask's `request.json.get("records", [])`: anything but an object fails, and so is "disabled".
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return JSON.stringify({ status: 'disabled' });
    // MLflow passes a non-empty batch to its telemetry client; mlstore has none, and MLflow
    // answers "disabled" without one, which stops the UI from sending more.
    if (pythonFalsy((body as Record<string, unknown>)['records'])) return JSON.stringify({ status: 'success' });
  } catch {
    // MLflow answers any unreadable body "disabled" too.
  }
  return JSON.stringify({ status: 'disabled' });
}

/**
 * Answers the UI's service endpoints (`path` below the static prefix):
 * - `GET|POST /ajax-api/2.0/mlflow/gateway-proxy` → `{"endpoints":[]}` (MLflow's answer without
 *   `MLFLOW_DEPLOYMENTS_TARGET`; mlstore proxies to no gateway);
 * - `GET /ajax-api/3.0/mlflow/ui-telemetry` → telemetry off; `POST` → `{"status":…}` as above;
 * - `GET /ajax-api/3.0/mlflow/assistant/config` and `/providers` → no provider configured or available.
 * Other methods on the first two get 405; the assistant routes answer GET only (404 otherwise, as
 * FastAPI falls through to Flask).
 *
 * @returns false when `path` is none of these routes.
 */
export async function handleUiEndpoint(path: string, req: IncomingMessage, res: ServerResponse, ctx: UiEndpointContext): Promise<boolean> {
  const method = req.method ?? 'GET';
  const read = method === 'GET' || method === 'HEAD';
  if (path === GATEWAY_PROXY_PATH) {
    if (read || method === 'POST') sendJsonText(res, 200, '{"endpoints":[]}');
    else sendText(res, 405, 'Method Not Allowed');
    return true;
  }
  if (path === UI_TELEMETRY_PATH) {
    if (read) sendJsonText(res, 200, UI_TELEMETRY_OFF);
    else if (method === 'POST') sendJsonText(res, 200, await telemetryPost(req, ctx));
    else sendText(res, 405, 'Method Not Allowed');
    return true;
  }
  if (method !== 'GET') return false;
  if (path === `${ASSISTANT_PREFIX}/providers`) return sendJsonText(res, 200, ASSISTANT_PROVIDERS), true;
  if (path === `${ASSISTANT_PREFIX}/config`) {
    const local = isLocalCaller(req);
    sendJsonText(res, 200, JSON.stringify({ providers: {}, projects: {}, remote_access_allowed: false, can_edit_server_settings: local }));
    return true;
  }
  return false;
}

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryTrackingStore } from '@mlstore/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMlflowHandler, type MlflowHandlerOptions } from './mlflow-handler.js';
import { telemetryDisabled } from './ui-endpoints.js';

// Expected answers are those of MLflow 3.18.0's `mlflow server` (no MLFLOW_DEPLOYMENTS_TARGET, no
// assistant configured, telemetry on unless the environment turns it off), probed with curl.
const servers: Server[] = [];
async function serve(options: Partial<MlflowHandlerOptions> = {}): Promise<string> {
  const handler = createMlflowHandler({ trackingStore: new MemoryTrackingStore(), security: false, ...options });
  const server = createServer((req, res) => handler(req, res));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let url: string;
beforeAll(async () => {
  url = await serve();
});
afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
});

const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('/ajax-api/2.0/mlflow/gateway-proxy', () => {
  it('answers {"endpoints":[]} to GET, HEAD and POST whatever they ask, 405 otherwise', async () => {
    for (const init of [{}, json({ gateway_path: 'api/2.0/endpoints/' })]) {
      const res = await fetch(`${url}/ajax-api/2.0/mlflow/gateway-proxy?gateway_path=api/2.0/endpoints/`, init);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(await res.text()).toBe('{"endpoints":[]}');
    }
    expect((await fetch(`${url}/ajax-api/2.0/mlflow/gateway-proxy`, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${url}/ajax-api/2.0/mlflow/gateway-proxy`, { method: 'PUT' })).status).toBe(405);
  });

  it('is served below the static prefix and in artifacts-only mode', async () => {
    const prefixed = await serve({ staticPrefix: '/mlflow' });
    expect(await (await fetch(`${prefixed}/mlflow/ajax-api/2.0/mlflow/gateway-proxy`)).json()).toEqual({ endpoints: [] });
    expect((await fetch(`${prefixed}/ajax-api/2.0/mlflow/gateway-proxy`)).status).toBe(404);
    const artifactsOnly = await serve({ trackingStore: undefined, artifactsOnly: true });
    expect(await (await fetch(`${artifactsOnly}/ajax-api/2.0/mlflow/gateway-proxy`)).json()).toEqual({ endpoints: [] });
  });
});

describe('/ajax-api/3.0/mlflow/ui-telemetry', () => {
  it('GET tells the UI not to record (MLflow with telemetry off, or with no remote config)', async () => {
    const res = await fetch(`${url}/ajax-api/3.0/mlflow/ui-telemetry`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ disable_ui_events: [], disable_ui_telemetry: true, ui_rollout_percentage: 0 });
    expect((await fetch(`${url}/ajax-api/3.0/mlflow/ui-telemetry`, { method: 'DELETE' })).status).toBe(405);
  });

  it('POST answers "success" for an empty batch and "disabled" for records or an unreadable body when telemetry is on', async () => {
    const saved = { ...process.env };
    for (const name of ['CI', 'GITHUB_ACTIONS', 'PYTEST_CURRENT_TEST', 'MLFLOW_DISABLE_TELEMETRY', 'DO_NOT_TRACK']) delete process.env[name];
    process.env['_MLFLOW_TESTING_TELEMETRY'] = 'true';
    try {
      const post = async (init: RequestInit) => (await (await fetch(`${url}/ajax-api/3.0/mlflow/ui-telemetry`, init)).json()) as { status: string };
      expect(await post(json({ records: [] }))).toEqual({ status: 'success' });
      expect(await post(json({}))).toEqual({ status: 'success' });
      expect(await post(json({ records: [{ event_name: 'x' }] }))).toEqual({ status: 'disabled' });
      expect(await post(json([1]))).toEqual({ status: 'disabled' });
      expect(await post({ method: 'POST', headers: { 'content-type': 'application/json' }, body: 'xx' })).toEqual({ status: 'disabled' });
      expect(await post({ method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"records":[]}' })).toEqual({ status: 'disabled' });
      delete process.env['_MLFLOW_TESTING_TELEMETRY'];
      process.env['MLFLOW_DISABLE_TELEMETRY'] = 'true';
      expect(await post(json({ records: [] }))).toEqual({ status: 'disabled' });
    } finally {
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
    }
  });

  it("follows MLflow's is_telemetry_disabled", () => {
    expect(telemetryDisabled({})).toBe(false);
    expect(telemetryDisabled({ MLFLOW_DISABLE_TELEMETRY: '1' })).toBe(true);
    expect(telemetryDisabled({ MLFLOW_DISABLE_TELEMETRY: 'false' })).toBe(false);
    expect(telemetryDisabled({ DO_NOT_TRACK: 'TRUE' })).toBe(true);
    expect(telemetryDisabled({ DO_NOT_TRACK: '1' })).toBe(false);
    expect(telemetryDisabled({ CI: '' })).toBe(true);
    expect(telemetryDisabled({ CI: 'true', _MLFLOW_TESTING_TELEMETRY: 'true' })).toBe(false);
  });
});

describe('/ajax-api/3.0/mlflow/assistant', () => {
  it('config: no provider, no project; server settings editable from this host only', async () => {
    const res = await fetch(`${url}/ajax-api/3.0/mlflow/assistant/config`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"providers":{},"projects":{},"remote_access_allowed":false,"can_edit_server_settings":true}');
    const forwarded = await fetch(`${url}/ajax-api/3.0/mlflow/assistant/config`, { headers: { 'x-forwarded-for': '127.0.0.1' } });
    expect(await forwarded.json()).toMatchObject({ can_edit_server_settings: false });
  });

  it("providers: MLflow's four, none available, nothing resolved", async () => {
    const body = (await (await fetch(`${url}/ajax-api/3.0/mlflow/assistant/providers`)).json()) as {
      providers: { name: string; available: boolean; selected: boolean }[];
      resolved: unknown;
      gateway_vendor_options: Record<string, string[]>;
    };
    expect(body.providers.map((p) => p.name)).toEqual(['claude_code', 'codex', 'mlflow_gateway', 'ollama']);
    expect(body.providers.every((p) => !p.available && !p.selected)).toBe(true);
    expect(body.resolved).toBeNull();
    expect(body.gateway_vendor_options).toEqual({ openai: ['gpt-5.5'], anthropic: ['claude-sonnet-5'], gemini: ['gemini-3-pro'] });
  });

  it('answers GET only, on /ajax-api/3.0 only (404 otherwise, as MLflow), below the static prefix', async () => {
    expect((await fetch(`${url}/ajax-api/3.0/mlflow/assistant/config`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${url}/ajax-api/3.0/mlflow/assistant/providers`, { method: 'HEAD' })).status).toBe(404);
    expect((await fetch(`${url}/api/3.0/mlflow/assistant/config`)).status).toBe(404);
    expect((await fetch(`${url}/ajax-api/2.0/mlflow/assistant/config`)).status).toBe(404);
    const prefixed = await serve({ staticPrefix: '/mlflow/' });
    expect((await fetch(`${prefixed}/mlflow/ajax-api/3.0/mlflow/assistant/providers`)).status).toBe(200);
  });
});

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RestModelRegistryStore } from './rest-model-registry-store.js';

// A peer that answers as a server without POST get-latest-versions would (Databricks-style
// ENDPOINT_NOT_FOUND), to check the client's GET fallback and what it sends.
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function peer(answer: (req: IncomingMessage, body: string) => [number, unknown]): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${body}`);
      const [status, json] = answer(req, body);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const mv = { name: 'm', version: '3', creation_timestamp: 1, current_stage: 'Staging', status: 'READY' };

describe('RestModelRegistryStore', () => {
  it('POSTs get-latest-versions and falls back to GET (repeated stages) on ENDPOINT_NOT_FOUND', async () => {
    const { url, seen } = await peer((req) => (req.method === 'POST' ? [404, { error_code: 'ENDPOINT_NOT_FOUND', message: 'no' }] : [200, { model_versions: [mv] }]));
    const store = new RestModelRegistryStore({ baseUrl: url, maxRetries: 0 });
    const versions = await store.getLatestVersions('m', ['Staging', 'None']);
    expect(versions.map((v) => [v.version, v.current_stage])).toEqual([['3', 'Staging']]);
    expect(seen).toEqual([
      'POST /api/2.0/mlflow/registered-models/get-latest-versions {"name":"m","stages":["Staging","None"]}',
      'GET /api/2.0/mlflow/registered-models/get-latest-versions?name=m&stages=Staging&stages=None ',
    ]);
    await store.close();
  });

  it('does not fall back on other errors, and sends searches as GET query parameters', async () => {
    const { url, seen } = await peer((req) =>
      req.url!.includes('latest') ? [404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Registered Model with name=m not found' }] : [200, { model_versions: [mv], next_page_token: 'tok' }],
    );
    const store = new RestModelRegistryStore({ baseUrl: url, maxRetries: 0 });
    await expect(store.getLatestVersions('m')).rejects.toMatchObject({ errorCode: 'RESOURCE_DOES_NOT_EXIST' });
    const page = await store.searchModelVersions({ filterString: "name='m'", maxResults: 5, orderBy: ['version_number DESC', 'name'] });
    expect(page).toMatchObject({ nextPageToken: 'tok', items: [{ version: '3' }] });
    expect(seen.slice(1)).toEqual([`GET /api/2.0/mlflow/model-versions/search?filter=name%3D%27m%27&max_results=5&order_by=version_number+DESC&order_by=name `]);
    await store.close();
  });
});

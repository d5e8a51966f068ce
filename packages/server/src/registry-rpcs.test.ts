import { readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryModelRegistryStore, MemoryTrackingStore } from '@mlstore/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMlflowHandler } from './mlflow-handler.js';

// Every registry route, replayed from fixtures/registry-wire-cases.json in order on our server
// (memory tracking store + memory registry, SqlStore flavour) and compared with what MLflow
// 3.18.0's `mlflow server` (SQLite) answered to the same requests (fixtures/registry-wire-mlflow.json,
// recorded by fixtures/record-registry-wire.py): status, error code, message and the JSON body
// byte for byte after the same normalisation (saved ids → `${var}`, timestamps → 0).

interface Case {
  id: string;
  method: string;
  path: string;
  body?: unknown;
  save?: Record<string, string>;
  statusOnly?: boolean;
  /** The message ends with database-driver text: compare up to `Error:`. */
  prefix?: boolean;
  /** Compare only the value at this dotted path of the answer. */
  pick?: string;
  /** The list at this key comes in store order (MLflow: scan order); compare sorted by version. */
  sort?: string;
}
interface Recorded {
  id: string;
  status: number;
  body?: unknown;
}

const fixtures = new URL('./fixtures/', import.meta.url);
const cases = JSON.parse(readFileSync(new URL('registry-wire-cases.json', fixtures), 'utf8')) as Case[];
const recorded = new Map((JSON.parse(readFileSync(new URL('registry-wire-mlflow.json', fixtures), 'utf8')) as Recorded[]).map((r) => [r.id, r]));

const variables: Record<string, string> = {};
const subst = (s: string) => s.replace(/\$\{(\w+)\}/g, (m, k: string) => variables[k] ?? m);

const byVersion = (a: unknown, b: unknown) => Number((a as { version: string }).version) - Number((b as { version: string }).version);

// `latest_versions` order is store-dependent (MLflow's SQL store: first seen while scanning): sorted.
function normalise(v: unknown, key?: string): unknown {
  if (Array.isArray(v)) return (key === 'latest_versions' ? [...v].sort(byVersion) : v).map((x) => normalise(x));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalise(x, k)]));
  if (key && (key.includes('timestamp') || key.endsWith('_time')) && (typeof v === 'number' || typeof v === 'string')) return 0;
  if (typeof v === 'string') {
    let out = v;
    for (const [k, val] of Object.entries(variables).filter(([, x]) => x.length >= 8).sort((a, b) => b[1].length - a[1].length)) out = out.split(val).join(`\${${k}}`);
    return out;
  }
  return v;
}

function sortedBy(body: unknown, key: string | undefined): unknown {
  if (!key || body === null || typeof body !== 'object') return body;
  const list = (body as Record<string, unknown>)[key];
  if (!Array.isArray(list)) return body;
  return { ...body, [key]: [...list].sort(byVersion) };
}

function messagePrefix(body: unknown): unknown {
  const b = body as { message?: string };
  return typeof b?.message === 'string' ? { ...b, message: b.message.split(' Error:')[0] } : body;
}

/** One request; unlike fetch, a GET may carry a JSON body (MLflow reads it). */
function send(method: string, path: string, body: string | undefined): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

let server: Server;
let url: string;
beforeAll(async () => {
  const trackingStore = new MemoryTrackingStore({ artifactRoot: 'mlflow-artifacts:/' });
  const registryStore = new MemoryModelRegistryStore({ trackingStore });
  const handler = createMlflowHandler({ trackingStore, registryStore, security: false });
  server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

describe('registry routes answer as mlflow server 3.18.0 does (recorded)', () => {
  for (const c of cases) {
    it(`${c.id}: ${c.method} ${c.path}`, async () => {
      const body = c.body === undefined ? undefined : subst(JSON.stringify(c.body));
      const res = await send(c.method, subst(c.path), body);
      const text = res.text;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      for (const [name, path] of Object.entries(c.save ?? {})) {
        variables[name] = String(path.split('.').reduce<unknown>((v, p) => (v as Record<string, unknown>)[p], parsed));
      }
      const expected = recorded.get(c.id)!;
      expect(res.status, text).toBe(expected.status);
      if (c.statusOnly) return;
      for (const part of c.pick ? c.pick.split('.') : []) parsed = (parsed as Record<string, unknown>)[part];
      let actual = parsed === undefined ? text : normalise(parsed);
      let wanted = normalise(expected.body);
      if (c.prefix) [actual, wanted] = [messagePrefix(actual), messagePrefix(wanted)];
      expect(sortedBy(actual, c.sort)).toEqual(sortedBy(wanted, c.sort));
    });
  }
});

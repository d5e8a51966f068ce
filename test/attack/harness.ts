/**
 * What every attack shares: a server composed exactly as `mlstore server` composes it (stores and
 * repositories from the demo's `defaultRegistries()`), canary files around the store, one loop per
 * target of the profile, and the totals each suite reports.
 */
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, lstatSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { AbstractStore } from '@mlstore/core';
import { startMlflowServer, type MlflowServerOptions, type RunningMlflowServer } from '@mlstore/server';
import { afterAll, describe, it } from 'vitest';
import { defaultRegistries } from '../../apps/demo/src/registries.js';
import { requireServices, targetsForProfile, type AttackTarget, type Provisioned } from './targets.js';

export interface AttackServer {
  url: string;
  store: AbstractStore;
  server: RunningMlflowServer;
  close(): Promise<void>;
}

/** Starts the server on a provisioned target (port 0), as `mlstore server` would with its flags. */
export async function startAttackServer(p: Provisioned, extra: Partial<MlflowServerOptions> = {}): Promise<AttackServer> {
  const { tracking, artifacts } = defaultRegistries();
  const defaultArtifactRoot = 'mlflow-artifacts:/';
  const store = await tracking.resolve(p.backendStoreUri, { defaultArtifactRoot });
  const destination = await artifacts.resolve(p.artifactsDestination);
  const server = await startMlflowServer({
    trackingStore: store,
    artifactsDestination: destination,
    resolveArtifactRepository: (uri) => artifacts.resolve(uri),
    trustedArtifactUris: [defaultArtifactRoot, p.artifactsDestination],
    port: 0,
    shutdownTimeoutMs: 2_000,
    ...extra,
  });
  return {
    url: server.url,
    store,
    server,
    close: async () => {
      await server.close();
      await store.close();
    },
  };
}

/** Canary files planted around the store: their secrets must never appear in a response, and none may change. */
export interface Canaries {
  /** Random strings, one per canary file; any response body holding one leaked a file. */
  readonly secrets: string[];
  /** Paths under `base` outside the writable folders that differ from the planted state (added, changed or removed). */
  touched(): string[];
}

/**
 * Plants canaries in every folder from `base` down to the writable folders' parent, plus an
 * `outside/` folder shaped like a store entry (`meta.yaml`, `metrics/`, `tags/`) at each level, so
 * that a write whose path escapes the store finds a place that looks valid.
 */
export function plantCanaries(p: Provisioned): Canaries {
  const secrets: string[] = [];
  const levels = [p.base, join(p.base, 'a'), join(p.base, 'a', 'b')];
  for (const level of levels) {
    const secret = `CANARY-${randomBytes(12).toString('hex')}`;
    secrets.push(secret);
    writeFileSync(join(level, 'canary.txt'), secret);
    const outside = join(level, 'outside');
    mkdirSync(join(outside, 'metrics'), { recursive: true });
    mkdirSync(join(outside, 'tags'), { recursive: true });
    writeFileSync(join(outside, 'meta.yaml'), `artifact_location: ${secret}\nexperiment_id: '0'\nlifecycle_stage: active\nname: outside\n`);
  }
  const writable = p.writable.map((w) => resolve(w) + sep);
  const snapshot = (): Map<string, string> => {
    const out = new Map<string, string>();
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const full = join(dir, e.name);
        if (writable.some((w) => (full + sep).startsWith(w))) continue;
        if (e.isDirectory()) walk(full);
        else out.set(relative(p.base, full), e.isFile() ? createHash('sha256').update(readFileSync(full)).digest('hex') : `link:${lstatSync(full).mode}`);
      }
    };
    walk(p.base);
    return out;
  };
  const before = snapshot();
  return {
    secrets,
    touched() {
      const after = snapshot();
      const diff = [...before].filter(([k, v]) => after.get(k) !== v).map(([k]) => k);
      for (const k of after.keys()) if (!before.has(k)) diff.push(k);
      return diff.sort();
    },
  };
}

/** The totals one suite reports for one target (also written to test-results/attack.jsonl). */
export interface AttackTotals {
  suite: string;
  target: string;
  attempts: number;
  /** Answered 4xx (or refused by the transport where that is the defence). */
  refused: number;
  /** Answered 2xx/3xx, and the checks on what they did passed. */
  accepted: number;
  serverErrors: number;
  crashes: number;
  canariesTouched: number;
  leaks: number;
  lost?: number;
  duplicated?: number;
}

const REPORT = process.env['MLSTORE_ATTACK_REPORT'] ?? resolve(import.meta.dirname, '..', '..', 'test-results', 'attack.jsonl');

/** Appends a suite's totals to the report CI prints at the end. */
export function reportTotals(totals: AttackTotals): void {
  mkdirSync(dirname(REPORT), { recursive: true });
  appendFileSync(REPORT, `${JSON.stringify(totals)}\n`);
}

/**
 * Declares `body` once per target of this profile, each inside its own describe with a fresh
 * provisioned location (made now, with top-level await, and disposed after the file). A target
 * whose service is down fails under MLSTORE_REQUIRE_SERVICES=1 and is skipped loudly otherwise.
 */
export async function forEachTarget(
  suite: string,
  kind: AttackTarget['kind'] | undefined,
  body: (target: AttackTarget, provisioned: Provisioned) => void,
): Promise<void> {
  for (const target of targetsForProfile(kind)) {
    let provisioned: Provisioned;
    try {
      provisioned = await target.provision();
    } catch (err) {
      const why = `${target.name} is not reachable (start test/services/${target.service ?? '?'}.sh): ${(err as Error)?.message ?? err}`;
      if (requireServices) {
        describe(`${suite} · ${target.name}`, () => it('has its service (MLSTORE_REQUIRE_SERVICES=1)', () => { throw new Error(why); }));
      } else {
        process.stderr.write(`[attack] SKIPPING ${suite} on ${target.name}: ${why}\n`);
        describe.skip(`${suite} · ${target.name} (SKIPPED: ${why})`, () => it('needs its service', () => {}));
      }
      continue;
    }
    describe(`${suite} · ${target.name}`, () => {
      afterAll(() => provisioned.dispose());
      body(target, provisioned);
    });
  }
}

/** True when a file exists at a path relative to `base`. */
export function existsUnder(base: string, rel: string): boolean {
  return existsSync(join(base, rel));
}

/** JSON POST/GET helpers on a server URL that never throw on HTTP errors. */
export async function call(url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' || body instanceof Uint8Array ? (body as string) : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(url + path, init);
  return { status: res.status, text: await res.text() };
}

/**
 * What every attack shares: a server composed exactly as `mlstore server` composes it (stores and
 * repositories from the demo's `defaultRegistries()`, the model registry on the backend store's
 * URI as `--registry-store-uri` defaults to it), canary files around the store, one loop per
 * target of the profile, and the totals each suite reports.
 */
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, lstatSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { AbstractStore, ArtifactRepository, ModelRegistryStore } from '@mlstore/core';
import { startMlflowServer, type MlflowServerOptions, type RunningMlflowServer } from '@mlstore/server';
import { afterAll, describe, it } from 'vitest';
import { defaultRegistries } from '../../apps/demo/src/registries.js';
import { requireServices, targetsForProfile, type AttackTarget, type Provisioned } from './targets.js';

export interface AttackServer {
  url: string;
  store: AbstractStore;
  /** The model registry the server serves (on the backend store's URI, as `mlstore server` defaults). */
  registry: ModelRegistryStore;
  server: RunningMlflowServer;
  close(): Promise<void>;
}

/** Starts the server on a provisioned target (port 0), as `mlstore server` would with its flags. */
export async function startAttackServer(p: Provisioned, extra: Partial<MlflowServerOptions> = {}): Promise<AttackServer> {
  const { tracking, modelRegistry, artifacts } = defaultRegistries();
  const defaultArtifactRoot = 'mlflow-artifacts:/';
  const store = await tracking.resolve(p.backendStoreUri, { defaultArtifactRoot });
  // `mlstore server` without --registry-store-uri: the registry on the backend store's URI (apps/demo/src/commands/server.ts).
  const registry = await modelRegistry.resolve(p.backendStoreUri, { trackingStore: store });
  const destination = await artifacts.resolve(p.artifactsDestination);
  const server = await startMlflowServer({
    trackingStore: store,
    registryStore: registry,
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
    registry,
    server,
    close: async () => {
      await server.close();
      await registry.close();
      await store.close();
    },
  };
}

/** Canary files planted around the store: their secrets must never appear in a response, and none may change. */
export interface Canaries {
  /** Random strings, one per canary file; any response body holding one leaked a file. */
  readonly secrets: string[];
  /**
   * Paths under `base` (and, for a remote target, keys under `remoteBase` prefixed `remote:`)
   * outside the writable places that differ from the planted state (added, changed or removed).
   */
  touched(): Promise<string[]>;
}

const LEVELS = ['', 'a', 'a/b'];
const newSecret = () => `CANARY-${randomBytes(12).toString('hex')}`;
const outsideMeta = (secret: string) => `artifact_location: ${secret}\nexperiment_id: '0'\nlifecycle_stage: active\nname: outside\n`;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function diff(before: Map<string, string>, after: Map<string, string>): string[] {
  const out = [...before].filter(([k, v]) => after.get(k) !== v).map(([k]) => k);
  for (const k of after.keys()) if (!before.has(k)) out.push(k);
  return out;
}

/** Every file under `path` of a repository with its SHA-256, skipping the `skip` prefix (the destination). */
async function remoteSnapshot(repo: ArtifactRepository, skip: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (path: string | undefined) => {
    for (const e of await repo.listArtifacts(path)) {
      if (`${e.path}/`.startsWith(skip)) continue;
      if (e.is_dir) await walk(e.path);
      else {
        const chunks: Buffer[] = [];
        for await (const c of await repo.openArtifact(e.path)) chunks.push(c as Buffer);
        out.set(`remote:${e.path}`, sha(Buffer.concat(chunks)));
      }
    }
  };
  await walk(undefined);
  return out;
}

/**
 * Plants canaries in every folder from `base` down to the writable folders' parent, plus an
 * `outside/` folder shaped like a store entry (`meta.yaml`, `metrics/`, `tags/`) at each level, so
 * that a write whose path escapes the store finds a place that looks valid. A remote artifact
 * target gets the same canaries as objects under its `remoteBase`, written and re-read through the
 * repository the registry resolves for that prefix.
 */
export async function plantCanaries(p: Provisioned): Promise<Canaries> {
  const secrets: string[] = [];
  for (const level of LEVELS) {
    const dir = join(p.base, ...level.split('/').filter(Boolean));
    const secret = newSecret();
    secrets.push(secret);
    writeFileSync(join(dir, 'canary.txt'), secret);
    const outside = join(dir, 'outside');
    mkdirSync(join(outside, 'metrics'), { recursive: true });
    mkdirSync(join(outside, 'tags'), { recursive: true });
    writeFileSync(join(outside, 'meta.yaml'), outsideMeta(secret));
  }
  let remote: ArtifactRepository | undefined;
  if (p.remoteBase) {
    remote = await defaultRegistries().artifacts.resolve(p.remoteBase);
    for (const level of LEVELS) {
      const secret = newSecret();
      secrets.push(secret);
      const at = (name: string) => [level, name].filter(Boolean).join('/');
      await remote.writeArtifact(at('canary.txt'), secret);
      await remote.writeArtifact(at('outside/meta.yaml'), outsideMeta(secret));
      await remote.writeArtifact(at('outside/metrics/.keep'), '');
    }
  }
  const writable = p.writable.map((w) => resolve(w) + sep);
  const localSnapshot = (): Map<string, string> => {
    const out = new Map<string, string>();
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const full = join(dir, e.name);
        if (writable.some((w) => (full + sep).startsWith(w))) continue;
        if (e.isDirectory()) walk(full);
        else out.set(relative(p.base, full), e.isFile() ? sha(readFileSync(full)) : `link:${lstatSync(full).mode}`);
      }
    };
    walk(p.base);
    return out;
  };
  const snapshot = async () => new Map([...localSnapshot(), ...(remote ? await remoteSnapshot(remote, 'a/b/artifacts/') : [])]);
  const before = await snapshot();
  return {
    secrets,
    async touched() {
      return diff(before, await snapshot()).sort();
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
 * `only` keeps the targets an attack applies to (e.g. SQL stores: `(p) => p.sqlDialect !== undefined`);
 * the others get no describe at all (the attack does not exist there, it is not skipped).
 */
export async function forEachTarget(
  suite: string,
  kind: AttackTarget['kind'] | undefined,
  body: (target: AttackTarget, provisioned: Provisioned) => void,
  only?: (provisioned: Provisioned) => boolean,
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
    if (only && !only(provisioned)) {
      await provisioned.dispose();
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

/**
 * The one 5xx MLflow 3.18 answers by design on a trace route: `get_trace` / `batch_get_traces` of
 * a trace whose spans are not in the tracking store (started through start-trace, spans kept as
 * artifacts) raise MlflowTracingException (INTERNAL_ERROR, HTTP 500), which MLflow's client reads
 * as "fetch the spans from the artifact location". Attacks count it as a refusal, not a 5xx.
 */
export function isTraceDataNotStored(answer: { status: number; text: string }): boolean {
  if (answer.status !== 500) return false;
  try {
    const body = JSON.parse(answer.text) as { error_code?: unknown; message?: unknown };
    return body.error_code === 'INTERNAL_ERROR' && body.message === 'Trace data not stored in tracking store';
  } catch {
    return false;
  }
}

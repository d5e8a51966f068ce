/**
 * Correctness across server processes (issue 18), on real databases, through the REST API only:
 *
 * 1. Two independent `mlstore server` processes (`node apps/demo/dist/cli.js server`, two ports,
 *    one `--backend-store-uri`) on one PostgreSQL database, one MariaDB database and one SQLite
 *    file, 16 clients writing through both: one winner per contested experiment name and param
 *    key (the rest get MLflow's RESOURCE_ALREADY_EXISTS / INVALID_PARAMETER_VALUE 400), distinct
 *    run ids, latest_metrics by MLflow's rule (greatest (step, timestamp, value)) over every
 *    acknowledged metric, each acknowledged metric in the history exactly once, and a log_batch
 *    that loses a param conflict writing none of its metrics or tags.
 * 2. `mlstore server --workers 2` (PostgreSQL, SQLite): a worker killed with `kill -9` under load is
 *    replaced; only requests in flight at the kill fail, below HTTP; every acknowledged write is in
 *    the database exactly once.
 *
 * Counts bound every loop, never time. Runs in the integration profile (or MLSTORE_INTEROP=1).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { builtCliProblem, startBuiltServer, type BuiltServer } from './interop/built-server.js';
import { createTempMariadbDatabase, mariadbProblem } from './interop/mariadb.js';
import { createTempDatabase, postgresProblem } from './interop/postgres.js';
import { describeWithServices } from './interop/require-services.js';
import { contestedWrites } from './interop/multi-process-scenarios.js';
import { workerCrashUnderLoad } from './interop/worker-crash-scenario.js';

const enabled = process.env.MLSTORE_PROFILE === 'integration' || process.env.MLSTORE_INTEROP === '1';
const dir = mkdtempSync(join(tmpdir(), 'mlstore-multi-process-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Backend {
  name: 'postgresql' | 'mariadb' | 'sqlite';
  needs: string;
  problem: () => Promise<string | null>;
  /** A fresh database: its URI and how to drop it. */
  create(label: string): Promise<{ uri: string; drop(): Promise<void> }>;
}

const BACKENDS: Backend[] = [
  { name: 'postgresql', needs: 'PostgreSQL (test/services/postgres.sh)', problem: postgresProblem, create: async (l) => { const d = await createTempDatabase(l); return { uri: d.url, drop: d.drop }; } },
  { name: 'mariadb', needs: 'MariaDB (test/services/mariadb.sh)', problem: mariadbProblem, create: async (l) => { const d = await createTempMariadbDatabase(l); return { uri: d.url, drop: d.drop }; } },
  { name: 'sqlite', needs: 'nothing but the build', problem: async () => null, create: async (l) => ({ uri: `sqlite:///${join(dir, `${l}.db`)}`, drop: async () => {} }) },
];

const notEnabled = 'runs only with MLSTORE_PROFILE=integration or MLSTORE_INTEROP=1';
const problemOf = async (b: Backend) => (enabled ? (builtCliProblem() ?? (await b.problem())) : notEnabled);
const problems = new Map(await Promise.all(BACKENDS.map(async (b) => [b.name, await problemOf(b)] as const)));

for (const backend of BACKENDS) {
  describeWithServices(
    { tag: 'multi-process', title: `two mlstore server processes on one ${backend.name} database, 16 clients`, needs: `${backend.needs} and the built CLI`, enabled, problem: problems.get(backend.name) },
    () => {
      let db: { uri: string; drop(): Promise<void> };
      const servers: BuiltServer[] = [];
      beforeAll(async () => {
        db = await backend.create(`mp_${backend.name}`);
        const artifactsDestination = join(dir, `art-${backend.name}`);
        // One after the other: the first creates the schema, the second finds it.
        for (let i = 0; i < 2; i++) servers.push(await startBuiltServer(db.uri, { artifactsDestination, cwd: dir }));
      });
      afterAll(async () => {
        for (const s of servers.splice(0)) await s.stop();
        await db?.drop();
      });
      const urls = () => servers.map((s) => s.url);
      for (const [name, scenario] of Object.entries(contestedWrites)) it(name, () => scenario(urls()));
    },
  );
}

for (const backend of BACKENDS.filter((b) => b.name !== 'mariadb')) {
  describeWithServices(
    { tag: 'multi-process', title: `mlstore server --workers 2 on ${backend.name}`, needs: `${backend.needs} and the built CLI`, enabled, problem: problems.get(backend.name) },
    () => {
      it('replaces a worker killed with kill -9 under load; only requests in flight fail, below HTTP; nothing acknowledged is lost', async () => {
        const db = await backend.create(`mp_kill_${backend.name}`);
        try {
          await workerCrashUnderLoad(db.uri, { artifactsDestination: join(dir, `art-kill-${backend.name}`), cwd: dir, label: backend.name });
        } finally {
          await db.drop();
        }
      });
    },
  );
}

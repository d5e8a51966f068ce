import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { isMlflowError, type Logger } from '@mlstore/core';
import { SqlModelRegistryStore, SqlTrackingStore } from '../src/index.js';
import { openDatabase, resolvePoolOptions } from '../src/connection.js';
import { parseSqlUri } from '../src/sql-uri.js';
import { serverDatabases } from './server-databases.js';

// What the registry kit cannot see through the store's API: the rows MLflow's tables hold after
// each write (workspace, redaction, explicit child deletes, rename cascades), concurrency of
// version numbers across connections, the retry limit and the start-up checks.
const dir = mkdtempSync(join(tmpdir(), 'mlstore-sql-registry-'));
let n = 0;
const dialects = [
  { name: 'sqlite', uri: async () => `sqlite:///${join(dir, `r-${n++}.db`)}` },
  ...serverDatabases().map((s) => ({ name: s.name as string, uri: () => s.uri() })),
];

async function errorOf(p: Promise<unknown>): Promise<{ errorCode: string; message: string }> {
  try {
    await p;
  } catch (err) {
    expect(isMlflowError(err)).toBe(true);
    return err as { errorCode: string; message: string };
  }
  throw new Error('expected the call to fail');
}

/** Raw SQL on the database behind `uri`, through the store's own connection code. */
async function raw<T = Record<string, unknown>>(uri: string, query: string): Promise<T[]> {
  const { db, release } = await openDatabase(parseSqlUri(uri), resolvePoolOptions({ size: 1, maxOverflow: 0 }));
  try {
    return (await sql.raw(query).execute(db)).rows as T[];
  } finally {
    await release();
  }
}

const count = async (uri: string, table: string) => Number((await raw<{ c: unknown }>(uri, `SELECT COUNT(*) AS c FROM ${table}`))[0]?.c);
const REGISTRY_TABLES = ['registered_models', 'registered_model_tags', 'registered_model_aliases', 'model_versions', 'model_version_tags'];

for (const d of dialects) {
  describe(`SqlModelRegistryStore on ${d.name}`, () => {
    it("writes MLflow's default workspace on every registry row and leaves the tracking tables alone", async () => {
      const uri = await d.uri();
      const store = await SqlModelRegistryStore.open(uri);
      try {
        await store.createRegisteredModel('m', [{ key: 'k', value: 'v' }]);
        await store.createModelVersion({ name: 'm', source: 's3://b/1', tags: [{ key: 't', value: 'x' }] });
        await store.setRegisteredModelAlias('m', 'champ', '1');
      } finally {
        await store.close();
      }
      for (const table of REGISTRY_TABLES) {
        expect(await raw(uri, `SELECT DISTINCT workspace FROM ${table}`), table).toEqual([{ workspace: 'default' }]);
      }
      // MLflow's registry store creates the tables only; experiment 0 is the tracking store's.
      expect(await count(uri, 'experiments')).toBe(0);
      const row = (await raw(uri, `SELECT * FROM model_versions`))[0]!;
      expect(row).toMatchObject({ current_stage: 'None', status: 'READY', source: 's3://b/1', storage_location: 's3://b/1', user_id: null, status_message: null, run_id: null });
    });

    it('soft-deletes a version as MLflow does: row kept and redacted, tags and storage_location kept, its aliases gone', async () => {
      const uri = await d.uri();
      const store = await SqlModelRegistryStore.open(uri);
      try {
        await store.createRegisteredModel('m');
        await store.createModelVersion({ name: 'm', source: 's3://b/1', runId: 'r1', runLink: 'http://l', description: 'd', tags: [{ key: 't', value: 'x' }] });
        await store.createModelVersion({ name: 'm', source: 's3://b/2' });
        await store.setRegisteredModelAlias('m', 'a1', '1');
        await store.setRegisteredModelAlias('m', 'a2', '2');
        await store.deleteModelVersion('m', '1');
        const rows = await raw(uri, `SELECT * FROM model_versions WHERE version = 1`);
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({
          current_stage: 'Deleted_Internal',
          source: 'REDACTED-SOURCE-PATH',
          run_id: 'REDACTED-RUN-ID',
          run_link: 'REDACTED-RUN-LINK',
          description: null,
          storage_location: 's3://b/1',
        });
        expect(await raw(uri, `SELECT ${d.name === 'mysql' ? '`key`' : '"key"'} AS k, value FROM model_version_tags`)).toEqual([{ k: 't', value: 'x' }]);
        expect(await raw(uri, `SELECT alias FROM registered_model_aliases`)).toEqual([{ alias: 'a2' }]);
        // The number is not reused.
        expect((await store.createModelVersion({ name: 'm', source: 's3://b/3' })).version).toBe('3');
      } finally {
        await store.close();
      }
    });

    it('deletes a registered model with every child row (versions incl. deleted ones, their tags, model tags, aliases)', async () => {
      const uri = await d.uri();
      const store = await SqlModelRegistryStore.open(uri);
      try {
        for (const name of ['gone', 'kept']) {
          await store.createRegisteredModel(name, [{ key: 'k', value: 'v' }]);
          await store.createModelVersion({ name, source: 's3://b/1', tags: [{ key: 't', value: '1' }] });
          await store.createModelVersion({ name, source: 's3://b/2', tags: [{ key: 't', value: '2' }] });
          await store.setRegisteredModelAlias(name, 'champ', '2');
          await store.deleteModelVersion(name, '1');
        }
        await store.deleteRegisteredModel('gone');
        for (const table of REGISTRY_TABLES) {
          expect(await raw(uri, `SELECT DISTINCT name FROM ${table}`), table).toEqual([{ name: 'kept' }]);
        }
        expect((await errorOf(store.getRegisteredModel('gone'))).errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
        // The name is free again and numbering restarts.
        await store.createRegisteredModel('gone');
        expect((await store.createModelVersion({ name: 'gone', source: 's3://x' })).version).toBe('1');
      } finally {
        await store.close();
      }
    });

    it('renames through every child table (deleted versions too) and bumps every version', async () => {
      const uri = await d.uri();
      const store = await SqlModelRegistryStore.open(uri);
      try {
        await store.createRegisteredModel('old', [{ key: 'k', value: 'v' }]);
        await store.createModelVersion({ name: 'old', source: 's3://b/1', tags: [{ key: 't', value: '1' }] });
        await store.createModelVersion({ name: 'old', source: 's3://b/2', tags: [{ key: 't', value: '2' }] });
        await store.setRegisteredModelAlias('old', 'champ', '2');
        await store.deleteModelVersion('old', '1');
        const before = Date.now();
        const renamed = await store.renameRegisteredModel('old', 'new');
        expect(renamed.name).toBe('new');
        expect(renamed.aliases).toEqual([{ alias: 'champ', version: '2' }]);
        expect(renamed.tags).toEqual([{ key: 'k', value: 'v' }]);
        for (const table of REGISTRY_TABLES) {
          expect(await raw(uri, `SELECT DISTINCT name FROM ${table}`), table).toEqual([{ name: 'new' }]);
        }
        for (const r of await raw<{ last_updated_time: unknown }>(uri, `SELECT last_updated_time FROM model_versions`)) {
          expect(Number(r.last_updated_time)).toBeGreaterThanOrEqual(before);
        }
        expect((await store.getModelVersion('new', '2')).tags).toEqual([{ key: 't', value: '2' }]);
        expect((await store.createModelVersion({ name: 'new', source: 's3://b/3' })).version).toBe('3');
      } finally {
        await store.close();
      }
    });

    it('gives concurrent creators distinct, gap-free version numbers across separate connection pools', async () => {
      const uri = await d.uri();
      const stores = await Promise.all([SqlModelRegistryStore.open(uri), SqlModelRegistryStore.open(uri), SqlModelRegistryStore.open(uri)]);
      try {
        await stores[0]!.createRegisteredModel('busy');
        const created = await Promise.all(
          Array.from({ length: 30 }, (_, i) => stores[i % 3]!.createModelVersion({ name: 'busy', source: `s3://b/${i}` })),
        );
        expect(created.map((v) => Number(v.version)).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
        expect(await count(uri, 'model_versions')).toBe(30);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    it("hides every version of a model one of whose versions is tagged a prompt, as MLflow's per-model anti-join does", async () => {
      const uri = await d.uri();
      const store = await SqlModelRegistryStore.open(uri);
      try {
        await store.createRegisteredModel('mixed');
        await store.createModelVersion({ name: 'mixed', source: 's3://b/1', tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }] });
        await store.createModelVersion({ name: 'mixed', source: 's3://b/2' });
        await store.createRegisteredModel('plain');
        await store.createModelVersion({ name: 'plain', source: 's3://b/3', tags: [{ key: 'mlflow.prompt.is_prompt', value: 'TRUE' }] });
        const names = (r: { items: { name: string; version: string }[] }) => r.items.map((v) => `${v.name}/${v.version}`).sort();
        // Only the exact value 'true' counts for the anti-join (checked against MLflow in test/sql-registry-interop.test.ts).
        expect(names(await store.searchModelVersions())).toEqual(['plain/1']);
        expect(names(await store.searchModelVersions({ filterString: "tags.`mlflow.prompt.is_prompt` = 'true'" }))).toEqual(['mixed/1']);
        expect(names(await store.searchModelVersions({ filterString: "tags.`mlflow.prompt.is_prompt` = 'false'" }))).toEqual(['plain/1']);
      } finally {
        await store.close();
      }
    });

    it('shares a tracking store connection (fromConnection) and leaves it open on close', async () => {
      const uri = await d.uri();
      const tracking = await SqlTrackingStore.open(uri, { artifactRoot: join(dir, 'artifacts') });
      try {
        const conn = (tracking as unknown as { ctx: { db: never; dialect: never } }).ctx;
        const registry = await SqlModelRegistryStore.fromConnection({ db: conn.db, dialect: conn.dialect });
        await registry.createRegisteredModel('shared');
        await registry.close();
        expect((await tracking.getExperiment('0')).name).toBe('Default');
        const again = await SqlModelRegistryStore.fromConnection({ db: conn.db, dialect: conn.dialect });
        expect((await again.getRegisteredModel('shared')).name).toBe('shared');
        await again.close();
      } finally {
        await tracking.close();
      }
    });

    it('refuses to start, as MLflow does, on registered models outside the default workspace', async () => {
      const uri = await d.uri();
      await (await SqlModelRegistryStore.open(uri)).close();
      await raw(uri, `INSERT INTO workspaces (name) VALUES ('team-a')`).catch(() => undefined);
      await raw(uri, `INSERT INTO registered_models (name, creation_time, last_updated_time, workspace) VALUES ('x', 1, 1, 'team-a')`);
      const err = await errorOf(SqlModelRegistryStore.open(uri));
      expect(err.errorCode).toBe('INVALID_STATE');
      expect(err.message).toBe(
        "Cannot disable workspaces because registered models exist outside the default workspace (for example, model 'x' in workspace 'team-a'). Either remove those models or re-enable workspaces before starting.",
      );
    });
  });
}

describe('SqlModelRegistryStore on sqlite only', () => {
  it("refuses a database without the registry tables with MLflow's message", async () => {
    const uri = `sqlite:///${join(dir, `r-${n++}.db`)}`;
    await (await SqlTrackingStore.open(uri, { artifactRoot: join(dir, 'artifacts') })).close();
    await raw(uri, 'DROP TABLE webhook_events');
    const err = await errorOf(SqlModelRegistryStore.open(uri));
    expect(err).toMatchObject({ errorCode: 'INTERNAL_ERROR', message: 'Database migration in unexpected state. Run manual upgrade.' });
  });

  it('checks the version before the name on delete_model_version only, as MLflow does', async () => {
    const store = await SqlModelRegistryStore.open(`sqlite:///${join(dir, `r-${n++}.db`)}`);
    try {
      expect((await errorOf(store.deleteModelVersion('a/b', 'x'))).message).toBe("Parameter 'version' must be an integer, got 'x'.");
      expect((await errorOf(store.getModelVersion('a/b', 'x'))).message).toBe("Invalid model name 'a/b'. Names cannot contain '/' or ':'.");
    } finally {
      await store.close();
    }
  });

  it("gives up after MLflow's 3 attempts when every version insert collides, with its INTERNAL_ERROR", async () => {
    const uri = `sqlite:///${join(dir, `r-${n++}.db`)}`;
    const attempts: unknown[] = [];
    const logger = { trace() {}, debug() {}, warn() {}, error() {}, info: (o: unknown) => attempts.push(o), child: () => logger } as Logger;
    const store = await SqlModelRegistryStore.open(uri, { logger });
    try {
      await store.createRegisteredModel('m');
      // Every insert of a version collides with a primary key, as a concurrent creator's would.
      await raw(uri, `INSERT INTO registered_models (name, workspace) VALUES ('collide', 'default')`);
      await raw(uri, `CREATE TRIGGER collide BEFORE INSERT ON model_versions BEGIN INSERT INTO registered_models (name, workspace) VALUES ('collide', 'default'); END`);
      const err = await errorOf(store.createModelVersion({ name: 'm', source: 's3://b' }));
      expect(err).toMatchObject({ errorCode: 'INTERNAL_ERROR', message: 'Model Version creation error (name=m). Giving up after 3 attempts.' });
      expect(attempts).toHaveLength(3);
      await raw(uri, 'DROP TRIGGER collide');
      expect((await store.createModelVersion({ name: 'm', source: 's3://b' })).version).toBe('1');
    } finally {
      await store.close();
    }
  });
});

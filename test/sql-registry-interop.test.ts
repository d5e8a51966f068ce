/**
 * Model-registry interop with the real MLflow 3.18.0 SqlAlchemyStore (Python,
 * `mlflow.store.model_registry.sqlalchemy_store`) on SQLite, PostgreSQL and MariaDB, both directions,
 * on one database each:
 *
 * (a) our SqlModelRegistryStore replays the registry scenario (test/interop/registry-scenario.ts):
 *     models, versions (one from a `models:/` source), stages with archiving, tags, aliases, a
 *     soft-deleted version, a rename, a deleted model, a prompt; MLflow reads the database back
 *     identically and answers every search (filters, order_by, pages and tokens) the same way;
 * (b) MLflow replays the scenario; our store reads it back identically;
 * (c) `migrateRegistry` (what `mlstore migrate` runs) copies (b)'s database into a file store and
 *     from there into a fresh database; MLflow reads the copy exactly as it read its own original.
 *
 * Runs only in the integration profile or with MLSTORE_INTEROP=1.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPortableModelRegistryStore, migrateRegistry, type ModelRegistryStore, type PortableModelRegistryStore } from '@mlstore/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastJsonLine, mlflowVenvProblem, runPythonScript } from './interop/mlflow-python.js';
import { createTempMariadbDatabase, mariadbProblem } from './interop/mariadb.js';
import { createTempDatabase, postgresProblem } from './interop/postgres.js';
import { applyRegistrySpec, buildRegistrySpec, dumpRegistry } from './interop/registry-scenario.js';

const enabled = process.env.MLSTORE_PROFILE === 'integration' || process.env.MLSTORE_INTEROP === '1';
const requireServices = process.env.MLSTORE_REQUIRE_SERVICES === '1';
const PYTHON_TIMEOUT_MS = 240_000;

type DialectName = 'sqlite' | 'postgresql' | 'mysql';
type Dump = Awaited<ReturnType<typeof dumpRegistry>>;

const venvProblem = enabled ? mlflowVenvProblem() : null;
const problems: Record<DialectName, string | null> = {
  sqlite: venvProblem,
  postgresql: enabled ? (venvProblem ?? (await postgresProblem())) : null,
  mysql: enabled ? (venvProblem ?? (await mariadbProblem())) : null,
};

async function openOurStore(uri: string): Promise<ModelRegistryStore> {
  const { SqlModelRegistryStore } = await import('@mlstore/store-sql');
  return SqlModelRegistryStore.open(uri);
}

function facts(get: () => { ours: Dump; mlflow: Dump }) {
  it('both sides see the scenario (not two empty dumps)', () => {
    const { mlflow } = get();
    expect(mlflow.models.map((m) => m.model.name)).toEqual(['m1', 'Alpha', 'zeta', 'renamed', 'pr1', 'mixed']);
    expect(mlflow.models[0]!.versions.map((v) => v.version).sort()).toEqual(['1', '2', '4', '5']);
    expect(mlflow.models[0]!.model.aliases).toEqual({ challenger: '2', champion: '4', moved: '2' });
    // A version tagged as a prompt hides every version of its model from search_model_versions.
    expect(mlflow.mv_queries[0]!.flatMap((p) => p.items).filter((v) => v.startsWith('mixed/'))).toEqual([]);
  });

  it('registered models are identical: times, description, tags (prompt tag too), aliases, latest versions', () => {
    const { ours, mlflow } = get();
    expect(ours.models.map((m) => m.model)).toEqual(mlflow.models.map((m) => m.model));
  });

  it('versions are identical through get_model_version, download URI, latest versions and aliases (incl. latest)', () => {
    const { ours, mlflow } = get();
    expect(ours.models).toEqual(mlflow.models);
  });

  it('search_registered_models gives the same names, order and page tokens for every filter and order_by', () => {
    const { ours, mlflow } = get();
    const spec = buildRegistrySpec();
    spec.rm_queries.forEach((q, i) => expect({ query: q, pages: ours.rm_queries[i] }).toEqual({ query: q, pages: mlflow.rm_queries[i] }));
  });

  it('search_model_versions gives the same versions, order and page tokens for every filter and order_by', () => {
    const { ours, mlflow } = get();
    const spec = buildRegistrySpec();
    spec.mv_queries.forEach((q, i) => expect({ query: q, pages: ours.mv_queries[i] }).toEqual({ query: q, pages: mlflow.mv_queries[i] }));
  });
}

for (const dialect of ['sqlite', 'postgresql', 'mysql'] as const) {
  const title = `model registry interop with MLflow 3.18.0 on ${dialect}`;
  const problem = problems[dialect];
  if (!enabled) {
    describe.skip(title, () => it('needs MLSTORE_PROFILE=integration or MLSTORE_INTEROP=1', () => {}));
    continue;
  }
  if (problem) {
    if (requireServices) describe(title, () => it('has the services it needs (MLSTORE_REQUIRE_SERVICES=1)', () => expect.fail(problem)));
    else describe.skip(`${title} (${problem})`, () => it('needs its services', () => {}));
    continue;
  }

  describe(title, () => {
    const spec = buildRegistrySpec();
    let dir: string;
    let specPath: string;
    const disposers: (() => Promise<void>)[] = [];

    async function target(label: string): Promise<{ ourUri: string; mlflowUri: string }> {
      if (dialect === 'sqlite') {
        const uri = `sqlite:///${join(dir, `${label}.db`)}`;
        return { ourUri: uri, mlflowUri: uri };
      }
      const db = dialect === 'postgresql' ? await createTempDatabase(label) : await createTempMariadbDatabase(label);
      disposers.push(db.drop);
      return { ourUri: db.url, mlflowUri: db.sqlalchemyUrl };
    }

    const mlflow = async (mode: 'fill' | 'dump', uri: string) =>
      lastJsonLine<Dump>(await runPythonScript('registry_via_store.py', [mode, uri, specPath], { cwd: dir, timeoutMs: PYTHON_TIMEOUT_MS }));

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'mlstore-registry-interop-'));
      specPath = join(dir, 'spec.json');
      writeFileSync(specPath, JSON.stringify(spec));
    });
    afterAll(async () => {
      for (const dispose of disposers) await dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    describe('(a) our store writes, MLflow SqlAlchemyStore reads', () => {
      const dumps: { ours?: Dump; mlflow?: Dump } = {};
      beforeAll(async () => {
        const db = await target('ours');
        const store = await openOurStore(db.ourUri);
        try {
          await applyRegistrySpec(store, spec);
          dumps.ours = await dumpRegistry(store, spec);
        } finally {
          await store.close();
        }
        dumps.mlflow = await mlflow('dump', db.mlflowUri);
      }, PYTHON_TIMEOUT_MS * 2);
      facts(() => dumps as { ours: Dump; mlflow: Dump });
    });

    /** (b)'s database, MLflow's dump of it: (c) migrates it. */
    let filled: { uri: string; dump: Dump } | undefined;

    describe('(b) MLflow SqlAlchemyStore writes, our store reads', () => {
      const dumps: { ours?: Dump; mlflow?: Dump } = {};
      beforeAll(async () => {
        const db = await target('mlflow');
        await mlflow('fill', db.mlflowUri);
        dumps.mlflow = await mlflow('dump', db.mlflowUri);
        filled = { uri: db.ourUri, dump: dumps.mlflow };
        const store = await openOurStore(db.ourUri);
        try {
          dumps.ours = await dumpRegistry(store, spec);
        } finally {
          await store.close();
        }
      }, PYTHON_TIMEOUT_MS * 3);
      facts(() => dumps as { ours: Dump; mlflow: Dump });
    });

    describe('(c) mlstore migrates what MLflow wrote through a file store into another database; MLflow reads the copy identically', () => {
      const dumps: { ours?: Dump; mlflow?: Dump } = {};
      beforeAll(async () => {
        if (!filled) throw new Error("(b) did not fill MLflow's database");
        const copy = await target('copy');
        const { FileModelRegistryStore } = await import('@mlstore/store-file');
        const stores = [await openOurStore(filled.uri), await FileModelRegistryStore.open(join(dir, 'migrated-files')), await openOurStore(copy.ourUri)];
        try {
          const [from, files, into] = stores.map((s) => {
            if (!isPortableModelRegistryStore(s)) throw new Error('not a portable registry store');
            return s;
          }) as [PortableModelRegistryStore, PortableModelRegistryStore, PortableModelRegistryStore];
          for (const [a, b] of [[from, files], [files, into]] as const) expect((await migrateRegistry(a, b)).verification).toMatchObject({ ok: true, mismatches: [] });
        } finally {
          for (const s of stores) await s.close();
        }
        dumps.mlflow = filled.dump;
        dumps.ours = await mlflow('dump', copy.mlflowUri);
      }, PYTHON_TIMEOUT_MS * 2);
      facts(() => dumps as { ours: Dump; mlflow: Dump });
    });
  });
}

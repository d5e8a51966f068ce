/**
 * The MLflow 2.x `mlruns` fixture checked into ./fixtures/ (made by
 * scripts/mlruns-fixtures/make-2x-fixture.py with MLflow 2.17.2): a scratch copy to open (a store
 * may create `.trash` or other folders; the checked-in folder must stay as MLflow wrote it), and the
 * JSON of what MLflow 2.17.2 read from it.
 */
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Dump, Queries } from '@mlstore/testkit';

const fixtures = resolve(import.meta.dirname, 'fixtures');

export interface Fixture2x {
  /** The MLflow version that wrote and read the fixture. */
  mlflow_version: string;
  /** Folders git does not keep (they are empty) but MLflow wrote; recreated in every copy. */
  empty_dirs: string[];
  /** The searches `dump` holds the results of. */
  queries: Queries;
  /** What MLflow's MlflowClient read from the folder (test/interop's dump shape, normalised). */
  dump: Dump;
}

/** The fixture's JSON: what MLflow 2.17.2 read from the folder, and the searches it ran. */
export function load2xExpected(): Fixture2x {
  return JSON.parse(readFileSync(join(fixtures, 'mlruns-2x.expected.json'), 'utf8')) as Fixture2x;
}

/**
 * Copies the fixture folder to `<dir>/mlruns` and recreates the empty folders git dropped (MLflow 3's
 * FileStore only accepts a run folder with metrics/, params/ and artifacts/). Returns the copy's path.
 */
export function copy2xFixture(dir: string, expected: Fixture2x = load2xExpected()): string {
  const root = join(dir, 'mlruns');
  cpSync(join(fixtures, 'mlruns-2x'), root, { recursive: true });
  for (const rel of expected.empty_dirs) mkdirSync(join(root, ...rel.split('/')), { recursive: true });
  return root;
}

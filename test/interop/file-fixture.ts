/**
 * The MLflow 2.x `mlruns` fixture of @mlstore/store-file (its tests own it: see
 * packages/store-file/test/fixture-2x.ts); the interop tests read the same folder with MLflow 3.18.
 */
export { copy2xFixture, load2xExpected, type Fixture2x } from '../../packages/store-file/test/fixture-2x.js';

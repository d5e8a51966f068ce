import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { configDefaults, defineConfig } from 'vitest/config';
import { loadServicePorts } from './packages/testkit/src/faults/service-ports.ts';

// Tests run against each package's TypeScript sources: every `@mlstore/<name>` import resolves to
// `packages/<name>/src/index.ts`, so `vitest` needs no prior build (the build is still checked by
// `turbo run build`). Every folder under packages/ and apps/ with a src/ is one vitest project.
const root = import.meta.dirname;

// Where this checkout's test services listen (test/services/lib/ports.sh publishes it whenever a
// service script runs), for the test processes; variables already set win.
loadServicePorts(root);

const dirs = (parent: string) =>
  existsSync(join(root, parent))
    ? readdirSync(join(root, parent), { withFileTypes: true })
        .filter((d) => d.isDirectory() && existsSync(join(root, parent, d.name, 'package.json')))
        .map((d) => d.name)
    : [];

// Subpath exports too (`@mlstore/server/security` → `packages/server/src/security-middleware.ts`),
// each matched exactly, read from the package's `exports` (`./dist/<x>.js` → `./src/<x>.ts`).
const alias = dirs('packages').flatMap((name) => {
  const { exports = {} } = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8')) as { exports?: Record<string, { default?: string } | string> };
  return Object.entries(exports).flatMap(([sub, target]) => {
    const file = typeof target === 'string' ? undefined : target.default;
    if (!file?.startsWith('./dist/') || !file.endsWith('.js')) return [];
    const find = new RegExp(`^@mlstore/${name}${sub.slice(1).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
    return [{ find, replacement: resolve(root, 'packages', name, `src/${file.slice('./dist/'.length, -'.js'.length)}.ts`) }];
  });
});

// The integration profile (MLSTORE_PROFILE=integration, run by CI with MLSTORE_REQUIRE_SERVICES=1)
// re-runs only the suites under each package's test/ (conformance kits, interop) against the real
// services started by test/services/, with integration-sized inputs (e.g. ≥ 1 GiB artifacts).
const integration = process.env.MLSTORE_PROFILE === 'integration';

/**
 * Suites under test/ that use no service and do not change with the profile: the unit profile
 * (which CI runs first, on Node 20 and Node 24) already ran them, so the integration profile leaves
 * them out. By project; paths relative to the project's root.
 */
const SERVICE_FREE: Record<string, string[]> = {
  'store-rest': ['test/conformance.test.ts', 'test/registry-conformance.test.ts'],
  'store-file': ['test/conformance.test.ts', 'test/mlruns-2x.test.ts', 'test/portable.test.ts', 'test/registry-concurrency.test.ts'],
  testkit: ['test/conformance.test.ts'],
  'cross-package': [
    'package-lint.test.ts',
    'package-catalog.test.ts',
    'first-run.test.ts',
    'migrate.test.ts',
    'migrate-cli.test.ts',
    'models-artifact-repository.test.ts',
    'sql-registry-processes.test.ts',
  ],
};
const excluded = (project: string) => [...configDefaults.exclude, ...(integration ? (SERVICE_FREE[project] ?? []) : [])];

const projectFor = (parent: string, name: string) => ({
  resolve: { alias },
  test: {
    name: parent === 'packages' ? name : `${parent}/${name}`,
    root: join(root, parent, name),
    include: integration ? ['test/**/*.test.ts'] : ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: excluded(name),
    testTimeout: 30_000,
    hookTimeout: 120_000,
    passWithNoTests: true,
  },
});

export default defineConfig({
  test: {
    projects: [
      ...dirs('packages').map((n) => projectFor('packages', n)),
      ...dirs('apps').map((n) => projectFor('apps', n)),
      {
        resolve: { alias },
        test: { name: 'cross-package', root: join(root, 'test'), include: ['**/*.test.ts'], exclude: excluded('cross-package'), testTimeout: 60_000, hookTimeout: 600_000 },
      },
    ],
  },
});

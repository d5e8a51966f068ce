import { afterAll, describe, expect } from 'vitest';
import { registryCaseGroups } from './cases/index.js';
import { defineRegistryGroup, type ModelRegistryKitOptions, type ModelRegistryKitStoreFactory } from './context.js';

/**
 * Runs MLflow 3.18's model-registry store contract (docs/model-registry-3.18.md) against a store:
 * registered models, versions, stages, aliases, tags, both searches and their errors, as several
 * hundred vitest cases. Where MLflow's SQL and file stores differ, each case asserts the behaviour
 * of the store's `capabilities.flavour`.
 *
 * @param name shown in the suite title, e.g. `"sqlite"`.
 * @param factory makes a store; it is called once per case group and the store is closed after it.
 * @param options opt-outs by case name, each with a written reason; an unknown name fails the kit.
 */
export function describeModelRegistryStore(name: string, factory: ModelRegistryKitStoreFactory, options: ModelRegistryKitOptions = {}): void {
  describe(`model registry store conformance: ${name}`, () => {
    const usedSkips = new Set<string>();
    for (const group of registryCaseGroups) {
      defineRegistryGroup(group.name, factory, options, usedSkips, (ctx) => group.define(ctx));
    }
    afterAll(() => {
      const unknown = Object.keys(options.skip ?? {}).filter((k) => !usedSkips.has(k));
      expect(unknown, 'skip entries that match no case').toEqual([]);
    });
  });
}

import { afterAll, describe, expect } from 'vitest';
import { trackingCaseGroups } from './cases/index.js';
import { defineGroup, type TrackingKitOptions, type TrackingKitStoreFactory } from './context.js';


/**
 * Runs MLflow's tracking-store contract against a store: every AbstractStore method, the
 * validation rules and the search grammar, as several hundred vitest cases.
 *
 * @param name shown in the suite title, e.g. `"sqlite"`.
 * @param factory makes a store; it is called once per case group and the store is closed after it.
 * @param options opt-outs by case name, each with a written reason.
 */
export function describeTrackingStore(name: string, factory: TrackingKitStoreFactory, options: TrackingKitOptions = {}): void {
  describe(`tracking store conformance: ${name}`, () => {
    const usedSkips = new Set<string>();
    for (const group of trackingCaseGroups) {
      defineGroup(group.name, factory, options, usedSkips, (ctx) => group.define(ctx));
    }
    afterAll(() => {
      const unknown = Object.keys(options.skip ?? {}).filter((k) => !usedSkips.has(k));
      expect(unknown, 'skip entries that match no case').toEqual([]);
    });
  });
}

import { randomUUID } from 'node:crypto';
import type { AbstractStore, TrackingStoreCapabilities } from '@mlstore/core';
import { afterAll, beforeAll, describe } from 'vitest';
import { declareCase } from '../shared/declare-case.js';

/** Creates a store for one group of cases. Called once per group; the kit closes it after the group. */
export type TrackingKitStoreFactory = () => AbstractStore | Promise<AbstractStore>;

export interface TrackingKitOptions {
  /**
   * Cases to skip, by their full name (`"<group> > <case>"`), each with the reason. A name that
   * matches no case fails the kit, so an opt-out cannot outlive the case it was written for.
   */
  skip?: Record<string, string>;
}

/** What a group of cases receives: the store, unique names, and gated `it`/`describe`. */
export interface TrackingKitContext {
  /** The store of the current group (valid inside cases and hooks). */
  store(): AbstractStore;
  /** A name unique across runs and stores, e.g. `exp-<uuid>`; safe in filters (no quotes). */
  uniq(prefix?: string): string;
  /** Declares a case; skipped when named in `options.skip` or when a required capability is off. */
  it(name: string, fn: () => Promise<void> | void, requires?: (keyof TrackingStoreCapabilities)[]): void;
  /** Declares a case per row of a table. `name` may use `$field` placeholders of the row. */
  each<T extends object>(rows: readonly T[], name: string, fn: (row: T) => Promise<void> | void): void;
}

/**
 * Declares one group of cases with its own store. `path` is the group name used in case names
 * (`"<path> > <case>"`) and in `options.skip`.
 */
export function defineGroup(
  path: string,
  factory: TrackingKitStoreFactory,
  options: TrackingKitOptions,
  usedSkips: Set<string>,
  body: (ctx: TrackingKitContext) => void,
): void {
  describe(path, () => {
    let current: AbstractStore | undefined;
    let capabilities: TrackingStoreCapabilities | undefined;
    let factoryError: unknown;
    // A factory that throws must fail every case: vitest reports the cases of a suite whose
    // beforeAll threw as skipped, which would hide a broken store.
    beforeAll(async () => {
      try {
        current = await factory();
        capabilities = current.capabilities;
      } catch (err) {
        factoryError = err;
      }
    });
    afterAll(async () => {
      await current?.close();
    });
    const gated = (name: string, fn: () => Promise<void> | void, requires: (keyof TrackingStoreCapabilities)[] = []) =>
      declareCase(
        {
          fullName: `${path} > ${name}`,
          title: name,
          skip: options.skip,
          usedSkips,
          gate: () => {
            if (factoryError !== undefined) return undefined;
            const missing = requires.filter((c) => !capabilities?.[c]);
            return missing.length > 0 ? `store lacks capability ${missing.join(', ')}` : undefined;
          },
        },
        fn,
      );
    const ctx: TrackingKitContext = {
      store: () => {
        if (factoryError !== undefined) throw new Error(`the store factory failed: ${String(factoryError)}`, { cause: factoryError });
        if (!current) throw new Error('the store is only available inside cases and hooks');
        return current;
      },
      uniq: (prefix = 'x') => `${prefix}-${randomUUID()}`,
      it: gated,
      each: (rows, name, fn) => {
        for (const row of rows) {
          const title = name.replace(/\$(\w+)/g, (_, field: string) => String((row as Record<string, unknown>)[field]));
          gated(title, () => fn(row));
        }
      },
    };
    body(ctx);
  });
}

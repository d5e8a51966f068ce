import { randomUUID } from 'node:crypto';
import type { ModelRegistryStore, ModelRegistryStoreCapabilities } from '@mlstore/core';
import { afterAll, beforeAll, describe } from 'vitest';
import { declareCase } from '../shared/declare-case.js';

/** Creates a registry store for one group of cases. Called once per group; the kit closes it after the group. */
export type ModelRegistryKitStoreFactory = () => ModelRegistryStore | Promise<ModelRegistryStore>;

export interface ModelRegistryKitOptions {
  /**
   * Cases to skip, by their full name (`"<group> > <case>"`), each with the reason. A name that
   * matches no case fails the kit, so an opt-out cannot outlive the case it was written for.
   */
  skip?: Record<string, string>;
}

/** Which MLflow store the store under test behaves like, where MLflow's stores differ. */
export type RegistryFlavour = ModelRegistryStoreCapabilities['flavour'];

/** What a group of registry cases receives: the store, its flavour, unique names and `it`/`each`. */
export interface ModelRegistryKitContext {
  /** The store of the current group (valid inside cases and hooks). */
  store(): ModelRegistryStore;
  /** `store().capabilities.flavour`: pick the MLflow store whose behaviour a case asserts. */
  flavour(): RegistryFlavour;
  /**
   * A name unique across runs and stores, e.g. `rm-<uuid>`: only `[a-z0-9-]`, so it is a valid
   * model name in both flavours and safe inside filter strings.
   */
  uniq(prefix?: string): string;
  /** Declares a case; skipped (with its reason) when named in `options.skip`. */
  it(name: string, fn: () => Promise<void> | void): void;
  /** Declares a case per row of a table. `name` may use `$field` placeholders of the row. */
  each<T extends object>(rows: readonly T[], name: string, fn: (row: T) => Promise<void> | void): void;
}

/**
 * Declares one group of registry cases with its own store. `path` is the group name used in case
 * names (`"<path> > <case>"`) and in `options.skip`.
 */
export function defineRegistryGroup(
  path: string,
  factory: ModelRegistryKitStoreFactory,
  options: ModelRegistryKitOptions,
  usedSkips: Set<string>,
  body: (ctx: ModelRegistryKitContext) => void,
): void {
  describe(path, () => {
    let current: ModelRegistryStore | undefined;
    let factoryError: unknown;
    // A factory that throws must fail every case (vitest would report the cases of a suite whose
    // beforeAll threw as skipped, hiding a broken store).
    beforeAll(async () => {
      try {
        current = await factory();
      } catch (err) {
        factoryError = err;
      }
    });
    afterAll(async () => {
      await current?.close();
    });
    const store = (): ModelRegistryStore => {
      if (factoryError !== undefined) throw new Error(`the store factory failed: ${String(factoryError)}`, { cause: factoryError });
      if (!current) throw new Error('the store is only available inside cases and hooks');
      return current;
    };
    const declared = new Set<string>();
    const gated = (name: string, fn: () => Promise<void> | void) => {
      // Two cases with one title would share one opt-out; refuse that at declaration time.
      if (declared.has(name)) throw new Error(`registry kit: duplicate case name "${path} > ${name}"`);
      declared.add(name);
      declareCase({ fullName: `${path} > ${name}`, title: name, skip: options.skip, usedSkips }, fn);
    };
    const ctx: ModelRegistryKitContext = {
      store,
      flavour: () => store().capabilities.flavour,
      uniq: (prefix = 'rm') => `${prefix}-${randomUUID()}`,
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

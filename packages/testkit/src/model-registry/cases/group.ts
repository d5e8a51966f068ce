import type { ModelRegistryKitContext } from '../context.js';

/** A named group of registry conformance cases. Each group gets a fresh store from the factory. */
export interface RegistryCaseGroup {
  name: string;
  define(ctx: ModelRegistryKitContext): void;
}

import type { TrackingKitContext } from '../context.js';

/** A named group of conformance cases. Each group gets a fresh store from the factory. */
export interface TrackingCaseGroup {
  name: string;
  define(ctx: TrackingKitContext): void;
}

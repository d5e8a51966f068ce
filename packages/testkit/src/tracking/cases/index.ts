import type { TrackingCaseGroup } from './group.js';

/** Every group of the tracking kit, in run order. */
export const trackingCaseGroups: TrackingCaseGroup[] = [];

export type { TrackingKitContext, TrackingKitOptions, TrackingKitStoreFactory } from './context.js';
export { describeTrackingStore } from './describe-tracking-store.js';
export type { TrackingCaseGroup } from './cases/group.js';
export { expectMetricValue, expectMlflowError, SQL_MAX_DOUBLE } from './expect-error.js';

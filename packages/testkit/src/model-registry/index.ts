export type { ModelRegistryKitContext, ModelRegistryKitOptions, ModelRegistryKitStoreFactory, RegistryFlavour } from './context.js';
export { describeModelRegistryStore } from './describe-model-registry-store.js';
export type { RegistryCaseGroup } from './cases/group.js';
export { REGISTRY_OVER_REST_SKIPS } from './rest-skips.js';

import { MemoryModelRegistryStore, MemoryTrackingStore } from '@mlstore/core';
import { describeModelRegistryStore, describeTrackingStore } from '../src/index.js';

// The in-memory reference store must pass the whole tracking kit with no opt-outs.
describeTrackingStore('memory', () => new MemoryTrackingStore());

// The in-memory registry answers as MLflow's SQL store where its SQL and file stores differ.
describeModelRegistryStore('memory', () => new MemoryModelRegistryStore());

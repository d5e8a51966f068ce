import { MemoryTrackingStore } from '@mlstore/core';
import { describeTrackingStore } from '../src/index.js';

// The in-memory reference store must pass the whole tracking kit with no opt-outs.
describeTrackingStore('memory', () => new MemoryTrackingStore());

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeTrackingStore } from '@mlstore/testkit';
import { FileTrackingStore } from '../src/index.js';

// The whole tracking kit on a fresh mlruns folder per case group, once through a plain path and
// once through a file: URI.
const dir = mkdtempSync(join(tmpdir(), 'mlstore-file-kit-'));
let n = 0;
describeTrackingStore('mlruns', () => FileTrackingStore.open(join(dir, `kit-${n++}`, 'mlruns')));

#!/usr/bin/env node
import { applyServerHeapFlags } from './server-heap.js';

// A server's V8 flags take effect only if set before the other modules load and allocate.
applyServerHeapFlags();
const { main } = await import('./main.js');

// SIGINT/SIGTERM abort the running command cleanly (a migration keeps what it copied and says how
// to resume); a second signal exits at once.
const controller = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort(new Error(`received ${sig}`));
  });
}

process.exitCode = await main(process.argv.slice(2), { signal: controller.signal });

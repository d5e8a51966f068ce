#!/usr/bin/env node
import { main } from './main.js';

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

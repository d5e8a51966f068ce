// One creator process of registry-concurrency.test.ts: waits for the `go` file, then creates
// `count` versions of model `m` (each with a tag, so every creation also rewrites the model's
// meta.yaml) and prints the numbers it got as one JSON line.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FileModelRegistryStore } from '../src/index.js';

const [root, count] = [process.argv[2] ?? '', Number(process.argv[3])];
const store = await FileModelRegistryStore.open(root);
while (!existsSync(join(root, 'go'))) await new Promise((r) => setTimeout(r, 2));
const got: string[] = [];
for (let i = 0; i < count; i++) {
  got.push((await store.createModelVersion({ name: 'm', source: `s3://b/${process.pid}/${i}`, tags: [{ key: 'pid', value: String(process.pid) }] })).version);
}
process.stdout.write(`${JSON.stringify(got)}\n`);

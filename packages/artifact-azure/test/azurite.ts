/**
 * The Azurite server of test/services/azurite.sh for this package's tests: its connection
 * string, a reachability probe run once per file, and the loud-skip / fail-under-CI rule
 * (MLSTORE_REQUIRE_SERVICES=1 turns a missing server into a failing case).
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { requireService, servicePort } from '@mlstore/testkit';
import { describe } from 'vitest';

/** `MLSTORE_AZURITE_PORT`, published by the script in .services/ports.env. */
const port = servicePort('MLSTORE_AZURITE_PORT');
/** Azurite's published development-account key (documented by Microsoft, not a secret). */
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** `AZURE_STORAGE_CONNECTION_STRING` for Azurite (env `MLSTORE_AZURITE_CONNECTION_STRING` overrides it). */
export const AZURITE_CONNECTION_STRING =
  process.env.MLSTORE_AZURITE_CONNECTION_STRING ??
  `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${DEV_KEY};BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`;

/** The container the tests use (created when missing); each run works under a random prefix in it. */
export const TEST_CONTAINER = 'mlstore-test';

async function probe(): Promise<string | undefined> {
  try {
    const service = BlobServiceClient.fromConnectionString(AZURITE_CONNECTION_STRING, { retryOptions: { maxTries: 1 } });
    await service.getContainerClient(TEST_CONTAINER).createIfNotExists({ abortSignal: AbortSignal.timeout(5000) });
    return undefined;
  } catch (err) {
    return `Azurite is not reachable at 127.0.0.1:${port} (${(err as Error).message.split('\n')[0]}); start it with: bash test/services/azurite.sh start`;
  }
}

const problem = await probe();

/**
 * Declares `body` when Azurite answers. Otherwise: a failing case under
 * MLSTORE_REQUIRE_SERVICES=1, else a skipped suite and a line on stderr.
 */
export function describeWithAzurite(name: string, body: () => void): void {
  if (requireService(problem === undefined, name, problem ?? '')) describe(name, body);
}

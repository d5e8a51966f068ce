import { access, constants } from 'node:fs/promises';
import { Storage, type StorageOptions } from '@google-cloud/storage';
import { MlflowError } from '@mlstore/core';
import type { GcsArtifactRepositoryOptions, GcsSettings } from './gcs-options.js';

const GOOGLE_ENDPOINT = 'https://storage.googleapis.com';

function make(settings: GcsSettings, extra: StorageOptions): Storage {
  const anonymous = settings.auth.kind === 'anonymous';
  const options: StorageOptions = {
    ...extra,
    // Retries stay with the SDK's defaults (idempotent calls only); a timeout per request.
    ...(settings.timeoutMs !== undefined ? { timeout: settings.timeoutMs } : {}),
    ...(settings.projectId !== undefined ? { projectId: settings.projectId } : {}),
  };
  // Always explicit, so a STORAGE_EMULATOR_HOST in process.env (read by the SDK itself) cannot
  // override what was resolved from `options.env`. The trailing `/` makes the SDK treat even
  // Google's endpoint as custom, which is what lets the anonymous client skip google-auth-library.
  options.apiEndpoint = `${settings.apiEndpoint ?? GOOGLE_ENDPOINT}/`;
  options.useAuthWithCustomEndpoint = !anonymous;
  const storage = new Storage(options);
  // The Node SDK takes STORAGE_EMULATOR_HOST verbatim as its JSON API base URL (and prefers it
  // over `apiEndpoint`), which breaks object calls and uploads; the endpoint was resolved above,
  // so pin the base URL the SDK would have derived from it.
  storage.baseUrl = `${storage.apiEndpoint}/storage/v1`;
  return storage;
}

/** True when Application Default Credentials can be found (env file, gcloud ADC, metadata server). */
async function defaultCredentialsExist(probe: Storage): Promise<boolean> {
  try {
    await probe.authClient.getClient();
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds the `Storage` client as MLflow's `storage.Client()` would: explicit options, then the
 * emulator variable (unauthenticated), then `GOOGLE_APPLICATION_CREDENTIALS`, then Application
 * Default Credentials, and — as MLflow on `DefaultCredentialsError` — an anonymous client.
 *
 * @throws MlflowError UNAUTHENTICATED when `GOOGLE_APPLICATION_CREDENTIALS` (or `keyFilename`) names
 *   a file that cannot be read (MLflow would silently go anonymous and fail later on private buckets).
 */
export async function createGcsStorage(settings: GcsSettings, options: GcsArtifactRepositoryOptions): Promise<Storage> {
  if (options.storage) return options.storage;
  const auth = settings.auth;
  switch (auth.kind) {
    case 'anonymous':
      return make(settings, {});
    case 'credentials':
      return make(settings, { credentials: options.credentials as StorageOptions['credentials'] });
    case 'keyFile':
      try {
        await access(auth.keyFilename, constants.R_OK);
      } catch (error) {
        const source = auth.fromEnv ? 'GOOGLE_APPLICATION_CREDENTIALS' : 'the keyFilename option';
        throw new MlflowError(
          `@mlstore/artifact-gcs: the credentials file named by ${source} cannot be read: ${auth.keyFilename}. ` +
            'Set GOOGLE_APPLICATION_CREDENTIALS to a readable service-account key file, or unset it to use Application Default Credentials.',
          'UNAUTHENTICATED',
          { cause: error },
        );
      }
      return make(settings, { keyFilename: auth.keyFilename });
    case 'default': {
      const probe = make(settings, {});
      if (await defaultCredentialsExist(probe)) return probe;
      return make({ ...settings, auth: { kind: 'anonymous' } }, {});
    }
  }
}

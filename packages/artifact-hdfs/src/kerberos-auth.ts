import { MlflowError } from '@mlstore/core';
import { PREFIX } from './errors.js';

/** The part of the `kerberos` package (mongodb-js/kerberos ≥ 2) that SPNEGO needs. */
interface KerberosModule {
  initializeClient(service: string, options?: { mechOID?: unknown }): Promise<{ step(challenge: string): Promise<string> }>;
  GSS_MECH_OID_SPNEGO?: unknown;
}

const loaded = new Map<string, Promise<KerberosModule>>();

/**
 * Imports the optional peer `kerberos` (or `moduleName`) once.
 *
 * @throws MlflowError FEATURE_DISABLED, saying what to install, when the module is not installed
 *   or is installed but cannot load (e.g. its native addon was never built).
 */
export function loadKerberos(moduleName = 'kerberos'): Promise<KerberosModule> {
  let p = loaded.get(moduleName);
  if (!p) {
    p = (async () => {
      let mod: unknown;
      try {
        mod = await import(moduleName);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        const missing = (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String((error as Error).message).includes(`'${moduleName}'`);
        const why = missing
          ? `the optional peer dependency '${moduleName}' is not installed`
          : `the optional peer dependency '${moduleName}' is installed but could not be loaded (${String((error as Error).message).split('\n')[0]})`;
        throw new MlflowError(
          `${PREFIX} Kerberos (SPNEGO) authentication was requested, but ${why}. Install it with \`npm install kerberos\` ` +
            '(a native addon: it needs a C++ toolchain and the Kerberos headers, e.g. apt-get install libkrb5-dev, and its install script must be allowed to run), ' +
            'or use simple auth (user.name) or a delegation token instead.',
          'FEATURE_DISABLED',
          { cause: error },
        );
      }
      const m = mod as { default?: KerberosModule } & Partial<KerberosModule>;
      const api = typeof m.initializeClient === 'function' ? (m as KerberosModule) : m.default;
      if (!api || typeof api.initializeClient !== 'function') {
        throw new MlflowError(`${PREFIX} '${moduleName}' does not look like the kerberos package (no initializeClient)`, 'FEATURE_DISABLED');
      }
      return api;
    })();
    p.catch(() => loaded.delete(moduleName));
    loaded.set(moduleName, p);
  }
  return p;
}

/**
 * An `Authorization: Negotiate …` value for `service` (`HTTP@host`) from the Kerberos ticket cache
 * (`ticketCache` is exported as `KRB5CCNAME`, which GSSAPI reads process-wide).
 *
 * @throws MlflowError FEATURE_DISABLED without a usable `kerberos` module; UNAUTHENTICATED when
 *   GSSAPI cannot produce a token (no ticket, expired, unknown service principal).
 */
export async function negotiateHeader(service: string, moduleName: string, ticketCache?: string): Promise<string> {
  const krb = await loadKerberos(moduleName);
  if (ticketCache) process.env.KRB5CCNAME = ticketCache;
  try {
    const client = await krb.initializeClient(service, krb.GSS_MECH_OID_SPNEGO !== undefined ? { mechOID: krb.GSS_MECH_OID_SPNEGO } : {});
    return `Negotiate ${await client.step('')}`;
  } catch (error) {
    throw new MlflowError(`${PREFIX} Kerberos could not authenticate to ${service}: ${(error as Error).message}`, 'UNAUTHENTICATED', { cause: error });
  }
}

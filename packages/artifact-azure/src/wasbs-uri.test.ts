import { isMlflowError } from '@mlstore/core';
import { describe, expect, it } from 'vitest';
import { abfssNotSupported, parseWasbsUri, wasbsEquivalentOfAbfss } from './wasbs-uri.js';

// Expected values printed by MLflow 3.18.0's own AzureBlobArtifactRepository.parse_wasbs_uri
// (the venv of test/services/mlflow.sh) as (container, account, path, api_uri_suffix).
const MLFLOW_PARSED: [string, [string, string, string, string]][] = [
  ['wasbs://container@account.blob.core.windows.net/path/to/dir', ['container', 'account', 'path/to/dir', 'blob.core.windows.net']],
  ['wasbs://container@account.blob.core.windows.net', ['container', 'account', '', 'blob.core.windows.net']],
  ['wasbs://container@account.blob.core.windows.net/', ['container', 'account', '', 'blob.core.windows.net']],
  ['wasbs://c@ACCT01.blob.core.chinacloudapi.cn/a', ['c', 'ACCT01', 'a', 'blob.core.chinacloudapi.cn']],
  ['wasbs://c@acct.blob.core.usgovcloudapi.net/a/b/', ['c', 'acct', 'a/b/', 'blob.core.usgovcloudapi.net']],
  ['wasbs://my-container@devstoreaccount1.blob.core.windows.net/1/abc/artifacts', ['my-container', 'devstoreaccount1', '1/abc/artifacts', 'blob.core.windows.net']],
  ['wasbs://c@acct.blob.core.windows.net//double/slash', ['c', 'acct', '/double/slash', 'blob.core.windows.net']],
  ['wasbs://c@acct.blob.core.windows.net/sp%20ace/x?y=1#frag', ['c', 'acct', 'sp%20ace/x', 'blob.core.windows.net']],
  ['WASBS://c@acct.blob.core.windows.net/p', ['c', 'acct', 'p', 'blob.core.windows.net']],
  ['wasbs://c@acct.blob.core.windows.net/p;params', ['c', 'acct', 'p;params', 'blob.core.windows.net']],
  ['wasbs://u:pw@acct.blob.core.windows.net/p', ['u:pw', 'acct', 'p', 'blob.core.windows.net']],
  ['wasbs://c@acct.blob.core.windows.net/ünï/😀', ['c', 'acct', 'ünï/😀', 'blob.core.windows.net']],
];

// URIs MLflow refuses with its form error ("WASBS URI must be of the form …").
const MLFLOW_FORM_ERRORS = [
  'wasbs://c@d@acct.blob.core.windows.net/p',
  'wasbs://c@acct.blob.core.windows.net:443/p',
  'wasbs://c@acct-x.blob.core.windows.net/p',
  'wasbs://c@acct.blob.core.windows.com/p',
  'wasbs://acct.blob.core.windows.net/p',
  'wasbs://@acct.blob.core.windows.net/p',
  'wasbs://c@acct.BLOB.core.windows.net/p',
  'wasbs://c@[::1]/p',
  'wasbs://c@127.0.0.1:10000/devstoreaccount1/p',
];

const errorOf = (f: () => unknown): { code: string; message: string } => {
  try {
    f();
  } catch (e) {
    if (isMlflowError(e)) return { code: e.errorCode, message: e.message };
    throw e;
  }
  throw new Error('did not throw');
};

describe('parseWasbsUri (values from MLflow 3.18.0)', () => {
  for (const [uri, [container, account, path, apiUriSuffix]] of MLFLOW_PARSED) {
    it(`parses ${uri}`, () => expect(parseWasbsUri(uri)).toEqual({ container, account, path, apiUriSuffix }));
  }
  for (const uri of MLFLOW_FORM_ERRORS) {
    it(`refuses ${uri} with MLflow's form error`, () => {
      const e = errorOf(() => parseWasbsUri(uri));
      expect(e.code).toBe('INVALID_PARAMETER_VALUE');
      expect(e.message).toContain('WASBS URI must be of the form <container>@<account>.blob.core.windows.net');
      expect(e.message).toMatch(/^@mlstore\/artifact-azure: /);
      expect(e.message).toContain('AZURE_STORAGE_CONNECTION_STRING');
    });
  }
  it('refuses other schemes as "Not a WASBS URI" (wasb, s3) without credentials in the message', () => {
    expect(errorOf(() => parseWasbsUri('wasb://c@acct.blob.core.windows.net/p')).message).toContain('Not a WASBS URI: wasb://c@acct.blob.core.windows.net/p');
    const e = errorOf(() => parseWasbsUri('s3://user:secret@acct.blob.core.windows.net/p'));
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.message).not.toContain('secret');
  });
  it('is pure: the same URI always gives the same parts', () => {
    expect(parseWasbsUri(' wasbs://c@a.blob.core.windows.net/x\n')).toEqual(parseWasbsUri('wasbs://c@a.blob.core.windows.net/x'));
  });
});

describe('abfss:// (ADLS Gen2)', () => {
  it('names the equivalent wasbs:// URI on the same account', () => {
    expect(wasbsEquivalentOfAbfss('abfss://fs@acct.dfs.core.windows.net/a/b')).toBe('wasbs://fs@acct.blob.core.windows.net/a/b');
    expect(wasbsEquivalentOfAbfss('abfss://bad-host/a')).toBeUndefined();
    const e = abfssNotSupported('abfss://fs@acct.dfs.core.windows.net/a');
    expect(e.errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect(e.message).toBe('@mlstore/artifact-azure: abfss:// (ADLS Gen2) URIs are not supported, use wasbs:// on the same account: wasbs://fs@acct.blob.core.windows.net/a');
  });
});

describe('blob-name helpers', () => {
  it("orders like Python's sorted (code points: astral characters after U+FFFD)", async () => {
    const { byCodePoint, isBlobWithinPath } = await import('./blob-names.js');
    expect(['\uFFFD', '🚀', 'B', 'a'].sort(byCodePoint)).toEqual(['B', 'a', '\uFFFD', '🚀']);
    expect(['model', 'model/w', 'model2/w', 'model.txt'].filter((n) => isBlobWithinPath(n, 'model'))).toEqual(['model', 'model/w']);
    expect(isBlobWithinPath('anything', '')).toBe(true);
  });
});

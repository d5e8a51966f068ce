import { createArtifactRepositoryRegistry } from '@mlstore/core';
import { describe, expect, it } from 'vitest';
import { FtpArtifactRepository } from './ftp-artifact-repository.js';
import { registerFtpArtifactRepository } from './register-ftp-artifact-repository.js';

describe('registerFtpArtifactRepository', () => {
  it('resolves ftp and ftps URIs (nothing is connected until the first call)', async () => {
    const registry = registerFtpArtifactRepository(createArtifactRepositoryRegistry(), { maxConnections: 2 });
    expect(registry.schemes()).toEqual(expect.arrayContaining(['ftp', 'ftps']));
    const plain = await registry.resolve('ftp://u:secret-pw@example.invalid:2121/root', {});
    const tls = await registry.resolve('ftps://example.invalid/root', {});
    expect(plain).toBeInstanceOf(FtpArtifactRepository);
    expect((plain as FtpArtifactRepository).location).toMatchObject({ scheme: 'ftp', host: 'example.invalid', port: 2121, user: 'u', root: '/root' });
    expect((tls as FtpArtifactRepository).location.scheme).toBe('ftps');
    // The repository's URI never carries the password.
    expect(plain.artifactUri).toBe('ftp://u:***@example.invalid:2121/root');
    expect(plain.capabilities).toMatchObject({ deleteSemantics: 'full', emptyDirectories: true, sortedListing: true, multipartUpload: false });
  });
  it('refuses a bad URI or option at construction', () => {
    expect(() => new FtpArtifactRepository('ftp://h/a/../b')).toThrow(/INVALID|\.\./);
    expect(() => new FtpArtifactRepository('ftp://h/x', { maxConnections: 0 })).toThrow(/>= 1/);
    expect(() => new FtpArtifactRepository('ftp://h/x', { env: { MLSTORE_FTPS_CA_FILE: '/no/such/ca.pem' } })).toThrow(/MLSTORE_FTPS_CA_FILE/);
  });
});

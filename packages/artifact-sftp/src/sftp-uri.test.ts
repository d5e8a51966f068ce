import { describe, expect, it } from 'vitest';
import { joinRemotePath, parseSftpUri } from './sftp-uri.js';

// Expected values are what Python 3.11's urllib.parse.urlparse gives MLflow's SFTP repository
// (hostname, port, username, password, path or '/').
describe('parseSftpUri', () => {
  it.each([
    ['sftp://host/abs/path', { host: 'host', path: '/abs/path' }],
    ['sftp://user@host:2222/a', { host: 'host', port: 2222, username: 'user', path: '/a' }],
    ['sftp://user:pa:ss@HOST/a', { host: 'host', username: 'user', password: 'pa:ss', path: '/a' }],
    ['sftp://us%40er:p%2Fw@h/a', { host: 'h', username: 'us%40er', password: 'p%2Fw', path: '/a' }],
    ['sftp://a@b@host/x', { host: 'host', username: 'a@b', path: '/x' }],
    ['sftp://host', { host: 'host', path: '/' }],
    ['sftp:///abs', { host: 'localhost', path: '/abs' }],
    ['sftp://[::1]:22/x', { host: '::1', port: 22, path: '/x' }],
    ['sftp://host:/x', { host: 'host', path: '/x' }],
    ['sftp://host/x?q=1#frag', { host: 'host', path: '/x' }],
    ['SFTP://host/x', { host: 'host', path: '/x' }],
    ['sftp://@host/x', { host: 'host', username: '', path: '/x' }],
  ])('%s', (uri, want) => {
    expect(parseSftpUri(uri)).toEqual(want);
  });

  it('refuses other schemes and bad ports without showing the password', () => {
    expect(() => parseSftpUri('ftp://u:secret@h/x')).toThrow(/Not an SFTP URI: ftp:\/\/u:\*\*\*@h\/x/);
    for (const bad of ['sftp://u:secret@h:99999/x', 'sftp://u:secret@h:12a/x', 'sftp://u:secret@h:-1/x']) {
      let message = '';
      try {
        parseSftpUri(bad);
      } catch (error) {
        message = (error as Error).message;
        expect(error).toMatchObject({ errorCode: 'INVALID_PARAMETER_VALUE' });
      }
      expect(message).toMatch(/Port could not be cast/);
      expect(message).not.toContain('secret');
    }
  });

  it('keeps `..` in the root as written (the server resolves it; artifact paths are validated separately)', () => {
    expect(parseSftpUri('sftp://h/a/../b').path).toBe('/a/../b');
  });
});

describe('joinRemotePath', () => {
  it('joins like posixpath.join', () => {
    expect(joinRemotePath('/a', '')).toBe('/a');
    expect(joinRemotePath('/a', 'b/c')).toBe('/a/b/c');
    expect(joinRemotePath('/a/', 'b')).toBe('/a/b');
    expect(joinRemotePath('/', 'b')).toBe('/b');
  });
});

import { describe, expect, it } from 'vitest';
import { describeLocation, parseFtpUri } from './ftp-uri.js';

describe('parseFtpUri', () => {
  it.each([
    ['ftp://host/path', { scheme: 'ftp', host: 'host', port: 21, password: '', root: '/path' }],
    ['ftp://host', { scheme: 'ftp', host: 'host', port: 21, password: '', root: '/' }],
    ['ftp://host/', { scheme: 'ftp', host: 'host', port: 21, password: '', root: '/' }],
    ['ftp:///path', { scheme: 'ftp', host: 'localhost', port: 21, password: '', root: '/path' }],
    ['ftp://User:p%40ss%3Aw@Host.Example:2121/a/b/', { scheme: 'ftp', host: 'host.example', port: 2121, user: 'User', password: 'p@ss:w', root: '/a/b' }],
    ['ftp://us%40er@host/x', { scheme: 'ftp', host: 'host', port: 21, user: 'us@er', password: '', root: '/x' }],
    ['ftps://u:p@[::1]:990/x?ignored=1#frag', { scheme: 'ftps', host: '::1', port: 990, user: 'u', password: 'p', root: '/x' }],
    ['FTP://host/with space/ünï', { scheme: 'ftp', host: 'host', port: 21, password: '', root: '/with space/ünï' }],
    ['ftp://host/a%20b', { scheme: 'ftp', host: 'host', port: 21, password: '', root: '/a%20b' }],
    ['ftp://host//a/./b//', { scheme: 'ftp', host: 'host', port: 21, password: '', root: '/a/b' }],
  ])('%s', (uri, expected) => {
    expect(parseFtpUri(uri)).toEqual(expected);
  });
  it.each([
    ['s3://bucket/x', /not an ftp/],
    ['ftp://host:99999/x', /bad port/],
    ['ftp://host:abc/x', /bad port/],
    ['ftp://host/a/../b', /must not contain '\.\.'/],
    ['ftp://host/a/%2e%2e/b', /must not contain '\.\.'/],
    ['ftp://host/..', /must not contain '\.\.'/],
    ['ftp://u:p%0d%0aDELE%20x@host/x', /password .* control characters/],
    ['ftp://u%0a:p@host/x', /user .* control characters/],
    ['ftp://host/a\r\nDELE x', /control characters/],
    ['ftp://u:%zz@host/x', /not valid percent-encoding/],
  ])('refuses %j', (uri, message) => {
    expect(() => parseFtpUri(uri)).toThrow(message);
    try {
      parseFtpUri(uri);
    } catch (err) {
      expect((err as { errorCode: string }).errorCode).toBe('INVALID_PARAMETER_VALUE');
      expect((err as Error).message).not.toMatch(/:p@|%zz@/);
    }
  });
  it('describeLocation never shows the password', () => {
    const loc = parseFtpUri('ftps://me:s3cret@host:2121/root');
    expect(describeLocation(loc)).toBe('ftps://me@host:2121/root');
    expect(describeLocation(loc, '/root/a b.txt')).toBe('ftps://me@host:2121/root/a b.txt');
  });

});

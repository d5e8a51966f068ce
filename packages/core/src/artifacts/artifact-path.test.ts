import { describe, expect, it } from 'vitest';
import { isMlflowError } from '../errors.js';
import { joinArtifactPath, localFileUriToPath, validateArtifactPath } from './artifact-path.js';

const refused = (p: string) => {
  try {
    validateArtifactPath(p);
    return false;
  } catch (e) {
    return isMlflowError(e) && e.errorCode === 'INVALID_PARAMETER_VALUE' && /Invalid path/.test(e.message);
  }
};

describe('validateArtifactPath', () => {
  it.each([
    '..', '../x', 'a/../../x', 'a/..', '..%2fx', '%2e%2e/x', '%252e%252e%252fx', '%25252e%25252e%25252fx',
    '..\\x', '\\..\\x', 'a\\b', '/etc/passwd', '//x', '%2fetc', 'C:\\x', 'C:/x', 'c:x', 'a/b?/../../x', 'a#b',
    'a/b;/../../x', 'file:///etc/passwd', 'file:x', 's3://b/k', 'x\u0000y', '%00', 'a\nb',
  ])('refuses %j', (p) => expect(refused(p)).toBe(true));

  it.each([
    ['a/b.txt', 'a/b.txt'],
    ['./a//b/', 'a/b'],
    ['', ''],
    ['100%25.txt', '100%25.txt'],
    ["x !@$%^&()_+-=;',.txt", "x !@$%^&()_+-=;',.txt"],
    ['🐂🍺中文.txt', '🐂🍺中文.txt'],
    ['a..b/...', 'a..b/...'],
    ['model:v1', 'model:v1'],
  ])('accepts %j as %j', (p, want) => expect(validateArtifactPath(p)).toBe(want));

  it('treats undefined/null as the root and a non-string as invalid', () => {
    expect(validateArtifactPath(undefined)).toBe('');
    expect(validateArtifactPath(null)).toBe('');
    expect(refused(42 as unknown as string)).toBe(true);
  });

  it('joins validated parts', () => {
    expect(joinArtifactPath(undefined, 'a/', '', 'b.txt')).toBe('a/b.txt');
    expect(() => joinArtifactPath('a', '../b')).toThrow(/Invalid path/);
  });
});

describe('localFileUriToPath', () => {
  it.each([
    ['file:///tmp/a%20b', '/tmp/a b'],
    ['file://host/tmp/x', '/tmp/x'],
    ['file:/tmp/x', '/tmp/x'],
    ['file:rel/dir', 'rel/dir'],
    ['/plain/path', '/plain/path'],
    ['./rel', './rel'],
  ])('%s → %s', (uri, want) => expect(localFileUriToPath(uri)).toBe(want));

  it('refuses other schemes and query/fragment', () => {
    expect(() => localFileUriToPath('s3://b/k')).toThrow(/Not a local URI/);
    expect(() => localFileUriToPath('file:///tmp/x?a=../..')).toThrow(/Invalid file URI/);
    expect(() => localFileUriToPath('file:///tmp/x#/../..')).toThrow(/Invalid file URI/);
  });
});

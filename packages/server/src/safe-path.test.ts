import { describe, expect, it } from 'vitest';
import { decodeRepeatedly, validatePathIsSafe } from './safe-path.js';

// The path-traversal payloads of MLflow's CVE history (field-notes CVE table): every one is refused.
const REFUSED: [string, string][] = [
  ['CVE-2023-1177 / #7166 parent traversal', '../../../../etc/passwd'],
  ['CVE-2023-2356 relative traversal inside', 'a/../../b'],
  ['CVE-2023-2780 backslash traversal', '..\\..\\etc\\passwd'],
  ['CVE-2023-6977 mixed backslash', 'a\\..\\..\\b'],
  ['CVE-2023-3765 absolute POSIX path', '/etc/passwd'],
  ['absolute Windows path', 'C:\\Windows\\win.ini'],
  ['Windows drive-relative path', 'C:secret'],
  ['UNC path', '\\\\host\\share\\x'],
  ['CVE-2023-6831 encoded traversal', '%2e%2e/%2e%2e/etc/passwd'],
  ['CVE-2024-1560 double-encoded traversal', '%252e%252e%252f%252e%252e%252fetc'],
  ['triple-encoded traversal', '%25252e%25252e/x'],
  ['encoded slash before ..', 'a%2f..%2f..%2fb'],
  ['CVE-2024-1483 fragment', 'a#/../../etc/passwd'],
  ['encoded fragment', 'a%23b'],
  ['file: URI to an absolute path', 'file:///etc/passwd'],
  ['file: URI with host', 'file://host/etc/passwd'],
  ['encoded absolute path', '%2fetc%2fpasswd'],
  ['NUL byte', 'a%00b'],
  ['bare ..', '..'],
  ['trailing ..', 'a/..'],
];

const ACCEPTED: [string, string][] = [
  ['plain file', 'model.pkl'],
  ['nested', 'a/b/c.txt'],
  ['dots inside names', 'a..b/c...d'],
  ['single dot segment', './x'],
  ['encoded space', 'a%20b.txt'],
  ['unicode', 'données/été.csv'],
];

describe('validatePathIsSafe', () => {
  it.each(REFUSED)('refuses %s', (_, path) => {
    expect(() => validatePathIsSafe(path)).toThrow(expect.objectContaining({ errorCode: 'INVALID_PARAMETER_VALUE', message: 'Invalid path' }));
  });
  it.each(ACCEPTED)('accepts %s', (_, path) => {
    expect(validatePathIsSafe(path)).toBe(decodeRepeatedly(path));
  });
  it('decodes until stable, at most ten rounds', () => {
    expect(decodeRepeatedly('%2541')).toBe('A');
    expect(decodeRepeatedly('100%')).toBe('100%');
  });
});

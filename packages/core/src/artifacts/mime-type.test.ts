import { describe, expect, it } from 'vitest';
import { guessMimeType } from './mime-type.js';

describe('guessMimeType (MLflow _guess_mime_type)', () => {
  it.each([
    ['model.txt', 'text/plain'],
    ['conda.yaml', 'text/plain'],
    ['metrics.json', 'text/plain'],
    ['MLmodel', 'text/plain'],
    ['MLproject', 'text/plain'],
    ['plot.png', 'image/png'],
    ['photo.JPG', 'image/jpeg'],
    ['page.html', 'text/html'],
    ['bundle.tar.gz', 'application/x-tar'],
    ['bundle.tgz', 'application/x-tar'],
    ['weights.gz', 'application/octet-stream'],
    ['model.pkl', 'application/octet-stream'],
    ['noext', 'application/octet-stream'],
    ['.bashrc', 'application/octet-stream'],
    ['dir/report.pdf', 'application/pdf'],
  ])('%s → %s', (name, type) => {
    expect(guessMimeType(name)).toBe(type);
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildMimeTable, guessS3ContentType } from './s3-content-type.js';

// mimetypes.guess_type('/tmp/dir/<name>') in MLflow's venv (Python 3.11.7), the call MLflow's
// _get_upload_extra_args makes; these names do not depend on the machine's mime.types.
const PYTHON: Record<string, [string | null, string | null]> = {
  'model.pkl': [null, null],
  'x.tar.gz': ['application/x-tar', 'gzip'],
  'data.csv': ['text/csv', null],
  'a.py': ['text/x-python', null],
  MLmodel: [null, null],
  'conda.yaml': [null, null],
  'x.JSON': ['application/json', null],
  'img.PNG': ['image/png', null],
  'arch.tgz': ['application/x-tar', 'gzip'],
  'f.svgz': ['image/svg+xml', 'gzip'],
  'x.txt.Z': ['text/plain', 'compress'],
  'x.gz': [null, 'gzip'],
  '.bashrc': [null, null],
  'a.b.c.html': ['text/html', null],
  'x.bz2': [null, 'bzip2'],
  noext: [null, null],
  'q.parquet': [null, null],
  'm.h5': ['application/x-hdf5', null],
};

const expected = ([type, enc]: [string | null, string | null]) => ({ ...(type ? { contentType: type } : {}), ...(enc ? { contentEncoding: enc } : {}) });

describe('guessS3ContentType (Python mimetypes.guess_type)', () => {
  const builtIn = buildMimeTable([]);
  it.each(Object.entries(PYTHON))('%s', (name, want) => {
    expect(guessS3ContentType(name, builtIn)).toEqual(expected(want));
  });
  it('reads mime.types files over the built-in table (comments, later wins, lower-cased lookup)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlstore-mime-'));
    const file = join(dir, 'mime.types');
    writeFileSync(file, '# comment\ntext/markdown\tmd markdown # trailing words ignored\napplication/gzip gz\ntext/x-custom py\n');
    const table = buildMimeTable([join(dir, 'absent.types'), file]);
    // Values Python gives with such a file: README.md → text/markdown; weird.Gz → application/gzip
    // (encodings match case-sensitively, types by the lower-cased extension).
    expect(guessS3ContentType('README.md', table)).toEqual({ contentType: 'text/markdown' });
    expect(guessS3ContentType('weird.Gz', table)).toEqual({ contentType: 'application/gzip' });
    expect(guessS3ContentType('x.gz', table)).toEqual({ contentEncoding: 'gzip' });
    expect(guessS3ContentType('a.py', table)).toEqual({ contentType: 'text/x-custom' });
  });
});

/** MLflow's `get_text_extensions()`: uploaded as `text/plain` (MLmodel/MLproject have no extension). */
const TEXT_EXTENSIONS = new Set([
  'txt', 'log', 'err', 'cfg', 'conf', 'cnf', 'cf', 'ini', 'properties', 'prop', 'hocon', 'toml', 'yaml', 'yml',
  'xml', 'json', 'js', 'py', 'py3', 'csv', 'tsv', 'md', 'rst', 'ipynb', 'MLmodel', 'MLproject',
]);

/** The part of Python's `mimetypes` table that artifacts commonly hit. */
const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.htm': 'text/html',
  '.css': 'text/css',
  '.mjs': 'text/javascript',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.bmp': 'image/bmp',
  '.svg': 'image/svg+xml',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.ico': 'image/vnd.microsoft.icon',
  '.webp': 'image/webp',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.tar': 'application/x-tar',
  '.bin': 'application/octet-stream',
  '.wasm': 'application/wasm',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/x-wav',
  '.mp4': 'video/mp4',
  '.mpeg': 'video/mpeg',
  '.webm': 'video/webm',
};

/** Python's `mimetypes.suffix_map` and the compression suffixes of `encodings_map`. */
const SUFFIX_ALIASES: Record<string, string> = { '.tgz': '.tar.gz', '.taz': '.tar.gz', '.tz': '.tar.gz', '.tbz2': '.tar.bz2', '.txz': '.tar.xz' };
const ENCODINGS = new Set(['.gz', '.Z', '.bz2', '.xz', '.br']);

function extname(name: string): string {
  const dot = name.lastIndexOf('.');
  // splitext ignores leading dots: `.bashrc` has no extension.
  return dot <= 0 || /^\.+$/.test(name.slice(0, dot + 1)) ? '' : name.slice(dot);
}

/** `mimetypes.guess_type(name)[0]`, or undefined. */
function guessType(name: string): string | undefined {
  let base = name;
  let ext = extname(base);
  const alias = SUFFIX_ALIASES[ext] ?? SUFFIX_ALIASES[ext.toLowerCase()];
  if (alias) {
    base = base.slice(0, -ext.length) + alias;
    ext = extname(base);
  }
  if (ENCODINGS.has(ext) || ENCODINGS.has(ext.toLowerCase())) {
    base = base.slice(0, -ext.length);
    ext = extname(base);
  }
  return TYPES[ext] ?? TYPES[ext.toLowerCase()];
}

/**
 * The `Content-Type` MLflow's HTTP artifact client sends for an upload (`_guess_mime_type`):
 * `text/plain` for its text extensions and for `MLmodel`/`MLproject`, else Python's `mimetypes`
 * guess (`x.tar.gz` → `application/x-tar`), else `application/octet-stream`.
 */
export function guessMimeType(fileName: string): string {
  const name = fileName.slice(fileName.lastIndexOf('/') + 1);
  const ext = extname(name);
  const key = ext === '' ? name : ext.slice(1);
  if (TEXT_EXTENSIONS.has(key)) return 'text/plain';
  return guessType(name) ?? 'application/octet-stream';
}

import mime from 'mime-types';

// MLflow serves these as text/plain whatever their registered type (utils/mime_type_utils.py),
// so a browser never renders an artifact as HTML or script from the server's origin.
const TEXT_EXTENSIONS = new Set(
  'txt log err cfg conf cnf cf ini properties prop hocon toml yaml yml xml json js py py3 csv tsv md rst ipynb MLmodel MLproject'.split(' '),
);

/** The Content-Type MLflow gives a downloaded artifact. */
export function guessMimeType(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  const extension = dot > 0 ? fileName.slice(dot + 1) : fileName;
  if (TEXT_EXTENSIONS.has(extension)) return 'text/plain';
  return mime.lookup(fileName) || 'application/octet-stream';
}

/** MLflow's `Content-Disposition: attachment` value, with an RFC 5987 name for non-ASCII names. */
export function attachmentDisposition(fileName: string): string {
  const quote = (s: string) => (/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(s) ? s : `"${s.replace(/["\\]/g, '\\$&')}"`);
  if (/^[\x00-\x7f]*$/.test(fileName)) return `attachment; filename=${quote(fileName)}`;
  const fallback = fileName.normalize('NFKD').replace(/[^\x00-\x7f]/g, '') || 'download';
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename=${quote(fallback)}; filename*=UTF-8''${encoded}`;
}

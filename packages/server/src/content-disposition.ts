/** MLflow's `Content-Disposition: attachment` value, with an RFC 5987 name for non-ASCII names. */
export function attachmentDisposition(fileName: string): string {
  const quote = (s: string) => (/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(s) ? s : `"${s.replace(/["\\]/g, '\\$&')}"`);
  if (/^[\x00-\x7f]*$/.test(fileName)) return `attachment; filename=${quote(fileName)}`;
  const fallback = fileName.normalize('NFKD').replace(/[^\x00-\x7f]/g, '') || 'download';
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename=${quote(fallback)}; filename*=UTF-8''${encoded}`;
}

import { MlflowError, splitUri } from '@mlstore/core';

/** A parsed `models:/` URI (MLflow's `_parse_model_uri`). */
export type ParsedModelUri = { modelId: string } | { name: string; version?: string; stage?: string; alias?: string };

/**
 * MLflow's `_parse_model_uri` for the `models` scheme.
 * @throws MlflowError INTERNAL_ERROR `Not a proper models:/ URI: …`.
 */
export function parseModelUri(uri: string): ParsedModelUri {
  const improper = () =>
    new MlflowError(
      `Not a proper models:/ URI: ${uri}. Models URIs must be of the form 'models:/name/suffix' or 'models:/name@alias' where suffix is a version, stage, or the string 'latest' and where alias is a registered model alias. Only one of suffix or alias can be defined at a time.`,
      'INTERNAL_ERROR',
    );
  const { scheme, path } = splitUri(uri);
  if (scheme !== 'models' || !uri.slice(0, 7).toLowerCase().startsWith('models:')) throw improper();
  const q = path.indexOf('?');
  const p = q >= 0 ? path.slice(0, q) : path;
  if (!p.startsWith('/') || p.length <= 1) throw improper();
  const parts = p.replace(/^\/+/, '').split('/');
  if (parts.length > 2 || parts[0]!.trim() === '') throw improper();
  if (parts.length === 2) {
    const [name, suffix] = parts as [string, string];
    if (suffix.trim() === '') throw improper();
    if (/^\p{Nd}+$/u.test(suffix)) return { name, version: suffix };
    if (suffix.toLowerCase() === 'latest') return { name };
    return { name, stage: suffix };
  }
  if (p.includes('@')) {
    const at = parts[0]!.lastIndexOf('@');
    const alias = at >= 0 ? parts[0]!.slice(at + 1) : '';
    if (at < 0 || alias.trim() === '') throw improper();
    return { name: parts[0]!.slice(0, at), alias };
  }
  return { modelId: parts[0]! };
}

/** Python's string order (by code point), which MLflow's `sorted` uses for listings. */
export function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i] as string).codePointAt(0)! - (y[i] as string).codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * MLflow's `_is_object_key_within_path`: the blob is `path` itself or under `path/` (so a prefix
 * listing of `model` does not take `model2/…` or `model.txt`); an empty path is the whole container.
 */
export function isBlobWithinPath(name: string, path: string): boolean {
  if (path === '') return true;
  if (path.endsWith('/')) return name.startsWith(path);
  return name === path || name.startsWith(`${path}/`);
}

import { MlflowError } from '../errors.js';
import { getUriScheme, redactUri } from '../uri.js';

/** How a lazy entry loads its factory, and which package provides it. */
export interface LazyFactory<F> {
  /** The npm package that provides the factory, named in the "install it" error. */
  packageName: string;
  /** Loads the factory, typically `() => import('@mlstore/x').then((m) => m.xFactory)`. */
  load: () => Promise<F>;
}

export interface RegisterOptions {
  /** More schemes served by the same factory (e.g. `postgres` for `postgresql`). */
  aliases?: readonly string[];
}

/** Builds what a registry resolves (a store, a repository) from a URI and options. */
export type SchemeFactory<O, R> = (uri: string, options: O) => R | Promise<R>;

/**
 * A scheme → factory table: the tracking-store and artifact-repository registries are two
 * instances. Entries may be eager (a factory) or lazy (loaded on first use, so heavy SDKs are
 * imported only when their scheme is used).
 */
export class SchemeRegistry<O, R, F extends SchemeFactory<O, R> = SchemeFactory<O, R>> {
  private readonly entries = new Map<string, { factory?: F; lazy?: LazyFactory<F> }>();

  /** @param kind shown in errors, e.g. `"tracking store"`. */
  constructor(private readonly kind: string) {}

  /** Registers an eager factory for `scheme` (and its aliases); a later registration wins. */
  register(scheme: string, factory: F, options: RegisterOptions = {}): this {
    for (const s of [scheme, ...(options.aliases ?? [])]) this.entries.set(s.toLowerCase(), { factory });
    return this;
  }

  /** Registers a factory that is imported on first use of `scheme` (and its aliases). */
  registerLazy(scheme: string, lazy: LazyFactory<F>, options: RegisterOptions = {}): this {
    for (const s of [scheme, ...(options.aliases ?? [])]) this.entries.set(s.toLowerCase(), { lazy });
    return this;
  }

  /**
   * Creates the store or repository for `uri` with the factory of its scheme.
   *
   * @throws MlflowError INVALID_PARAMETER_VALUE for an unknown scheme or a missing package.
   */
  async resolve(uri: string, options?: O): Promise<R> {
    const factory = await this.factoryFor(uri);
    return factory(uri, options ?? ({} as O));
  }

  /** The registered schemes, sorted (the plain-path scheme shows as `''`). */
  schemes(): string[] {
    return [...this.entries.keys()].sort();
  }

  /** True when `scheme` has an entry. */
  has(scheme: string): boolean {
    return this.entries.has(scheme.toLowerCase());
  }

  /**
   * The factory for a URI's scheme.
   *
   * @throws MlflowError INVALID_PARAMETER_VALUE for an unknown scheme (listing the registered
   *   ones) or when a lazy entry's package is not installed (naming what to install).
   */
  async factoryFor(uri: string): Promise<F> {
    const scheme = getUriScheme(uri);
    const entry = this.entries.get(scheme);
    if (!entry) {
      const known = this.schemes().map((s) => `'${s}'`).join(', ');
      throw MlflowError.invalidParameter(
        `Could not find a registered ${this.kind} for: ${redactUri(uri)}. Currently registered schemes are: [${known}]`,
      );
    }
    if (entry.factory !== undefined) return entry.factory;
    const lazy = entry.lazy as LazyFactory<F>;
    try {
      entry.factory = await lazy.load();
      return entry.factory;
    } catch (err) {
      if (isMissingModule(err, lazy.packageName)) {
        throw MlflowError.invalidParameter(
          `The '${scheme}' ${this.kind} needs the package ${lazy.packageName}, which is not installed. ` +
            `Install it with: npm install ${lazy.packageName}`,
          { cause: err },
        );
      }
      throw err;
    }
  }
}

function isMissingModule(err: unknown, packageName: string): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
  return missing && typeof message === 'string' && message.includes(packageName);
}

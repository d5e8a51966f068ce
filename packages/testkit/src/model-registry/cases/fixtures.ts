import type { ErrorCode, KeyValue, ModelRegistryStore, ModelVersion, RegisteredModel } from '@mlstore/core';
import { expect } from 'vitest';
import { expectMlflowError } from '../../tracking/expect-error.js';
import type { ModelRegistryKitContext } from '../context.js';

/**
 * A client over REST reports an error as `<CODE>: <message>` (MLflow's RestException, our
 * RestStore): the code in front is allowed, the message itself must match whole.
 */
const CODE_PREFIX = '^(?:[A-Z_]+: )?';

/** A RegExp matching exactly `message` (the whole text). */
export function exactly(message: string): RegExp {
  return new RegExp(`${CODE_PREFIX}${escapeRegExp(message)}$`);
}

/** A RegExp matching messages that start with `message` (for texts ending in a Python set repr). */
export function startingWith(message: string): RegExp {
  return new RegExp(`${CODE_PREFIX}${escapeRegExp(message)}`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * Asserts `action` fails with MLflow's code and exact message (`message` is the whole text unless
 * a RegExp is given), and that the error carries the HTTP status of its code.
 */
export async function expectRegistryError(
  action: Promise<unknown> | (() => Promise<unknown> | unknown),
  code: ErrorCode,
  message: string | RegExp,
): Promise<Error> {
  const err = await expectMlflowError(action, code, typeof message === 'string' ? exactly(message) : message);
  const status = (err as Error & { httpStatus?: number }).httpStatus;
  const expected = { INVALID_PARAMETER_VALUE: 400, RESOURCE_ALREADY_EXISTS: 400, RESOURCE_DOES_NOT_EXIST: 404, INTERNAL_ERROR: 500, INVALID_STATE: 500 } as Partial<Record<ErrorCode, number>>;
  if (expected[code] !== undefined) expect(status, `HTTP status of ${code}`).toBe(expected[code]);
  return err;
}

/** `Registered Model with name=<n> not found` (404). */
export const rmNotFound = (name: string) => `Registered Model with name=${name} not found`;
/** `Model Version (name=<n>, version=<v>) not found` (404). */
export const mvNotFound = (name: string, version: string | number) => `Model Version (name=${name}, version=${version}) not found`;
/** `Registered Model (name=<n>) already exists.` (400). */
export const rmExists = (name: string) => `Registered Model (name=${name}) already exists.`;
/** The message of a version argument Python's `int()` refuses. */
export const notInteger = (v: string) => `Parameter 'version' must be an integer, got '${v}'.`;

/** Creates a uniquely named registered model (optionally with tags/description) and returns its name. */
export async function newModel(ctx: ModelRegistryKitContext, opts: { prefix?: string; tags?: KeyValue[]; description?: string } = {}): Promise<string> {
  const name = ctx.uniq(opts.prefix ?? 'rm');
  await ctx.store().createRegisteredModel(name, opts.tags, opts.description);
  return name;
}

/** An `s3://` source (accepted by every store without a run id). */
export const source = (suffix = 'model') => `s3://kit-bucket/${suffix}`;

/** Creates a version of `name` with an `s3://` source and returns it. */
export async function newVersion(ctx: ModelRegistryKitContext, name: string, extra: { tags?: KeyValue[]; description?: string; runId?: string; runLink?: string; src?: string } = {}): Promise<ModelVersion> {
  return ctx.store().createModelVersion({ name, source: extra.src ?? source(`${name}/v`), tags: extra.tags, description: extra.description, runId: extra.runId, runLink: extra.runLink });
}

/** Creates a model with `count` versions and returns its name. */
export async function modelWithVersions(ctx: ModelRegistryKitContext, count: number, prefix = 'rm'): Promise<string> {
  const name = await newModel(ctx, { prefix });
  for (let i = 0; i < count; i++) await newVersion(ctx, name);
  return name;
}

/** Tags as a plain object (order-free). */
export function tagMap(tags: readonly KeyValue[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.key, t.value]));
}

/** Aliases of a registered model as a plain object alias → version. */
export function aliasMap(rm: RegisteredModel): Record<string, string> {
  return Object.fromEntries(rm.aliases.map((a) => [a.alias, a.version]));
}

/** `[version, stage]` pairs sorted by version number, for order-free comparisons of latest versions. */
export function versionStages(mvs: readonly ModelVersion[]): [string, string][] {
  return [...mvs].sort((a, b) => Number(a.version) - Number(b.version)).map((m) => [m.version, m.current_stage]);
}

/** Every page of a registered-model search, following the tokens (bounded to catch a token loop). */
export async function allRegisteredModelPages(store: ModelRegistryStore, req: { filterString?: string; maxResults: number; orderBy?: string[] }): Promise<RegisteredModel[][]> {
  const pages: RegisteredModel[][] = [];
  let token: string | undefined;
  for (let i = 0; i < 100; i++) {
    const page = await store.searchRegisteredModels({ ...req, pageToken: token });
    pages.push(page.items);
    token = page.nextPageToken;
    if (!token) return pages;
  }
  throw new Error('paging did not end after 100 pages');
}

/** Every page of a model-version search, following the tokens (bounded to catch a token loop). */
export async function allModelVersionPages(store: ModelRegistryStore, req: { filterString?: string; maxResults: number; orderBy?: string[] }): Promise<ModelVersion[][]> {
  const pages: ModelVersion[][] = [];
  let token: string | undefined;
  for (let i = 0; i < 100; i++) {
    const page = await store.searchModelVersions({ ...req, pageToken: token });
    pages.push(page.items);
    token = page.nextPageToken;
    if (!token) return pages;
  }
  throw new Error('paging did not end after 100 pages');
}

/** Sleeps long enough for the millisecond clock to move on. */
export const tick = (ms = 3) => new Promise((r) => setTimeout(r, ms));

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isMlflowError } from '../errors.js';
import {
  canonicalStage,
  checkArchiveStage,
  isLatestAlias,
  isPromptTags,
  modelPromptClash,
  modelVersionNotFound,
  parseModelVersion,
  registeredModelExists,
  registeredModelNotFound,
  validateAliasName,
  validateModelName,
  validateModelVersionTag,
  validateRegisteredModelTag,
  validateRegistryTagKey,
} from './model-registry-validation.js';

/**
 * MLflow 3.18.0's own answers, recorded by fixtures/record-validation.py: every input of its corpus
 * run through MLflow's validators (and, for the archive check and the not-found / conflict texts,
 * through a real FileStore and SqlAlchemyStore), replayed here one `it` per case.
 */
type Input = string | null | { repeat: string; times: number; prefix: string; suffix: string };
type Outcome =
  | { ok: true; value?: string }
  | { ok: false; error_code: string; http_status: number; message: string }
  | { ok: false; python_exception: string; message: string };
type Flavour = 'SqlStore' | 'FileStore';
interface Fixture {
  mlflow_version: string;
  names: { input: Input; flavour: Flavour; param: 'name' | 'new_name'; outcome: Outcome }[];
  tag_keys: { key: Input; outcome: Outcome }[];
  rm_tags: { key: Input; value: Input; outcome: Outcome }[];
  mv_tags: { key: Input; value: Input; outcome: Outcome }[];
  aliases: { alias: Input; for_set: boolean; outcome: Outcome }[];
  latest: { alias: string; is_latest: boolean }[];
  versions: { input: { kind: 'str' | 'int' | 'float' | 'none'; value?: string | number }; outcome: Outcome }[];
  stages: { stage: string; outcome: Outcome }[];
  archive: { stage: string; archive: boolean; flavour: Flavour; outcome: Outcome }[];
  messages: {
    kind: 'registeredModelNotFound' | 'registeredModelExists' | 'modelVersionNotFound' | 'createClash';
    flavour: Flavour;
    name: string;
    version?: string;
    existing_tags?: string[];
    new_tags?: string[];
    outcome: Outcome;
  }[];
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/record-validation.json', import.meta.url), 'utf8')) as Fixture;

function expand(input: Input): string | null {
  if (input === null || typeof input === 'string') return input;
  return input.prefix + input.repeat.repeat(input.times) + input.suffix;
}

/** A short printable label for a case title. */
function label(input: Input | undefined): string {
  if (input === undefined) return 'undefined';
  if (input !== null && typeof input === 'object') return `${input.prefix}${JSON.stringify(input.repeat)}*${input.times}${input.suffix}`;
  return JSON.stringify(input);
}

/** Runs `fn`, compares what it throws (or that it did not) with MLflow's recorded outcome; returns its result. */
function expectOutcome<T>(fn: () => T, expected: Outcome): T | undefined {
  let result: T;
  try {
    result = fn();
  } catch (e) {
    if (!isMlflowError(e)) throw e;
    if (expected.ok) throw new Error(`MLflow accepted this, we raised ${e.errorCode}: ${e.message}`);
    if ('python_exception' in expected) {
      // MLflow lets these escape uncaught: the server answers 500.
      expect({ code: e.errorCode, status: e.httpStatus, message: e.message }).toEqual({
        code: 'INTERNAL_ERROR',
        status: 500,
        message: expected.message,
      });
    } else {
      expect({ code: e.errorCode, status: e.httpStatus, message: e.message }).toEqual({
        code: expected.error_code,
        status: expected.http_status,
        message: expected.message,
      });
    }
    return undefined;
  }
  expect(expected).toMatchObject({ ok: true });
  return result;
}

describe(`model-registry validation against MLflow ${fixture.mlflow_version}`, () => {
  it('covers the corpus the brief asks for', () => {
    const inputs = new Set<string>();
    for (const c of fixture.names) inputs.add(`name:${label(c.input)}`);
    for (const c of fixture.tag_keys) inputs.add(`key:${label(c.key)}`);
    for (const c of fixture.rm_tags) inputs.add(`value:${label(c.value)}`);
    for (const c of fixture.aliases) inputs.add(`alias:${label(c.alias)}`);
    for (const c of fixture.versions) inputs.add(`version:${c.input.kind}:${String(c.input.value)}`);
    for (const c of fixture.stages) inputs.add(`stage:${c.stage}`);
    expect(inputs.size).toBeGreaterThanOrEqual(200);
    for (const v of [' 3', '+3', '03', '1_0', '１２', '3.0', '0x3', '-1', '']) {
      expect(fixture.versions.some((c) => c.input.value === v)).toBe(true);
    }
  });

  describe('model names (§3.2)', () => {
    it.each(fixture.names.map((c) => [`${c.flavour} ${c.param} ${label(c.input)}`, c] as const))('%s', (_, c) => {
      const name = expand(c.input);
      expectOutcome(() => {
        expect(validateModelName(name, c.flavour, c.param)).toBe(name);
      }, c.outcome);
    });
    it('treats undefined as None', () => {
      expect(() => validateModelName(undefined, 'SqlStore')).toThrow("Missing value for required parameter 'name'.");
      expect(() => validateModelName(undefined, 'FileStore', 'new_name')).toThrow("Missing value for required parameter 'new_name'.");
    });
  });

  describe('tag keys for delete-tag (§3.3)', () => {
    it.each(fixture.tag_keys.map((c) => [label(c.key), c] as const))('%s', (_, c) => {
      expectOutcome(() => validateRegistryTagKey(expand(c.key)), c.outcome);
    });
  });

  describe('registered-model tags (§3.3)', () => {
    it.each(fixture.rm_tags.map((c) => [`${label(c.key)} = ${label(c.value)}`, c] as const))('%s', (_, c) => {
      expectOutcome(() => validateRegisteredModelTag(expand(c.key), expand(c.value)), c.outcome);
    });
  });

  describe('model-version tags (§3.3)', () => {
    it.each(fixture.mv_tags.map((c) => [`${label(c.key)} = ${label(c.value)}`, c] as const))('%s', (_, c) => {
      expectOutcome(() => validateModelVersionTag(expand(c.key), expand(c.value)), c.outcome);
    });
    it('treats an undefined value as None', () => {
      expect(() => validateModelVersionTag('k', undefined)).toThrow('Tag value cannot be None');
    });
  });

  describe('aliases (§3.4)', () => {
    it.each(fixture.aliases.map((c) => [`${c.for_set ? 'set' : 'get/delete'} ${label(c.alias)}`, c] as const))('%s', (_, c) => {
      expectOutcome(() => validateAliasName(expand(c.alias), c.for_set), c.outcome);
    });
    it.each(fixture.latest.map((c) => [c.alias, c.is_latest] as const))('isLatestAlias(%j) is %s', (alias, isLatest) => {
      expect(isLatestAlias(alias)).toBe(isLatest);
    });
  });

  describe('versions as Python int() (§3.5)', () => {
    it.each(fixture.versions.map((c) => [`${c.input.kind} ${JSON.stringify(c.input.value)}`, c] as const))('%s', (_, c) => {
      const { kind, value } = c.input;
      const input =
        kind === 'none' ? null : kind === 'float' && typeof value === 'string' ? Number(value.replace('inf', 'Infinity')) : value;
      const parsed = expectOutcome(() => parseModelVersion(input as string | number | null), c.outcome);
      // Python's exact integer, as JavaScript rounds it beyond 2^53.
      if (c.outcome.ok) expect(parsed).toBe(Number(c.outcome.value));
    });
    it('treats undefined as None', () => {
      expect(() => parseModelVersion(undefined)).toThrow("not 'NoneType'");
    });
  });

  describe('stages (§3.6)', () => {
    it.each(fixture.stages.map((c) => [c.stage, c] as const))('%j', (_, c) => {
      const result = expectOutcome(() => canonicalStage(c.stage), c.outcome);
      if (c.outcome.ok) expect(result).toBe(c.outcome.value);
    });
  });

  describe('archive_existing_versions with a non-active stage (§5.1)', () => {
    it.each(fixture.archive.map((c) => [`${c.flavour} ${JSON.stringify(c.stage)} archive=${c.archive}`, c] as const))('%s', (_, c) => {
      expectOutcome(() => checkArchiveStage(c.stage, canonicalStage(c.stage), c.archive), c.outcome);
    });
  });

  describe('not-found and conflict messages (§3.8)', () => {
    it.each(fixture.messages.map((c) => [`${c.flavour} ${c.kind} ${JSON.stringify(c.name)} ${c.version ?? ''}`, c] as const))('%s', (_, c) => {
      expectOutcome(() => {
        switch (c.kind) {
          case 'registeredModelNotFound':
            throw registeredModelNotFound(c.name);
          case 'registeredModelExists':
            throw registeredModelExists(c.name);
          case 'modelVersionNotFound':
            throw modelVersionNotFound(c.name, parseModelVersion(c.version));
          case 'createClash': {
            const existing = isPromptTags((c.existing_tags ?? []).map((key) => ({ key })));
            const created = isPromptTags((c.new_tags ?? []).map((key) => ({ key })));
            throw existing === created && !existing ? registeredModelExists(c.name) : modelPromptClash(c.name, existing, created);
          }
        }
      }, c.outcome);
    });
    it('modelPromptClash defaults to the other kind than the existing one', () => {
      expect(modelPromptClash('m', true).message).toContain("create a registered model with name 'm', but the name is already taken by a prompt.");
      expect(modelPromptClash('m', false).message).toContain("create a prompt with name 'm', but the name is already taken by a registered model.");
      expect(isPromptTags(undefined)).toBe(false);
      expect(isPromptTags([])).toBe(false);
    });
  });
});

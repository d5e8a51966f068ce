import { mkdir, mkdtemp, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createArtifactRepositoryRegistry, isMlflowError } from '@mlstore/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { LocalArtifactRepository } from './local-artifact-repository.js';
import { registerLocalArtifactRepository } from './register-local-artifact-repository.js';

const codeOf = async (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (isMlflowError(e) ? e.errorCode : String(e)));

describe('LocalArtifactRepository symlink containment', () => {
  let sandbox: string;
  let root: string;
  let outside: string;
  let repo: LocalArtifactRepository;
  beforeEach(async () => {
    sandbox = await mkdtemp(join(tmpdir(), 'mlstore-local-'));
    root = join(sandbox, 'root');
    outside = join(sandbox, 'outside');
    await mkdir(root);
    await mkdir(outside);
    await writeFile(join(outside, 'secret.txt'), 'secret');
    await symlink(outside, join(root, 'link-dir'));
    await symlink(join(outside, 'secret.txt'), join(root, 'link-file'));
    repo = new LocalArtifactRepository(root);
  });

  it('refuses reads, lists and downloads through a symlink leaving the root', async () => {
    expect(await codeOf(repo.openArtifact('link-file'))).toBe('INVALID_PARAMETER_VALUE');
    expect(await codeOf(repo.openArtifact('link-dir/secret.txt'))).toBe('INVALID_PARAMETER_VALUE');
    expect(await codeOf(repo.listArtifacts('link-dir'))).toBe('INVALID_PARAMETER_VALUE');
    expect(await codeOf(repo.downloadArtifacts('link-dir', await mkdtemp(join(tmpdir(), 'dst-'))))).toBe('INVALID_PARAMETER_VALUE');
  });

  it('refuses writes and deletes through such a symlink and touches nothing', async () => {
    expect(await codeOf(repo.writeArtifact('link-dir/new.txt', 'x'))).toBe('INVALID_PARAMETER_VALUE');
    expect(await codeOf(repo.writeArtifact('link-dir/secret.txt', 'x'))).toBe('INVALID_PARAMETER_VALUE');
    expect(await codeOf(repo.deleteArtifacts('link-dir/secret.txt'))).toBe('INVALID_PARAMETER_VALUE');
    expect(await codeOf(repo.deleteArtifacts('link-file'))).toBe('INVALID_PARAMETER_VALUE');
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
    await expect(stat(join(outside, 'new.txt'))).rejects.toThrow();
  });

  it("leaves symlinks that leave the root out of their parent's listing (no target type or size)", async () => {
    await writeFile(join(root, 'plain.txt'), 'p');
    expect(await repo.listArtifacts()).toEqual([{ path: 'plain.txt', is_dir: false, file_size: 1 }]);
  });

  it('errors carry no local path or Node text: a NUL in a path is INVALID_PARAMETER_VALUE', async () => {
    for (const p of ['a\0b', 'x/\0']) {
      const err = await repo.openArtifact(p).then(() => undefined, (e: unknown) => e as Error);
      expect(err && (err as { errorCode?: string }).errorCode).toBe('INVALID_PARAMETER_VALUE');
      expect(err?.message).not.toContain(sandbox);
    }
  });

  it('allows symlinks that stay inside the root', async () => {
    await writeFile(join(root, 'real.txt'), 'inside');
    await symlink(join(root, 'real.txt'), join(root, 'alias.txt'));
    const chunks: Buffer[] = [];
    for await (const c of await repo.openArtifact('alias.txt')) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('inside');
  });

  it('works when the root itself is reached through a symlink', async () => {
    await symlink(root, join(sandbox, 'root-link'));
    const viaLink = new LocalArtifactRepository(join(sandbox, 'root-link'));
    await viaLink.writeArtifact('a/b.txt', 'b');
    expect(await readFile(join(root, 'a', 'b.txt'), 'utf8')).toBe('b');
  });

  it('accepts top-level names starting with two dots', async () => {
    await repo.writeArtifact('..hidden', 'h');
    expect(await readFile(join(root, '..hidden'), 'utf8')).toBe('h');
  });

  it('opening a directory is INVALID_PARAMETER_VALUE', async () => {
    await mkdir(join(root, 'd'));
    expect(await codeOf(repo.openArtifact('d'))).toBe('INVALID_PARAMETER_VALUE');
  });

  it('writing below a file is INVALID_PARAMETER_VALUE, not an internal error, and keeps the file', async () => {
    await repo.writeArtifact('f', 'data');
    expect(await codeOf(repo.writeArtifact('f/child.txt', 'x'))).toBe('INVALID_PARAMETER_VALUE');
    expect(await readFile(join(root, 'f'), 'utf8')).toBe('data');
  });

  it('a non-local URI is refused', () => {
    expect(() => new LocalArtifactRepository('s3://bucket/x')).toThrow(/Not a local URI/);
  });
});

describe('registerLocalArtifactRepository', () => {
  it('serves plain paths and file: URIs', async () => {
    const registry = registerLocalArtifactRepository(createArtifactRepositoryRegistry());
    const dir = await mkdtemp(join(tmpdir(), 'mlstore-reg-'));
    const plain = await registry.resolve(dir);
    const uri = await registry.resolve(`file://${dir}`);
    expect(plain).toBeInstanceOf(LocalArtifactRepository);
    expect((uri as LocalArtifactRepository).rootDir).toBe(dir);
    expect(registry.schemes()).toEqual(expect.arrayContaining(['', 'file']));
  });
});

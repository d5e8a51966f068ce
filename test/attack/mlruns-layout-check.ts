/**
 * MLflow's `mlruns` layout as a whitelist: every file under a file store's root must sit where
 * MLflow 3.18 puts files. A write that stays inside the root but lands in the wrong folder (a
 * model id of `..` appending to `<experiment>/metrics/<key>`) breaks the store without touching a
 * canary; this check finds it.
 */
import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';

const EXP = String.raw`(?:\d+)`;
const RUN = String.raw`[0-9a-f]{32}`;
const MODEL = String.raw`m-[0-9a-f]{32}`;
const ANY = String.raw`[^/]+(?:/[^/]+)*`;
const ENTRY = String.raw`(?:meta\.yaml|\.mlstore\.lock|(?:metrics|params|tags|artifacts)/${ANY})`;
/** A trace folder (`<exp>/traces/<trace_id>/`): its info, one file per tag and metadata key, `<assessment_id>.yaml`s. */
const TRACE_ENTRY = String.raw`(?:trace_info\.yaml|(?:tags|request_metadata|artifacts)/${ANY}|assessments/[^/]+\.yaml)`;

const ALLOWED = new RegExp(
  '^(?:\\.trash/)?(?:' +
    [
      `${EXP}/meta\\.yaml`,
      `${EXP}/\\.mlstore\\.lock`,
      `${EXP}/tags/${ANY}`,
      `${EXP}/datasets/[0-9a-f]+/meta\\.yaml`,
      `${EXP}/models/${MODEL}/${ENTRY}`,
      `${EXP}/traces/[^/]+/${TRACE_ENTRY}`,
      `${EXP}/${RUN}/${ENTRY}`,
      `${EXP}/${RUN}/(?:inputs|outputs)/[^/]+/meta\\.yaml`,
      `models/${ANY}`,
    ].join('|') +
    ')$',
);

function files(dir: string, root: string, out: string[]): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    if (e.isDirectory()) files(full, root, out);
    // Split on the platform's separator only: on POSIX a backslash is part of a name (a trace id
    // `..\\x` is one folder, as in MLflow's FileStore), not a way out of it.
    else out.push(relative(root, full).split(sep).join('/'));
  }
  return out;
}

/** Files under `mlruns` that are not where MLflow puts files, plus meta.yaml files that do not parse. */
export function mlrunsLayoutProblems(mlruns: string): string[] {
  const problems: string[] = [];
  for (const rel of files(mlruns, mlruns, [])) {
    if (!ALLOWED.test(rel)) {
      problems.push(`unexpected file ${rel}`);
      continue;
    }
    if (rel.endsWith('meta.yaml')) {
      try {
        const meta: unknown = parse(readFileSync(join(mlruns, rel), 'utf8'));
        if (meta === null || typeof meta !== 'object') problems.push(`meta.yaml is not a mapping: ${rel}`);
      } catch (err) {
        problems.push(`meta.yaml does not parse: ${rel}: ${(err as Error).message}`);
      }
    }
  }
  return problems;
}

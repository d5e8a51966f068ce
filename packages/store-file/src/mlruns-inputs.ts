import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset, DatasetInput, Logger, LoggedModelInput, LoggedModelOutput, RunInputs, RunOutputs } from '@mlstore/core';
import { errno, isMissing, readTextIfExists, type FileIo } from './file-io.js';
import { DATASETS, INPUTS, META, OUTPUTS, readMeta } from './mlruns-meta.js';
import { pyYamlDump } from './py-yaml.js';

/** MLflow's ids: md5 of the concatenated UTF-8 strings, hex. */
export function md5Id(...parts: string[]): string {
  const h = createHash('md5');
  for (const p of parts) h.update(p, 'utf8');
  return h.digest('hex');
}

/** Dataset folder id (md5(name + digest)). */
export const datasetId = (d: Pick<Dataset, 'name' | 'digest'>): string => md5Id(d.name, d.digest);

function datasetMeta(d: Dataset): string {
  return pyYamlDump({
    digest: d.digest,
    name: d.name,
    profile: d.profile ?? null,
    schema: d.schema ?? null,
    source: d.source,
    source_type: d.source_type,
  });
}

// MLflow writes `destination_id` with the *source* id (a long-standing bug readers rely on): keep it.
function inputMeta(sourceType: 'DATASET' | 'MODEL', sourceId: string, tags: Record<string, string>): string {
  return pyYamlDump({ destination_id: sourceId, destination_type: 'RUN', source_id: sourceId, source_type: sourceType, tags });
}

function outputMeta(modelId: string, step: number): string {
  return pyYamlDump({
    destination_id: modelId,
    destination_type: 'MODEL_OUTPUT',
    source_id: modelId,
    source_type: 'RUN_OUTPUT',
    step,
    tags: {},
  });
}

/** Writes dataset inputs and model inputs of a run; existing inputs are left as they are (as MLflow). */
export async function writeRunInputs(
  io: FileIo,
  runDir: string,
  experimentDir: string,
  runId: string,
  datasets: readonly DatasetInput[],
  models: readonly LoggedModelInput[],
): Promise<void> {
  for (const input of datasets) {
    const id = datasetId(input.dataset);
    await io.createExclusive(join(experimentDir, DATASETS, id, META), datasetMeta(input.dataset));
    const tags = Object.fromEntries((input.tags ?? []).map((t) => [t.key, t.value]));
    await io.createExclusive(join(runDir, INPUTS, md5Id(id, runId), META), inputMeta('DATASET', id, tags));
  }
  for (const m of models) {
    await io.createExclusive(join(runDir, INPUTS, md5Id(m.model_id, runId), META), inputMeta('MODEL', m.model_id, {}));
  }
}

/** Writes model outputs of a run (one folder per model id; the first step recorded stays). */
export async function writeRunOutputs(io: FileIo, runDir: string, outputs: readonly LoggedModelOutput[]): Promise<void> {
  for (const o of outputs) await io.createExclusive(join(runDir, OUTPUTS, o.model_id, META), outputMeta(o.model_id, o.step ?? 0));
}

/** Sub-folders of `dir` in creation order (meta.yaml mtime, then name): inputs come back in the order they were logged. */
function entriesInOrder(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
  const time = (n: string): number => {
    try {
      return statSync(join(dir, n, META)).mtimeMs;
    } catch {
      return Number.POSITIVE_INFINITY;
    }
  };
  return names
    .map((n) => ({ n, t: time(n) }))
    .sort((a, b) => a.t - b.t || (a.n < b.n ? -1 : 1))
    .map((x) => x.n);
}

async function readYamlDict(path: string): Promise<Record<string, unknown> | undefined> {
  const text = await readTextIfExists(path);
  if (text === undefined) return undefined;
  try {
    return readMeta(text, path);
  } catch {
    return undefined;
  }
}

const s = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));

/** A dataset from its folder's meta.yaml. */
export async function readDataset(dir: string): Promise<Dataset | undefined> {
  const meta = await readYamlDict(join(dir, META));
  if (!meta) return undefined;
  const d: Dataset = { name: s(meta.name) ?? '', digest: s(meta.digest) ?? '', source_type: s(meta.source_type) ?? '', source: s(meta.source) ?? '' };
  const schema = s(meta.schema);
  const profile = s(meta.profile);
  if (schema !== undefined) d.schema = schema;
  if (profile !== undefined) d.profile = profile;
  return d;
}

/** Dataset and model inputs of a run; inputs whose dataset folder is missing are skipped with a warning (as MLflow). */
export async function readRunInputs(runDir: string, experimentDir: string, logger: Logger): Promise<RunInputs> {
  const out: RunInputs = { dataset_inputs: [], model_inputs: [] };
  for (const name of entriesInOrder(join(runDir, INPUTS))) {
    const meta = await readYamlDict(join(runDir, INPUTS, name, META));
    if (!meta) continue;
    const sourceId = s(meta.source_id) ?? '';
    if (meta.source_type === 'MODEL') {
      out.model_inputs.push({ model_id: sourceId });
    } else if (meta.source_type === 'DATASET') {
      const dataset = await readDataset(join(experimentDir, DATASETS, sourceId));
      if (!dataset) {
        logger.warn({ dataset: sourceId }, `Failed to find dataset with ID '${sourceId}' referenced as an input of a run. Skipping.`);
        continue;
      }
      const tags = meta.tags && typeof meta.tags === 'object' ? Object.entries(meta.tags as Record<string, unknown>) : [];
      out.dataset_inputs.push({ dataset, tags: tags.map(([key, value]) => ({ key, value: String(value) })) });
    }
  }
  return out;
}

/** Model outputs of a run. */
export async function readRunOutputs(runDir: string): Promise<RunOutputs> {
  const out: RunOutputs = { model_outputs: [] };
  for (const name of entriesInOrder(join(runDir, OUTPUTS))) {
    const meta = await readYamlDict(join(runDir, OUTPUTS, name, META));
    if (!meta || meta.destination_type !== 'MODEL_OUTPUT') continue;
    out.model_outputs.push({ model_id: s(meta.destination_id) ?? name, step: typeof meta.step === 'number' ? meta.step : 0 });
  }
  return out;
}

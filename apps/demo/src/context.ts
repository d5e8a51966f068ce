import { isMlflowError, type AbstractStore, type Logger } from '@mlstore/core';
import type { Registries } from './registries.js';

/** Where a command writes and what it runs with (process streams in the CLI, buffers in tests). */
export interface CommandContext {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** True when stderr is a terminal (progress bars instead of log lines). */
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  registries: Registries;
  /** The app logger (pino, to stderr). */
  logger: Logger;
  /** Changes the app logger's level (a pino level name); a no-op for loggers without levels. */
  setLogLevel(level: string): void;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
}

/** A command-line mistake: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Runs `parse` (a `node:util` parseArgs call), turning its errors into {@link UsageError}s. */
export function usageErrors<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** A comma-separated id list as `mlflow gc` splits it (`undefined` when absent or empty). */
export function idList(value: string | undefined): string[] | undefined {
  return value ? value.split(',') : undefined;
}

/** Writes one line. */
export function println(stream: NodeJS.WritableStream, line = ''): void {
  stream.write(`${line}\n`);
}

/** Opens a tracking store through the registry, logging where (credentials redacted by the registry's errors). */
export async function openStore(ctx: CommandContext, uri: string, defaultArtifactRoot?: string): Promise<AbstractStore> {
  const options = defaultArtifactRoot === undefined ? { logger: ctx.logger } : { logger: ctx.logger, defaultArtifactRoot };
  return ctx.registries.tracking.resolve(uri, options);
}

/** Exit code and message for a failure: MlflowErrors by code and message, anything else with its stack in the log. */
export function reportFailure(ctx: CommandContext, command: string, err: unknown): number {
  if (err instanceof UsageError) {
    println(ctx.stderr, `mlstore ${command}: ${err.message}`);
    return 2;
  }
  if (isMlflowError(err) && err.errorCode === 'CANCELLED') {
    println(ctx.stderr, `mlstore ${command}: interrupted.`);
    return 130;
  }
  if (isMlflowError(err)) {
    println(ctx.stderr, `mlstore ${command}: ${err.errorCode}: ${err.message}`);
    return 1;
  }
  ctx.logger.error({ err }, `${command} failed`);
  println(ctx.stderr, `mlstore ${command}: ${(err as Error)?.message ?? String(err)}`);
  return 1;
}

import { pino } from 'pino';
import { redactingLogger, type Logger } from '@mlstore/core';
import { println, type CommandContext } from './context.js';
import { prettyLogDestination } from './log-format.js';
import { defaultRegistries, type Registries } from './registries.js';

/** Help text of `mlstore`. */
export const USAGE = `Usage: mlstore <command> [options]

Commands:
  server    run MLflow's tracking server (REST API and artifact proxy) on mlstore's stores
  migrate   copy a whole tracking store into another (resumable, verified)
  gc        permanently delete deleted runs, logged models and experiments (mlflow gc)
  artifacts list, download and upload artifacts on any backend (mlflow artifacts)
  ui        install MLflow 3.18.0's web UI for 'mlstore server' (ui install), or show where it is

Run 'mlstore <command> --help' for a command's options.
Environment: LOG_LEVEL (pino level for the log on stderr, default info; the log is JSON lines,
or readable lines when stderr is a terminal; NO_COLOR turns their colours off).`;

/** What {@link main} runs with; every field defaults to the process's own. */
export interface MainOptions {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
  registries: Registries;
  logger: Logger;
  signal: AbortSignal;
}

/** Runs `mlstore <argv…>` and returns the exit code (0 ok, 1 failure, 2 usage, 130 interrupted). */
export async function main(argv: readonly string[], options: Partial<MainOptions> = {}): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const env = options.env ?? process.env;
  const isTTY = options.isTTY ?? Boolean((stderr as { isTTY?: boolean }).isTTY);
  // JSON lines for machines; on a terminal, lines shaped like `mlflow server`'s (uvicorn's) log.
  const destination = isTTY ? prettyLogDestination(stderr, !env['NO_COLOR']) : pino.destination({ dest: 2, sync: true });
  const base = options.logger ?? pino({ level: env['LOG_LEVEL'] ?? 'info', base: null }, destination);
  const ctx: CommandContext = {
    stdout,
    stderr,
    isTTY,
    env,
    registries: options.registries ?? defaultRegistries(),
    // Every line goes through redaction: store URIs, presigned URLs and driver errors may hold secrets.
    logger: redactingLogger(base),
    setLogLevel: (level) => {
      // pino's level is a setter; a logger without one keeps its own.
      if (typeof (base as { level?: unknown }).level === 'string') (base as { level: string }).level = level;
    },
    signal: options.signal ?? new AbortController().signal,
  };
  const [command, ...rest] = argv;
  // Each command's module loads when it runs: a server process holds none of the others' code
  // (migrate's progress bars, artifacts' transfers), as every loaded module stays in its memory.
  switch (command) {
    case 'server':
      return (await import('./commands/server.js')).runServer(rest, ctx);
    case 'migrate':
      return (await import('./commands/migrate.js')).runMigrate(rest, ctx);
    case 'gc':
      return (await import('./commands/gc.js')).runGc(rest, ctx, options.cwd ?? process.cwd());
    case 'artifacts':
      return (await import('./commands/artifacts.js')).runArtifacts(rest, ctx, options.cwd ?? process.cwd());
    case 'ui':
      return (await import('./commands/ui.js')).runUi(rest, ctx, options.cwd ?? process.cwd());
    case undefined:
    case 'help':
    case '-h':
    case '--help':
      println(command === undefined ? stderr : stdout, USAGE);
      return command === undefined ? 2 : 0;
    default:
      println(stderr, `mlstore: unknown command '${command}'.`);
      println(stderr, USAGE);
      return 2;
  }
}

import cluster, { type Worker } from 'node:cluster';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolvePoolOptions } from '@mlstore/store-sql/pool-options';
import { UsageError, type CommandContext } from '../context.js';

/** Worker → primary: the worker's server answers requests (its store is open). */
const READY = 'mlstore-server:ready';
/** Primary → worker: finish the requests in flight, close the stores and exit. */
const STOP = 'mlstore-server:stop';

/**
 * The number of server processes: `--workers`, else `MLSTORE_WORKERS`, else MLflow's
 * `MLFLOW_WORKERS`; 1 when none is set (MLflow's own default is 4 uvicorn workers).
 * @throws UsageError for anything but a whole number ≥ 1
 */
export function resolveWorkers(flag: string | undefined, env: NodeJS.ProcessEnv): number {
  const raw = flag ?? env['MLSTORE_WORKERS'] ?? env['MLFLOW_WORKERS'];
  if (raw === undefined || raw.trim() === '') return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--workers must be a whole number ≥ 1 (got '${raw}').`);
  return n;
}

/**
 * The environment of each of `count` workers: the SQL connection pool that MLflow's variables
 * describe (`MLFLOW_SQLALCHEMYSTORE_POOL_SIZE`, `…_MAX_OVERFLOW`; SQLAlchemy's 5 + 10 by default)
 * is the whole server's, divided among the workers (rounded up, at least one connection kept per
 * worker), so N workers hold about as many database connections as one process: 15 by default
 * (4 workers: 4 × (2 + 3) = 20), where `mlflow server`'s 4 workers may open 4 × 2 engines × 15 = 120
 * (PostgreSQL's default max_connections is 100, MariaDB's 151). Each worker's tracking store and
 * registry share its one pool.
 */
export function workerEnv(env: NodeJS.ProcessEnv, count: number): NodeJS.ProcessEnv {
  const { size, maxOverflow } = resolvePoolOptions({}, env);
  return {
    // Each worker accepts one connection per turn of its loop (libuv takes all that are pending
    // otherwise): the workers share the listening socket (see superviseWorkers), and without this
    // the first to wake takes every connection of a burst.
    UV_TCP_SINGLE_ACCEPT: '1',
    ...env,
    MLFLOW_SQLALCHEMYSTORE_POOL_SIZE: String(Math.ceil(size / count)),
    MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW: String(Math.ceil(maxOverflow / count)),
  };
}

/** True in a server process that `mlstore server --workers N` started. */
export const isServerWorker = (): boolean => cluster.isWorker;

/**
 * In a worker: `id` is its number (1, 2, … in start order; the log lines carry it), `ready()` tells the primary that requests are served; `stopped` is aborted when the
 * primary asks the worker to stop, when the primary is gone (its IPC channel closed), or with
 * `signal` (SIGINT/SIGTERM sent to the worker itself, e.g. Ctrl-C to the process group). `release()`
 * drops the IPC channel so that the process can exit.
 */
export function workerLifecycle(signal: AbortSignal): { id: number; stopped: AbortSignal; ready(): void; release(): void } {
  const controller = new AbortController();
  const onMessage = (m: unknown) => {
    if (m === STOP) controller.abort();
  };
  const onDisconnect = () => controller.abort();
  process.on('message', onMessage);
  process.on('disconnect', onDisconnect);
  return {
    id: cluster.worker?.id ?? 0,
    stopped: AbortSignal.any([signal, controller.signal]),
    ready: () => process.send?.(READY),
    release: () => {
      process.off('message', onMessage);
      process.off('disconnect', onDisconnect);
      if (process.connected) process.disconnect();
    },
  };
}

/**
 * `mlstore server --workers N` (N ≥ 2): N processes of this CLI serve the same port through
 * node:cluster (the workers accept from one shared listening socket); each
 * opens its own stores. The first worker starts alone — it binds the port (a taken port ends the
 * start, nothing created) and creates or upgrades the database — then the others start together.
 * A worker that dies later is logged and replaced. When `ctx.signal` aborts, every worker finishes
 * its requests in flight and exits; the exit code is then 0, or the first failed worker's.
 *
 * @returns the exit code: 0, or that of a worker that could not start (1 for a taken port)
 */
export async function superviseWorkers(count: number, args: readonly string[], ctx: CommandContext): Promise<number> {
  // The worker runs this CLI's built entry; from the TypeScript sources there is none to fork.
  const entry = fileURLToPath(new URL('../cli.js', import.meta.url));
  if (!existsSync(entry)) throw new UsageError(`--workers needs the built CLI (${entry} is missing).`);
  // The workers accept from the shared socket themselves, as uvicorn's workers do. With node:cluster's
  // default round robin the primary accepts and hands each connection over, and a connection handed
  // to a worker that dies before taking it stays open in the primary, unanswered, for good.
  // NODE_CLUSTER_SCHED_POLICY=rr restores round robin.
  if (!ctx.env['NODE_CLUSTER_SCHED_POLICY']) cluster.schedulingPolicy = cluster.SCHED_NONE;
  cluster.setupPrimary({ exec: entry, args: ['server', ...args] });
  const live = new Set<Worker>();
  let stopping = false;
  let failedStart: number | undefined;
  const exits: Promise<void>[] = [];
  const env = workerEnv(ctx.env, count);
  const fatal = new AbortController();

  const start = (): Promise<boolean> =>
    new Promise((resolve) => {
      const worker = cluster.fork(env);
      live.add(worker);
      let ready = false;
      worker.on('message', (m: unknown) => {
        if (m !== READY) return;
        ready = true;
        resolve(true);
      });
      exits.push(
        new Promise((exited) =>
          worker.once('exit', (code, signal) => {
            live.delete(worker);
            exited();
            if (!ready) {
              failedStart ??= code || 1;
              resolve(false);
            } else if (!stopping) {
              ctx.logger.error({ pid: worker.process.pid, code, signal }, 'a server worker exited; starting another');
              void start().then((ok) => {
                if (ok) return;
                ctx.logger.error('the replacement server worker did not start');
                // No process left to answer: end the server rather than hold connections unanswered.
                if (live.size === 0) fatal.abort();
              });
            }
          }),
        ),
      );
    });

  const stopAll = async () => {
    stopping = true;
    for (const worker of live) if (worker.isConnected()) worker.send(STOP);
    await Promise.all(exits);
  };

  if (await start()) await Promise.all(Array.from({ length: count - 1 }, start));
  if (failedStart !== undefined) {
    await stopAll();
    return failedStart;
  }
  ctx.logger.info({ workers: count, pids: [...live].map((w) => w.process.pid) }, `mlstore server: ${count} worker processes serving`);
  const stop = AbortSignal.any([ctx.signal, fatal.signal]);
  await new Promise<void>((resolve) => {
    if (stop.aborted) resolve();
    else stop.addEventListener('abort', () => resolve(), { once: true });
  });
  if (fatal.signal.aborted) {
    ctx.logger.error('no server worker is left running; stopping');
    await stopAll();
    return failedStart ?? 1;
  }
  ctx.logger.info('shutting down: the workers finish their requests in flight');
  await stopAll();
  ctx.logger.info('server stopped');
  return 0;
}

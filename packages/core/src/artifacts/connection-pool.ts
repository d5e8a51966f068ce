import { MlflowError } from '../errors.js';

/** How a {@link ConnectionPool} opens, checks and closes its connections. */
export interface ConnectionPoolOptions<T> {
  /** Opens one connection; rejects with the error callers should see (wrong password, host down…). */
  create(signal?: AbortSignal): Promise<T>;
  /** Closes one connection; errors are ignored. */
  destroy(conn: T): Promise<void> | void;
  /** Connections open at once (≥ 1). */
  max: number;
  /** Idle connections are closed after this many ms (default 30 s; 0 keeps them). */
  idleTimeoutMs?: number;
  /**
   * Whether a connection is still fit to reuse after `use` threw `error` with it. Default: it is
   * not (a failed connection is closed and the next call opens a new one).
   */
  reusableAfter?(error: unknown, conn: T): boolean;
  /** Whether an idle connection is still open (e.g. not closed by the server); default true. */
  isOpen?(conn: T): boolean;
}

interface Idle<T> {
  conn: T;
  timer: NodeJS.Timeout | undefined;
}

interface Waiter<T> {
  resolve(conn: T | undefined): void;
  reject(error: unknown): void;
}

/**
 * A bounded pool of reusable connections (SFTP sessions, FTP control connections): at most `max`
 * open, idle ones reused most-recently-used first and closed after `idleTimeoutMs`, a connection
 * that failed closed rather than reused, callers beyond `max` queued in order and cancellable by
 * their AbortSignal.
 */
export class ConnectionPool<T> {
  private readonly idle: Idle<T>[] = [];
  private readonly waiters: Waiter<T>[] = [];
  private open = 0;
  private closed = false;

  constructor(private readonly options: ConnectionPoolOptions<T>) {
    if (!(options.max >= 1)) throw MlflowError.invalidParameter(`a connection pool needs max >= 1, got ${options.max}`);
  }

  /** Connections open now (idle or in use). */
  get size(): number {
    return this.open;
  }

  /** Idle connections now. */
  get idleCount(): number {
    return this.idle.length;
  }

  /**
   * Runs `fn` with a connection from the pool and gives it back afterwards (or closes it when `fn`
   * threw and `reusableAfter` says it is not fit). `fn`'s result or error is returned as it is.
   */
  async use<R>(fn: (conn: T) => Promise<R>, signal?: AbortSignal): Promise<R> {
    const conn = await this.acquire(signal);
    let result: R;
    try {
      result = await fn(conn);
    } catch (error) {
      if (this.options.reusableAfter?.(error, conn) === true) this.release(conn);
      else this.discard(conn);
      throw error;
    }
    this.release(conn);
    return result;
  }

  /** Closes idle connections now, and every other one when it is given back; later calls fail. */
  async close(): Promise<void> {
    this.closed = true;
    const idle = this.idle.splice(0);
    for (const w of this.waiters.splice(0)) w.reject(closedError());
    await Promise.all(
      idle.map(async ({ conn, timer }) => {
        clearTimeout(timer);
        this.open--;
        await this.destroyQuietly(conn);
      }),
    );
  }

  private async acquire(signal?: AbortSignal): Promise<T> {
    for (;;) {
      if (this.closed) throw closedError();
      throwIfSignalled(signal);
      const reused = this.takeIdle();
      if (reused !== undefined) return reused.conn;
      if (this.open < this.options.max) {
        this.open++;
        try {
          return await this.options.create(signal);
        } catch (error) {
          this.open--;
          this.wakeOne(undefined);
          throw error;
        }
      }
      // Full: wait for a connection handed over, or for a free slot (undefined).
      const handed = await new Promise<T | undefined>((resolve, reject) => {
        const waiter: Waiter<T> = {
          resolve: (c) => {
            signal?.removeEventListener('abort', onAbort);
            resolve(c);
          },
          reject: (e) => {
            signal?.removeEventListener('abort', onAbort);
            reject(e);
          },
        };
        const onAbort = () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(abortedError(signal));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiters.push(waiter);
      });
      if (handed !== undefined) return handed;
    }
  }

  private takeIdle(): Idle<T> | undefined {
    for (;;) {
      const entry = this.idle.pop();
      if (entry === undefined) return undefined;
      clearTimeout(entry.timer);
      if (this.options.isOpen?.(entry.conn) ?? true) return entry;
      this.open--;
      void this.destroyQuietly(entry.conn);
    }
  }

  private release(conn: T): void {
    if (this.closed) {
      this.discard(conn);
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.resolve(conn);
      return;
    }
    const ms = this.options.idleTimeoutMs ?? 30_000;
    const entry: Idle<T> = { conn, timer: undefined };
    if (ms > 0) {
      entry.timer = setTimeout(() => {
        const i = this.idle.indexOf(entry);
        if (i < 0) return;
        this.idle.splice(i, 1);
        this.open--;
        void this.destroyQuietly(conn);
      }, ms);
      entry.timer.unref();
    }
    this.idle.push(entry);
  }

  private discard(conn: T): void {
    this.open--;
    void this.destroyQuietly(conn);
    this.wakeOne(undefined);
  }

  /** Tells the first waiter a slot is free (it then opens its own connection). */
  private wakeOne(conn: T | undefined): void {
    this.waiters.shift()?.resolve(conn);
  }

  private async destroyQuietly(conn: T): Promise<void> {
    try {
      await this.options.destroy(conn);
    } catch {
      // Closing a broken connection may fail; it is gone either way.
    }
  }
}

function closedError(): MlflowError {
  return new MlflowError('The connection pool is closed', 'INTERNAL_ERROR');
}

function abortedError(signal: AbortSignal | undefined): MlflowError {
  return new MlflowError('The operation was aborted', 'CANCELLED', { cause: signal?.reason });
}

function throwIfSignalled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError(signal);
}

import { describe, expect, it } from 'vitest';
import { ConnectionPool } from './connection-pool.js';

interface Conn {
  id: number;
  open: boolean;
}

function counting(max: number, extra: Partial<ConstructorParameters<typeof ConnectionPool<Conn>>[0]> = {}) {
  let made = 0;
  const destroyed: number[] = [];
  const pool = new ConnectionPool<Conn>({
    max,
    create: async () => ({ id: ++made, open: true }),
    destroy: (c) => {
      c.open = false;
      destroyed.push(c.id);
    },
    isOpen: (c) => c.open,
    ...extra,
  });
  return { pool, destroyed, made: () => made };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('ConnectionPool', () => {
  it('reuses one idle connection for sequential calls', async () => {
    const { pool, made } = counting(4);
    for (let i = 0; i < 5; i++) await pool.use(async (c) => c.id);
    expect(made()).toBe(1);
    expect(pool.size).toBe(1);
    await pool.close();
  });

  it('never opens more than max and queues the rest in order', async () => {
    const { pool, made } = counting(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        pool.use(async () => {
          running++;
          peak = Math.max(peak, running);
          await tick();
          order.push(i);
          running--;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(made()).toBe(2);
    expect(order.slice(0, 2).sort()).toEqual([0, 1]);
    await pool.close();
  });

  it('closes a connection whose call failed and opens a fresh one next time', async () => {
    const { pool, destroyed, made } = counting(1);
    await expect(pool.use(async () => Promise.reject(new Error('ECONNRESET')))).rejects.toThrow('ECONNRESET');
    expect(destroyed).toEqual([1]);
    expect(await pool.use(async (c) => c.id)).toBe(2);
    expect(made()).toBe(2);
    await pool.close();
  });

  it('keeps a connection when reusableAfter says the error was not the connection\'s', async () => {
    const { pool, destroyed } = counting(1, { reusableAfter: (e) => (e as Error).message === 'not found' });
    await expect(pool.use(async () => Promise.reject(new Error('not found')))).rejects.toThrow('not found');
    expect(destroyed).toEqual([]);
    expect(await pool.use(async (c) => c.id)).toBe(1);
    await pool.close();
  });

  it('drops idle connections the server closed', async () => {
    const { pool } = counting(2);
    const first = await pool.use(async (c) => c);
    first.open = false;
    expect(await pool.use(async (c) => c.id)).toBe(2);
    await pool.close();
  });

  it('lets a waiter open its own connection when a create fails, and reports the failure to its caller', async () => {
    let n = 0;
    const pool = new ConnectionPool<number>({
      max: 1,
      create: async () => {
        n++;
        await tick();
        if (n === 2) throw new Error('host down');
        return n;
      },
      destroy: () => {},
    });
    const a = pool.use(async () => {
      throw new Error('boom');
    });
    const b = pool.use(async (c) => c);
    const c = pool.use(async (x) => x);
    await expect(a).rejects.toThrow('boom');
    await expect(b).rejects.toThrow('host down');
    await expect(c).resolves.toBe(3);
    await pool.close();
  });

  it('cancels a queued caller with its AbortSignal (CANCELLED) without taking a slot', async () => {
    const { pool } = counting(1);
    let release!: () => void;
    const holder = pool.use(() => new Promise<void>((r) => (release = r)));
    await tick();
    const ac = new AbortController();
    const queued = pool.use(async () => 'never', ac.signal);
    ac.abort();
    await expect(queued).rejects.toMatchObject({ errorCode: 'CANCELLED' });
    release();
    await holder;
    expect(await pool.use(async (c) => c.id)).toBe(1);
    await pool.close();
  });

  it('closes idle connections after idleTimeoutMs', async () => {
    const { pool, destroyed } = counting(2, { idleTimeoutMs: 10 });
    await pool.use(async () => undefined);
    await new Promise((r) => setTimeout(r, 40));
    expect(destroyed).toEqual([1]);
    expect(pool.size).toBe(0);
    await pool.close();
  });

  it('close() closes idle connections, rejects waiters and refuses later calls', async () => {
    const { pool, destroyed } = counting(1);
    await pool.use(async () => undefined);
    await pool.close();
    expect(destroyed).toEqual([1]);
    await expect(pool.use(async () => undefined)).rejects.toThrow('closed');
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { until } from './wait.js';

/**
 * A private server process for fault tests (the shared one of `test/services/` is never touched):
 * started and waited for, frozen (`signal('SIGSTOP')`) and SIGKILLed mid-transfer, restarted with
 * the same command (so on the same port and data folder).
 */
export class ServerProcess {
  private proc: ChildProcess | undefined;

  /**
   * @param what the name used in the timeout message, e.g. `'the private moto_server'`.
   * @param command the executable, e.g. `process.execPath` or a cached binary.
   * @param args its arguments.
   * @param ready resolves true once the server answers; polled by {@link start} for up to 30 s.
   */
  constructor(
    readonly what: string,
    private readonly command: string,
    private readonly args: readonly string[],
    private readonly ready: () => Promise<boolean>,
  ) {}

  /**
   * Spawns the server (output discarded) and waits until `ready()` holds.
   *
   * @throws `timed out waiting for <what>` after 30 s.
   */
  async start(): Promise<void> {
    this.proc = spawn(this.command, [...this.args], { stdio: 'ignore' });
    await until(this.ready, 30_000, this.what);
  }

  /** True between `start()` and the process's exit. */
  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Sends `sig` (e.g. SIGSTOP to freeze it before a kill) to the process. */
  signal(sig: NodeJS.Signals): void {
    this.proc?.kill(sig);
  }

  /** SIGKILLs the process and waits for its exit (nothing when it is not running). */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc || !this.running) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  }
}

import { describe, it } from 'vitest';

/**
 * The house rule for suites that need a real server (started by `test/services/`): returns true
 * when `reachable`, so the caller declares its suites. Otherwise declares, under `title`, a case
 * that fails with `why` when `MLSTORE_REQUIRE_SERVICES=1` (CI), or else a loudly skipped suite
 * (its title carries `why`, and a line goes to stderr), and returns false.
 *
 * @param reachable whether the server answered (probe it before calling).
 * @param title the suite's name, e.g. `'artifact-s3 faults'`.
 * @param why what is missing and how to start it, e.g. `'moto is not reachable at …; start it with …'`.
 *
 * `MLSTORE_SKIP_SERVICES=1` (without `MLSTORE_REQUIRE_SERVICES=1`) skips the suite loudly even when
 * its server answers: CI's unit phases set it, as its integration phases run these suites.
 */
export function requireService(reachable: boolean, title: string, why: string): boolean {
  if (process.env.MLSTORE_SKIP_SERVICES === '1' && process.env.MLSTORE_REQUIRE_SERVICES !== '1') {
    // CI's unit phases: these suites run in its integration phases, against servers it waited for.
    return skipLoudly(title, 'MLSTORE_SKIP_SERVICES=1 (the integration profile runs it)');
  }
  if (reachable) return true;
  if (process.env.MLSTORE_REQUIRE_SERVICES === '1') {
    describe(title, () =>
      it('has its server (MLSTORE_REQUIRE_SERVICES=1)', () => {
        throw new Error(why);
      }),
    );
  } else {
    skipLoudly(title, why);
  }
  return false;
}

function skipLoudly(title: string, why: string): false {
  describe.skip(`${title} (SKIPPED: ${why})`, () => it('needs its server', () => {}));
  process.stderr.write(`[${title}] SKIPPING: ${why}\n`);
  return false;
}

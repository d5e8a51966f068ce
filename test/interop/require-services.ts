/**
 * The house rule for a cross-package suite on real services (MLflow's venv, an emulator, a server
 * from test/services/): when one is missing the suite says so loudly and skips, or, under
 * MLSTORE_REQUIRE_SERVICES=1 (set by CI), fails instead of skipping.
 */
import { describe, it } from 'vitest';

/** CI's switch: a missing service fails the run instead of skipping the suite. */
export const requireServices = process.env.MLSTORE_REQUIRE_SERVICES === '1';

export interface ServiceSuite {
  /** The prefix of the warning and the error, e.g. `s3-interop`. */
  tag: string;
  title: string;
  /** What the suite needs, e.g. `moto and the MLflow venv`: names the placeholder case. */
  needs: string;
  /** Whether the suite is meant to run here (its profile); a problem then fails under MLSTORE_REQUIRE_SERVICES=1. */
  enabled: boolean;
  /** Why it cannot run (a missing service, or the wrong profile), or null/undefined when it can. */
  problem: string | null | undefined;
}

/**
 * `describe(title, body)` when there is no problem. Otherwise, when the suite is enabled and
 * services are required, a failing case `has <needs> (MLSTORE_REQUIRE_SERVICES=1)` that names the
 * problem; else a warning on stderr and a skipped suite whose title carries the problem.
 */
export function describeWithServices(suite: ServiceSuite, body: () => void): void {
  const { tag, title, needs, problem } = suite;
  if (!problem) {
    describe(title, body);
  } else if (suite.enabled && requireServices) {
    describe(title, () =>
      it(`has ${needs} (MLSTORE_REQUIRE_SERVICES=1)`, () => {
        throw new Error(`[${tag}] ${problem}`);
      }),
    );
  } else {
    process.stderr.write(`[${tag}] SKIPPING: ${problem}\n`);
    describe.skip(`${title} (SKIPPED: ${problem})`, () => it(`needs ${needs}`, () => {}));
  }
}

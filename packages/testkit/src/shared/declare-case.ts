import { it } from 'vitest';

/** How a kit case is declared: its opt-out table, the opt-outs used so far, and a capability gate. */
export interface CaseDeclaration {
  /** `"<group> > <case>"`, the key of `skip`. */
  fullName: string;
  /** The vitest title. */
  title: string;
  /** Opt-outs by full name, each with its reason. */
  skip: Record<string, string> | undefined;
  /** Records which opt-outs matched, so unknown ones can fail the kit. */
  usedSkips: Set<string>;
  /** Returns why the backend cannot run the case (a missing capability), or undefined. */
  gate?: () => string | undefined;
  timeoutMs?: number;
}

/**
 * Declares one conformance case shared by both kits: skipped with its written reason when opted
 * out by name, skipped at run time when the backend lacks a capability, else run.
 */
export function declareCase(decl: CaseDeclaration, fn: () => Promise<unknown> | unknown): void {
  const reason = decl.skip?.[decl.fullName];
  if (reason !== undefined) {
    decl.usedSkips.add(decl.fullName);
    it.skip(`${decl.title} [skipped: ${reason}]`, () => {});
    return;
  }
  it(
    decl.title,
    async (testCtx) => {
      const why = decl.gate?.();
      if (why) {
        testCtx.skip(why);
        return;
      }
      await fn();
    },
    decl.timeoutMs,
  );
}

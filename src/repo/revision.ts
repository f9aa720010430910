/**
 * git revision suffixes (`HEAD~2`, `main^`, `v1.0^2`, `tag^{commit}`), which isomorphic-git's resolveRef
 * does not understand. Users type `--base HEAD~1` out of habit, so every ref argument accepts them.
 * `~` and `^` cannot appear in a ref name, so the first one starts the suffix.
 */
export interface RevisionStep {
  /** `~n`: n first-parent steps; `^n`: the n-th parent (n = 0 is the commit itself). */
  op: '~' | '^';
  n: number;
}

export interface RevisionSpec {
  base: string;
  steps: RevisionStep[];
}

/** Splits `main~2^2` into the ref `main` and its steps; undefined when the suffix is not valid git syntax. */
export function parseRevision(spec: string): RevisionSpec | undefined {
  const at = spec.search(/[~^]/);
  if (at < 0) return { base: spec, steps: [] };
  const base = spec.slice(0, at);
  if (base === '') return undefined;
  const steps: RevisionStep[] = [];
  const suffix = /\^\{commit\}|([~^])(\d*)/gy;
  let rest = spec.slice(at);
  suffix.lastIndex = 0;
  let consumed = 0;
  for (let m = suffix.exec(rest); m; m = suffix.exec(rest)) {
    consumed = suffix.lastIndex;
    if (m[0] === '^{commit}') continue;
    const op = m[1] as '~' | '^';
    steps.push({ op, n: m[2] === '' ? 1 : Number(m[2]) });
  }
  rest = rest.slice(consumed);
  return rest === '' ? { base, steps } : undefined;
}

/** Follows the steps from a commit; undefined when a step leaves the history (no such parent). */
export async function walkRevision(
  start: string,
  steps: readonly RevisionStep[],
  parentsOf: (oid: string) => Promise<readonly string[]>,
): Promise<string | undefined> {
  let oid = start;
  for (const step of steps) {
    if (step.op === '^') {
      if (step.n === 0) continue;
      const parent = (await parentsOf(oid))[step.n - 1];
      if (!parent) return undefined;
      oid = parent;
      continue;
    }
    for (let i = 0; i < step.n; i++) {
      const parent = (await parentsOf(oid))[0];
      if (!parent) return undefined;
      oid = parent;
    }
  }
  return oid;
}

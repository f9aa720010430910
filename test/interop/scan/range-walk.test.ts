/**
 * `llmcm scan --base B --head H` scans the commits of `git rev-list B..H`: walkRange follows git's
 * own range walk (newest first by committer date, with its clock-skew margin), so it must list
 * exactly what git lists, also on histories with merges, several roots and skewed dates.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitReader, walkRange } from '../../../src/scan/sources/git-source.js';

/** A commit of the generated DAG: earlier commits as parents (none: a root) and a committer time. */
interface GeneratedCommit {
  parents: number[];
  time: number;
}

const dag = fc
  .array(
    fc.record({
      parentPicks: fc.array(fc.nat(), { maxLength: 2 }),
      root: fc.oneof(
        { weight: 9, arbitrary: fc.constant(false) },
        { weight: 1, arbitrary: fc.constant(true) },
      ),
      // Mostly increasing times, sometimes far in the past or future (skewed clocks, rebases).
      skew: fc.oneof(
        { weight: 8, arbitrary: fc.integer({ min: 0, max: 300 }) },
        { weight: 2, arbitrary: fc.integer({ min: -100_000, max: 100_000 }) },
      ),
    }),
    { minLength: 2, maxLength: 40 },
  )
  .map((specs) =>
    specs.map((spec, i): GeneratedCommit => {
      const parents =
        i === 0 || spec.root ? [] : [...new Set(spec.parentPicks.map((p) => p % i))].slice(0, 2);
      if (i > 0 && parents.length === 0 && !spec.root) parents.push(i - 1);
      return { parents, time: 1_700_000_000 + i * 600 + spec.skew };
    }),
  );

describe('walkRange (scan --base/--head) against git rev-list', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'llmcm-range-walk-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('lists exactly the commits of `git rev-list BASE..HEAD` on generated histories (merges, roots, skewed dates)', async () => {
    let repoNumber = 0;
    await fc.assert(
      fc.asyncProperty(dag, fc.nat(), fc.nat(), async (commits, basePick, headPick) => {
        const repo = join(work, `r${repoNumber++}`);
        mkdirSync(repo);
        execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo });
        // One fast-import stream; every commit on its own ref so that none is unreachable.
        const stream = commits
          .map((c, i) => {
            const lines = [
              `commit refs/heads/c${i}`,
              `mark :${i + 1}`,
              `committer T <t@example.test> ${c.time} +0000`,
              'data 2',
              `${i}`,
            ];
            if (c.parents.length > 0) lines.push(`from :${c.parents[0]! + 1}`);
            for (const p of c.parents.slice(1)) lines.push(`merge :${p + 1}`);
            lines.push(`M 100644 inline f${i}.txt`, 'data 2', `${i}`);
            return `${lines.join('\n')}\n`;
          })
          .join('');
        execFileSync('git', ['fast-import', '--quiet'], { cwd: repo, input: stream });
        const oidOf = (i: number) =>
          execFileSync('git', ['rev-parse', `refs/heads/c${i}`], { cwd: repo })
            .toString()
            .trim();
        const base = oidOf(basePick % commits.length);
        const head = oidOf(headPick % commits.length);
        const theirs = execFileSync('git', ['rev-list', `${base}..${head}`], { cwd: repo })
          .toString()
          .split('\n')
          .filter(Boolean)
          .sort();
        const ours = (await walkRange(new GitReader(repo), [head], [base])).map((c) => c.sha).sort();
        expect(ours).toEqual(theirs);
        rmSync(repo, { recursive: true, force: true });
      }),
      {
        numRuns: Number(process.env.RANGE_WALK_RUNS ?? 60),
        seed: Number(process.env.RANGE_WALK_SEED ?? 20261127),
      },
    );
  });
});

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A scratch git repository made with the real git CLI (so isomorphic-git is tested against git's format). */
export interface TempRepo {
  dir: string;
  git(...args: string[]): string;
  /** Writes files and commits them; returns the commit id. */
  commit(files: Record<string, string | null>, message?: string, author?: string): string;
  remove(): void;
}

/** Creates a temp repo with one branch `main`. */
export function createTempRepo(prefix = 'llmcm-repo-'): TempRepo {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: dir,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'Ada',
        GIT_AUTHOR_EMAIL: 'ada@example.test',
        GIT_COMMITTER_NAME: 'Ada',
        GIT_COMMITTER_EMAIL: 'ada@example.test',
      },
    })
      .toString()
      .trim();
  git('init', '-q', '-b', 'main');
  let n = 0;
  return {
    dir,
    git,
    commit(files, message = `commit ${++n}`, author) {
      for (const [path, content] of Object.entries(files)) {
        const full = join(dir, path);
        if (content === null) rmSync(full, { force: true });
        else {
          mkdirSync(dirname(full), { recursive: true });
          writeFileSync(full, content);
        }
      }
      git('add', '-A');
      git('commit', '-q', '--allow-empty', '-m', message, ...(author ? [`--author=${author}`] : []));
      return git('rev-parse', 'HEAD');
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

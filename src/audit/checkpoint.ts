import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic-write.js';
import type { Repository } from '../repo/repository.js';

/**
 * The last record head llmcm saw per environment, kept in .git/llmcm/record-heads.json (local, never
 * pushed). If a later chain no longer contains that head, someone rewrote the record ref.
 */
export function readCheckpoint(repo: Repository): Record<string, string> {
  try {
    return JSON.parse(readFileSync(join(repo.gitdir, 'llmcm', 'record-heads.json'), 'utf8')) as Record<
      string,
      string
    >;
  } catch {
    return {};
  }
}

/** Remembers the current record head of an environment. */
export function writeCheckpoint(repo: Repository, environment: string, head: string): void {
  const dir = join(repo.gitdir, 'llmcm');
  mkdirSync(dir, { recursive: true });
  const current = readCheckpoint(repo);
  current[environment] = head;
  writeFileAtomic(join(dir, 'record-heads.json'), `${JSON.stringify(current, null, 2)}\n`);
}

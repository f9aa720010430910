import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Runs a tool (sops, age, the built CLI) in a suite's scratch folder with nothing of the caller's
 * environment but PATH: HOME is the folder and the age keys are the suite's key file.
 */
export function runInScratch(
  bin: string,
  args: string[],
  scratch: { dir: string; keyFile: string; cwd?: string },
): string {
  return execFileSync(bin, args, {
    cwd: scratch.cwd ?? scratch.dir,
    env: { PATH: process.env.PATH, HOME: scratch.dir, SOPS_AGE_KEY_FILE: scratch.keyFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  }).toString('utf8');
}

/** Writes `text` to `name` in the scratch folder and returns its path. */
export function writeInScratch(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

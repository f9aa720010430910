import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './tools.js';

const skippedLog = join(projectRoot, '.cache', 'skipped-suites.txt');

/** Clears the skip log before the run and prints every skipped suite, with its reason, after it. */
export default function setup(): () => void {
  rmSync(skippedLog, { force: true });
  return () => {
    if (!existsSync(skippedLog)) return;
    const lines = [...new Set(readFileSync(skippedLog, 'utf8').split('\n').filter(Boolean))];
    if (lines.length === 0) return;
    process.stderr.write(`\n${lines.length} suite(s) were skipped because a tool is missing:\n`);
    for (const line of lines) process.stderr.write(`  ${line}\n`);
  };
}

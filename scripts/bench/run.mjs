#!/usr/bin/env node
// `npm run bench [-- AREA...]`: runs scripts/bench/<area>.bench.mjs for each area (all by default).
// Each bench script prints a markdown section (a heading, a table of medians and ratios, and the
// command that reproduces it) on stdout; this runner appends the sections to BENCHMARKS.md under a
// dated heading with the machine description, so the file keeps the history of every run.
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const wanted = process.argv.slice(2);
const areas = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .map((f) => f.replace(/\.bench\.mjs$/, ''))
  .filter((a) => wanted.length === 0 || wanted.includes(a))
  .sort();
if (areas.length === 0) {
  console.error(`no benchmark matches ${wanted.join(', ')}`);
  process.exit(2);
}
const file = join(root, 'BENCHMARKS.md');
if (!existsSync(file)) {
  writeFileSync(
    file,
    '# Benchmarks\n\nAppended by `npm run bench` (one dated section per run; newest last). Every table gives medians,\n' +
      'the ratio against the reference tool measured in the same run, and the command that reproduces it.\n',
  );
}
const node = process.version;
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${node}`;
let sha = 'uncommitted';
try {
  sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim();
} catch {}
appendFileSync(file, `\n## Run of ${new Date().toISOString().slice(0, 16)}Z at ${sha} (${machine})\n`);
let failed = 0;
for (const area of areas) {
  process.stderr.write(`[bench] ${area}...\n`);
  try {
    const out = execFileSync(process.execPath, [join(here, `${area}.bench.mjs`)], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 * 1024 * 1024,
    });
    appendFileSync(file, `\n${out.toString().trim()}\n`);
  } catch (error) {
    failed++;
    appendFileSync(file, `\n### ${area}\n\nFAILED: ${String(error.message).split('\n')[0]}\n`);
  }
}
process.exit(failed ? 1 : 0);

import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

/** The project root (two levels above this file). */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const toolsBin = join(projectRoot, '.tools', 'bin');
const skippedLog = join(projectRoot, '.cache', 'skipped-suites.txt');

/** Reasons recorded by scripts/setup-test-env.sh for tools it could not install. */
function missingReasons(): Map<string, string> {
  const reasons = new Map<string, string>();
  const file = join(projectRoot, '.tools', 'missing.txt');
  if (!existsSync(file)) return reasons;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [name, reason] = line.split('\t');
    if (name) reasons.set(name, reason ?? 'not installed');
  }
  return reasons;
}

/** Absolute path of a reference tool installed by the setup script, or undefined. */
export function toolPath(name: string): string | undefined {
  const path = join(toolsBin, name);
  return existsSync(path) ? path : undefined;
}

/**
 * A describe block that needs reference tools (sops, opa, gitleaks, servers...). When a tool is
 * missing the suite is not silently skipped: the skip and its reason are printed and logged for the
 * end-of-run summary, and under CI=true the suite fails instead.
 */
export function describeWithTools(tools: string[], title: string, body: () => void): void {
  const missing = tools.filter((t) => !toolPath(t));
  if (missing.length === 0) {
    describe(title, body);
    return;
  }
  const reasons = missingReasons();
  const why = missing.map((t) => `${t}: ${reasons.get(t) ?? 'not installed in .tools/bin'}`).join('; ');
  if (process.env.CI === 'true') {
    describe(title, () => {
      it(`requires ${missing.join(', ')}`, () => {
        throw new Error(`required tool missing under CI=true — ${why}`);
      });
    });
    return;
  }
  const line = `SKIPPED suite "${title}" — ${why}`;
  process.stderr.write(`${line}\n`);
  mkdirSync(dirname(skippedLog), { recursive: true });
  appendFileSync(skippedLog, `${line}\n`);
  describe.skipIf(true)(title, body);
}

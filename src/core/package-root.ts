import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageName = 'llm-config-manager';
let cached: string | undefined;

/**
 * The folder of llmcm's own package.json (where schemas/ and dist/ live). Found by walking up from
 * this module, because the same code runs from src/ (tests), dist/ (tsc) and dist/cli/chunks/ (the
 * bundled CLI), each at a different depth.
 */
export function packageRoot(): string {
  if (cached) return cached;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === packageName) {
          cached = dir;
          return dir;
        }
      } catch {
        // An unreadable package.json on the way up is not ours; keep walking.
      }
    }
    if (dirname(dir) === dir)
      throw new Error(`cannot find the ${packageName} package root above ${import.meta.url}`);
  }
}

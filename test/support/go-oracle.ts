import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './tools.js';

/**
 * Builds a small Go program that answers questions with a reference implementation's own code
 * (Go's regexp, sops' YAML store) into .cache/<cacheName>/ and returns the binary's path. The Go
 * toolchain fetches the pinned modules through the module proxy on first use.
 */
export function buildGoOracle(sourceDir: string, cacheName: string, binaryName: string): string {
  const dir = join(projectRoot, '.cache', cacheName);
  mkdirSync(dir, { recursive: true });
  const binary = join(dir, binaryName);
  execFileSync('go', ['build', '-o', binary, '.'], {
    cwd: sourceDir,
    env: { ...process.env, GOFLAGS: '-mod=mod' },
  });
  return binary;
}

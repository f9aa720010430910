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

/** Sends one JSON request per line to an oracle and reads one JSON answer per line back. */
export function askGoOracle<T>(binary: string, requests: readonly unknown[]): T[] {
  const out = execFileSync(binary, {
    input: `${requests.map((r) => JSON.stringify(r)).join('\n')}\n`,
    maxBuffer: 1 << 30,
  });
  return out
    .toString()
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as T);
}

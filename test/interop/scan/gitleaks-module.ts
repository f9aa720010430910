import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The gitleaks version installed by scripts/setup-test-env.sh. */
export const GITLEAKS_VERSION = 'v8.30.1';

/** gitleaks' own default config, read from the Go module cache (never copied into this repo). */
export function gitleaksDefaultConfigPath(): string | undefined {
  let modCache = process.env.GOMODCACHE;
  if (!modCache) {
    try {
      modCache = execFileSync('go', ['env', 'GOMODCACHE'], { stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim();
    } catch {
      modCache = join(homedir(), 'go', 'pkg', 'mod');
    }
  }
  const path = join(
    modCache,
    'github.com',
    'zricethezav',
    'gitleaks',
    `v8@${GITLEAKS_VERSION}`,
    'config',
    'gitleaks.toml',
  );
  return existsSync(path) ? path : undefined;
}

import * as fs from 'node:fs';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import git from 'isomorphic-git';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { LlmcmError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { packageRoot } from '../../core/package-root.js';
import { booleanOption, type CommandSpec, stringOption } from '../command.js';

/** Marks hooks we wrote, so re-installing ours is never "clobbering". */
const MARKER = '# installed by `llmcm hooks install`';

function hookScript(): string {
  // The CLI that installs the hook is the one it runs when `llmcm` is not on PATH.
  const mainJs = join(packageRoot(), 'dist', 'cli', 'main.js');
  return [
    '#!/bin/sh',
    MARKER,
    '# Scans the lines being committed for secrets; exit 1 (leaks) or 2 (error) stops the commit.',
    '# Bypass once with: git commit --no-verify',
    'if command -v llmcm >/dev/null 2>&1; then',
    '  exec llmcm scan --staged',
    'fi',
    `exec node '${mainJs.replaceAll("'", "'\\''")}' scan --staged`,
    '',
  ].join('\n');
}

/** `llmcm hooks install`: a pre-commit hook running `llmcm scan --staged`. */
export const hooksInstallCommand: CommandSpec = {
  name: 'hooks install',
  summary: 'install a git pre-commit hook that runs `llmcm scan --staged`',
  usage: 'hooks install [--force] [--dir DIR]',
  details: [
    'Writes .git/hooks/pre-commit (or into core.hooksPath when set). An existing hook that llmcm did',
    'not write is left alone unless --force is given; it is then kept as pre-commit.bak.',
  ].join('\n'),
  options: {
    force: { type: 'boolean', description: 'replace an existing pre-commit hook (kept as pre-commit.bak)' },
    dir: { type: 'string', description: 'repository root (default: current directory)', valueName: 'DIR' },
  },
  maxArgs: 0,
  async run(context) {
    const root = resolve(context.cwd, stringOption(context, 'dir') ?? '.');
    let gitRoot: string;
    try {
      gitRoot = await git.findRoot({ fs, filepath: root });
    } catch {
      throw new LlmcmError(`${root} is not inside a git repository`, {
        code: 'HOOKS_NOT_A_REPO',
        kind: 'usage',
        hint: 'run it in your config repo (git init first)',
      });
    }
    const configured = await git
      .getConfig({ fs, dir: gitRoot, path: 'core.hooksPath' })
      .catch(() => undefined);
    const hooksDir =
      typeof configured === 'string' && configured !== ''
        ? isAbsolute(configured)
          ? configured
          : join(gitRoot, configured)
        : join(gitRoot, '.git', 'hooks');
    fs.mkdirSync(hooksDir, { recursive: true });
    const hook = join(hooksDir, 'pre-commit');
    if (existsSync(hook)) {
      const current = readFileSync(hook, 'utf8');
      if (!current.includes(MARKER)) {
        if (!booleanOption(context, 'force')) {
          throw new LlmcmError(`a pre-commit hook already exists at ${hook}`, {
            code: 'HOOK_EXISTS',
            kind: 'usage',
            file: hook,
            hint: 'add `llmcm scan --staged` to it yourself, or rerun with --force (the old hook is kept as pre-commit.bak)',
          });
        }
        copyFileSync(hook, `${hook}.bak`);
      }
    }
    writeFileAtomic(hook, hookScript(), { mode: 0o755 });
    fs.chmodSync(hook, 0o755);
    context.stdout.write(`installed ${hook} (runs: llmcm scan --staged)\n`);
    return ExitCode.ok;
  },
};

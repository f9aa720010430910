import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import git from 'isomorphic-git';
import { LlmcmError } from '../core/errors.js';
import type { CommitSigner } from './commits.js';
import type { Repository } from './repository.js';

/** A signer plus the key it signs with, as git's configuration names them. */
export interface ConfiguredSigner {
  onSign: CommitSigner;
  signingKey: string;
  format: 'ssh' | 'openpgp';
}

function signWithSsh(payload: string, keyFile: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'llmcm-sign-'));
  try {
    const file = join(dir, 'payload');
    writeFileSync(file, payload);
    execFileSync('ssh-keygen', ['-Y', 'sign', '-n', 'git', '-f', keyFile, file], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    return readFileSync(`${file}.sig`, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function signWithGpg(payload: string, key: string): string {
  return execFileSync('gpg', ['--batch', '--yes', '--detach-sign', '--armor', '-u', key], {
    input: payload,
    stdio: ['pipe', 'pipe', 'pipe'],
  }).toString('utf8');
}

/**
 * Signs commits the way `git commit -S` would with this repository's configuration: `gpg.format`
 * (`ssh` → `ssh-keygen -Y sign -n git`, else `gpg --detach-sign --armor`) and `user.signingkey`.
 * isomorphic-git calls it through its onSign hook; `git verify-commit` accepts the result.
 */
export async function createConfiguredSigner(repo: Repository): Promise<ConfiguredSigner> {
  const base = { fs, dir: repo.dir, gitdir: repo.gitdir };
  const key = (await git.getConfig({ ...base, path: 'user.signingkey' })) as string | undefined;
  if (!key) {
    throw new LlmcmError('signing was asked for, but git has no user.signingkey', {
      code: 'SIGNING_KEY_MISSING',
      kind: 'config',
      hint: "set it with 'git config user.signingkey <key id or ssh key file>' (and gpg.format ssh for ssh keys)",
    });
  }
  const format = (await git.getConfig({ ...base, path: 'gpg.format' })) === 'ssh' ? 'ssh' : 'openpgp';
  const onSign: CommitSigner = async ({ payload, secretKey }) => {
    try {
      return {
        signature: format === 'ssh' ? signWithSsh(payload, secretKey) : signWithGpg(payload, secretKey),
      };
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString().split('\n')[0] ?? '';
      throw new LlmcmError(
        `signing with ${format === 'ssh' ? 'ssh-keygen' : 'gpg'} failed${stderr ? `: ${stderr}` : ''}`,
        {
          code: 'SIGNING_FAILED',
          kind: 'config',
          hint: 'check user.signingkey and that the key is usable without a prompt',
          cause: error,
        },
      );
    }
  };
  return { onSign, signingKey: key, format };
}

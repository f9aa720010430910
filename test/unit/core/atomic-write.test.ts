import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../../src/core/atomic-write.js';
import { LlmcmError } from '../../../src/core/errors.js';

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'llmcm-atomic-'));
}

describe('writeFileAtomic', () => {
  it('replaces a file whole and leaves no temp file behind', () => {
    const dir = scratch();
    const file = join(dir, 'a.yaml');
    writeFileSync(file, 'old');
    writeFileAtomic(file, 'new');
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['a.yaml']);
  });

  it('creates new files with the requested mode and keeps the mode of an existing file', () => {
    const dir = scratch();
    const secret = join(dir, 'secret.json');
    writeFileAtomic(secret, '{}', { mode: 0o600 });
    expect(statSync(secret).mode & 0o777).toBe(0o600);
    const shared = join(dir, 'shared.yaml');
    writeFileSync(shared, 'x');
    chmodSync(shared, 0o640);
    writeFileAtomic(shared, 'y');
    expect(statSync(shared).mode & 0o777).toBe(0o640);
  });

  it('writes through a symlink to its target and keeps the link', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'target.yaml'), 'old');
    symlinkSync('target.yaml', join(dir, 'link.yaml'));
    writeFileAtomic(join(dir, 'link.yaml'), 'new');
    expect(lstatSync(join(dir, 'link.yaml')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dir, 'link.yaml'))).toBe('target.yaml');
    expect(readFileSync(join(dir, 'target.yaml'), 'utf8')).toBe('new');
  });

  it('creates the target of a dangling symlink instead of replacing the link', () => {
    const dir = scratch();
    symlinkSync('later.yaml', join(dir, 'link.yaml'));
    writeFileAtomic(join(dir, 'link.yaml'), 'v');
    expect(lstatSync(join(dir, 'link.yaml')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'later.yaml'), 'utf8')).toBe('v');
  });

  it('writes into a FIFO instead of renaming a plaintext file over it', async () => {
    const dir = scratch();
    const fifo = join(dir, 'out.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    // A reader in another process; opening the FIFO for writing blocks until it has opened it.
    const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'inherit'] });
    let received = '';
    reader.stdout.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
    });
    const closed = new Promise<void>((done) => reader.on('close', () => done()));
    writeFileAtomic(fifo, 'through the pipe');
    await closed;
    expect(received).toBe('through the pipe');
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('never swaps a character device for a file (writes to /dev/null in place)', () => {
    writeFileAtomic('/dev/null', 'discarded');
    expect(lstatSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('refuses a directory and an unwritable location with a one-line error, leaving the original', () => {
    const dir = scratch();
    expect(() => writeFileAtomic(dir, 'x')).toThrow(LlmcmError);
    const file = join(dir, 'keep.yaml');
    writeFileSync(file, 'original');
    expect(() => writeFileAtomic(join(dir, 'missing', 'x.yaml'), 'x')).toThrow(/cannot write .*ENOENT/);
    expect(readFileSync(file, 'utf8')).toBe('original');
  });
});

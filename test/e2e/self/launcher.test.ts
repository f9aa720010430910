import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../support/tools.js';

const demoKey = join(projectRoot, 'test', 'fixtures', 'demo-age-key.txt');
const recipient = /public key: (age1[0-9a-z]+)/.exec(readFileSync(demoKey, 'utf8'))![1]!;

/** A private copy of the build, so that these tests can remove and damage its code cache. */
function copyOfBuild(): { launcher: string; mainJs: string; cache: string } {
  const root = mkdtempSync(join(tmpdir(), 'llmcm-launcher-'));
  cpSync(join(projectRoot, 'dist'), join(root, 'dist'), { recursive: true });
  cpSync(join(projectRoot, 'package.json'), join(root, 'package.json'));
  symlinkSync(join(projectRoot, 'node_modules'), join(root, 'node_modules'));
  const cli = join(root, 'dist', 'cli');
  return {
    launcher: join(cli, 'launch.cjs'),
    mainJs: join(cli, 'main.js'),
    cache: join(cli, 'sops-main.cjs.v8-cache'),
  };
}

function run(entry: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [entry, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, SOPS_AGE_KEY_FILE: demoKey, SOPS_AGE_RECIPIENTS: recipient, ...env },
  });
}

/** Runs `args` through the launcher and through main.js: stdout, stderr and exit code must be equal. */
function expectSameAsMainJs(
  build: { launcher: string; mainJs: string },
  args: string[],
  cwd: string,
  normalise: (stdout: string) => string = (x) => x,
) {
  const a = run(build.launcher, args, cwd);
  const b = run(build.mainJs, args, cwd);
  expect({ args, out: normalise(a.stdout), err: a.stderr, code: a.status }).toEqual({
    args,
    out: normalise(b.stdout),
    err: b.stderr,
    code: b.status,
  });
}

describe('the llmcm launcher (package bin)', () => {
  let build: ReturnType<typeof copyOfBuild>;
  let work: string;
  beforeAll(() => {
    build = copyOfBuild();
    work = mkdtempSync(join(tmpdir(), 'llmcm-launcher-work-'));
    writeFileSync(
      join(work, 'app.yaml'),
      '# models\nmodels:\n  default: gpt-4o\n  fallbacks:\n    - claude-3-5-sonnet\n    - gemini-1.5-pro\napi_key: sk-launcher-canary-0123456789\nbudget: 12.5\n',
    );
  });

  it('ships a code cache made by the build for each bundle', () => {
    for (const bundle of ['sops-main.cjs', 'check-main.cjs', 'scan-main.cjs']) {
      const cache = join(projectRoot, 'dist', 'cli', `${bundle}.v8-cache`);
      expect(existsSync(cache), bundle).toBe(true);
      expect(statSync(cache).size, bundle).toBeGreaterThan(10_000);
      // Pure ASCII (see escapeNonAscii in bundle-cli.mjs): the launcher reads it as latin1, which
      // would garble any other character.
      expect(
        /[^\u0000-\u007f]/.test(readFileSync(join(projectRoot, 'dist', 'cli', bundle), 'utf8')),
        bundle,
      ).toBe(false);
    }
  });

  it('stamps each bundle that holds the regex translator with its own sha256 (the translation cache key)', () => {
    // translatorVersion keys the on-disk translation cache with it: the stamp must be the hash of
    // the bundle as built (with the placeholder in place), so any change of the bundle changes it.
    const placeholder = 'llmcm-bundle-sha256-placeholder'.padEnd(64, '_');
    const chunks = readdirSync(join(projectRoot, 'dist', 'cli', 'chunks')).map((n) => join('chunks', n));
    const stamped = ['scan-main.cjs', 'check-main.cjs', 'sops-main.cjs', 'main.js', ...chunks].filter(
      (name) => {
        const text = readFileSync(join(projectRoot, 'dist', 'cli', name), 'latin1');
        expect(text.includes(placeholder), name).toBe(false);
        const ids = [...new Set(text.match(/[0-9a-f]{64}/g) ?? [])].filter(
          (id) =>
            createHash('sha256').update(text.replaceAll(id, placeholder), 'latin1').digest('hex') === id,
        );
        expect(ids.length, name).toBeLessThanOrEqual(1);
        return ids.length === 1;
      },
    );
    // The scan bundle and the ES-module chunk that hold the translator; nothing else.
    expect(stamped).toContain('scan-main.cjs');
    expect(stamped.filter((n) => n.startsWith('chunks/'))).toHaveLength(1);
  });

  it('gives the sops commands exactly the output, errors and exit codes of main.js', () => {
    const viaLauncher = run(build.launcher, ['encrypt', 'app.yaml'], work);
    expect(viaLauncher.status, viaLauncher.stderr).toBe(0);
    writeFileSync(join(work, 'app.enc.yaml'), viaLauncher.stdout);
    for (const args of [
      ['decrypt', 'app.enc.yaml'],
      ['--debug', 'decrypt', '--extract', '["models"]["fallbacks"][1]', 'app.enc.yaml'],
      ['filestatus', 'app.enc.yaml'],
      ['decrypt', 'missing.yaml'],
      ['decrypt', 'app.yaml'],
      ['encrypt', '--no-such-flag', 'app.yaml'],
      ['decrypt', '--help'],
    ]) {
      expectSameAsMainJs(build, args, work);
    }
    // And the plaintext really came back.
    expect(run(build.launcher, ['decrypt', 'app.enc.yaml'], work).stdout).toBe(
      readFileSync(join(work, 'app.yaml'), 'utf8'),
    );
  });

  it('runs check from its bundle with the same report as main.js', () => {
    const repo = mkdtempSync(join(tmpdir(), 'llmcm-launcher-check-'));
    for (const entry of ['environments', 'policies', 'schemas', 'llmcm.yaml', '.sops.yaml']) {
      cpSync(join(projectRoot, entry), join(repo, entry), { recursive: true });
    }
    for (const args of [
      ['check', '--format', 'json'],
      ['check', '--env', 'no-such-env'],
      ['check', '--help'],
    ]) {
      // Timings differ between runs; everything else must not.
      expectSameAsMainJs(build, args, repo, (text) =>
        text.replace(/"(durationMs|elapsedMs|generatedAt)":\s*[^,}\n]+/g, '"$1":0'),
      );
    }
  });

  it('runs scan from its bundle with the same report as main.js', () => {
    const repo = mkdtempSync(join(tmpdir(), 'llmcm-launcher-scan-'));
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.test', ...args], { cwd: repo });
    git('init', '-q');
    // A key-shaped value assembled at run time (this file holds none), then an edit.
    writeFileSync(
      join(repo, 'app.env'),
      `GITHUB_TOKEN=${['gh', 'p_'].join('')}${'x7Qk2Lm9Pz'.repeat(3)}ab12cd\n`,
    );
    git('add', '-A');
    git('commit', '-qm', 'add');
    writeFileSync(join(repo, 'app.env'), 'GITHUB_TOKEN=\nMODEL=gpt-4o\n');
    git('commit', '-qam', 'edit');
    for (const args of [
      ['scan', '--history', '--format', 'json'],
      ['scan', '.', '--format', 'sarif'],
      ['scan', '--history', '--base', 'no-such-ref'],
      ['scan', '--config', 'missing.toml', '.'],
      ['scan', '--help'],
    ]) {
      expectSameAsMainJs(build, args, repo, (text) =>
        text.replace(/"(durationMs|elapsedMs|generatedAt)":\s*[^,}\n]+/g, '"$1":0'),
      );
    }
    // The bundle really found the key (exit code 1), like main.js.
    expect(run(build.launcher, ['scan', '--history'], repo).status).toBe(1);
  });

  it('sends every other command to main.js', () => {
    for (const args of [['--version'], ['--help'], ['check', '--help'], ['no-such-command'], []]) {
      expectSameAsMainJs(build, args, work);
    }
  });

  it('starts from the cache each bundle ships with: V8 accepts it, so no run rewrites it', () => {
    const repo = mkdtempSync(join(tmpdir(), 'llmcm-launcher-accepted-'));
    execFileSync('git', ['init', '-q'], { cwd: repo });
    writeFileSync(join(repo, 'notes.txt'), 'nothing secret here\n');
    for (const [bundle, args, cwd] of [
      ['sops-main.cjs', ['filestatus', 'app.yaml'], work],
      ['check-main.cjs', ['check', '--help'], work],
      // scan sets a V8 flag while it runs; a cache written after that would not match a fresh start.
      ['scan-main.cjs', ['scan', '.'], repo],
    ] as const) {
      const cache = join(build.launcher, '..', `${bundle}.v8-cache`);
      const shipped = statSync(cache).mtimeMs;
      const result = run(build.launcher, [...args], cwd);
      expect(result.status, `${bundle}: ${result.stderr}`).toBe(0);
      expect(statSync(cache).mtimeMs, bundle).toBe(shipped);
    }
  });

  it('writes a missing cache on exit, then uses it without rewriting it', () => {
    rmSync(build.cache, { force: true });
    const first = run(build.launcher, ['--debug', 'decrypt', 'app.enc.yaml'], work);
    expect(first.status, first.stderr).toBe(0);
    expect(existsSync(build.cache)).toBe(true);
    // Compiled code only: the secret this run decrypted is nowhere in the cache it wrote.
    const cacheBytes = readFileSync(build.cache);
    for (const encoding of ['utf8', 'utf16le', 'latin1'] as const) {
      expect(cacheBytes.includes(Buffer.from('sk-launcher-canary-0123456789', encoding))).toBe(false);
    }
    const written = statSync(build.cache).mtimeMs;
    const again = run(build.launcher, ['filestatus', 'app.yaml'], work);
    expect(again.status).toBe(0);
    // Not rejected by V8, so not rewritten.
    expect(statSync(build.cache).mtimeMs).toBe(written);
  });

  it('survives a damaged cache: same output, and the cache is replaced', () => {
    writeFileSync(build.cache, Buffer.alloc(4096, 7));
    const r = run(build.launcher, ['decrypt', 'app.enc.yaml'], work);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(work, 'app.yaml'), 'utf8'));
    expect(readFileSync(build.cache).equals(Buffer.alloc(4096, 7))).toBe(false);
  });

  it('runs main.js when a bundle is missing from the build (same output)', () => {
    const bundle = join(build.cache, '..', 'sops-main.cjs');
    const saved = readFileSync(bundle);
    rmSync(bundle);
    try {
      const r = run(build.launcher, ['decrypt', 'app.enc.yaml'], work);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(readFileSync(join(work, 'app.yaml'), 'utf8'));
    } finally {
      writeFileSync(bundle, saved);
    }
  });

  it('works through a symlink, as npm installs the bin', () => {
    const binDir = mkdtempSync(join(tmpdir(), 'llmcm-launcher-bin-'));
    symlinkSync(build.launcher, join(binDir, 'llmcm'));
    const r = run(join(binDir, 'llmcm'), ['decrypt', 'app.enc.yaml'], work);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(readFileSync(join(work, 'app.yaml'), 'utf8'));
  });

  it('LLMCM_CODE_CACHE=off neither reads nor writes the cache', () => {
    rmSync(build.cache, { force: true });
    const r = run(build.launcher, ['decrypt', 'app.enc.yaml'], work, { LLMCM_CODE_CACHE: 'off' });
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(build.cache)).toBe(false);
  });

  it('runs normally when the cache cannot be written, and leaves no temp file', () => {
    rmSync(build.cache, { force: true });
    // A directory where the cache file should be: reading and renaming onto it both fail.
    mkdirSync(join(build.cache, 'occupied'), { recursive: true });
    const r = run(build.launcher, ['decrypt', 'app.enc.yaml'], work);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(work, 'app.yaml'), 'utf8'));
    const cliDir = join(build.cache, '..');
    expect(readdirSync(cliDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

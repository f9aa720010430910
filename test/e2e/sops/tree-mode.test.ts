import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../support/tools.js';

// The package bin: the sops commands run from the code-cached bundle (see src/cli/launch.cts).
const cli = join(projectRoot, 'dist', 'cli', 'launch.cjs');
const canary = 'CANARY-tree-5b1e-plaintext-never-printed';

/** Every file under a directory with its bytes, for "nothing changed" checks. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

describe('encrypt/decrypt tree mode (built CLI, one process for many files)', () => {
  let repo: string;
  let env: NodeJS.ProcessEnv;
  const plain: Record<string, string> = {
    'secrets/app.yaml': `# app\napi_key: ${canary}\nretries: 3\n`,
    'secrets/sub/db.json': '{\n    "password": "p4ss",\n    "port": 5432\n}\n',
    'secrets/sub/deep/.env': 'TOKEN=abc\nDEBUG=true\n',
    'secrets/simple.yaml': 'group:\n  key: value\n  n: 1.5\n',
  };

  const llmcm = (args: string[]) => {
    const r = spawnSync(process.execPath, [cli, ...args], { cwd: repo, env, encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).not.toContain(canary);
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  beforeAll(() => {
    if (!existsSync(cli)) execFileSync('npm', ['run', '-s', 'build'], { cwd: projectRoot, stdio: 'ignore' });
    repo = mkdtempSync(join(tmpdir(), 'llmcm-e2e-sops-tree-'));
    env = { PATH: process.env.PATH, HOME: repo, XDG_CONFIG_HOME: join(repo, '.xdg') };
    const keygen = spawnSync(process.execPath, [cli, 'keygen', '--output', 'keys/age.txt'], {
      cwd: repo,
      env,
      encoding: 'utf8',
    });
    expect(keygen.status).toBe(0);
    env.SOPS_AGE_KEY_FILE = join(repo, 'keys', 'age.txt');
    writeFileSync(
      join(repo, '.sops.yaml'),
      `creation_rules:\n  - path_regex: ^secrets/\n    age: ${keygen.stdout.trim()}\n`,
    );
    for (const [path, text] of Object.entries(plain)) {
      mkdirSync(join(repo, path, '..'), { recursive: true });
      writeFileSync(join(repo, path), text);
    }
    mkdirSync(join(repo, 'public'));
    writeFileSync(join(repo, 'public', 'settings.yaml'), 'model: gpt-4o\n');
    writeFileSync(join(repo, 'secrets', 'README.txt'), 'not a config file\n');
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  it('encrypt -i DIR encrypts exactly the files a creation rule matches, and a second run skips them', () => {
    const run = llmcm(['encrypt', '-i', '.']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/encrypted 4 file\(s\) in place/);
    for (const path of Object.keys(plain)) {
      const text = readFileSync(join(repo, path), 'utf8');
      expect(text, path).toMatch(/ENC\[AES256_GCM/);
      expect(text).not.toContain(canary);
    }
    expect(readFileSync(join(repo, 'public', 'settings.yaml'), 'utf8')).toBe('model: gpt-4o\n');
    expect(readFileSync(join(repo, 'secrets', 'README.txt'), 'utf8')).toBe('not a config file\n');
    const before = snapshot(join(repo, 'secrets'));
    const again = llmcm(['encrypt', '-i', 'secrets']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/encrypted 0 file\(s\).*4 skipped/);
    expect(snapshot(join(repo, 'secrets'))).toEqual(before);
  });

  it('decrypt --output-dir writes every sops file with the same relative layout, mode 0600', () => {
    const run = llmcm(['decrypt', '--output-dir', 'plain-out', 'secrets']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('');
    for (const path of Object.keys(plain)) {
      const out = join(repo, 'plain-out', path.replace(/^secrets\//, ''));
      expect(statSync(out).mode & 0o777, path).toBe(0o600);
      const text = readFileSync(out, 'utf8');
      if (path.endsWith('.json')) expect(JSON.parse(text)).toEqual(JSON.parse(plain[path]!));
      else expect(text, path).toBe(plain[path]);
    }
    // Files without sops metadata are not copied.
    expect(existsSync(join(repo, 'plain-out', 'README.txt'))).toBe(false);
  });

  it('explicit files work too, and several files are decrypted in place', () => {
    const run = llmcm(['decrypt', '-i', 'secrets/app.yaml', 'secrets/simple.yaml']);
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(repo, 'secrets/app.yaml'), 'utf8')).toBe(plain['secrets/app.yaml']);
    expect(readFileSync(join(repo, 'secrets/simple.yaml'), 'utf8')).toBe(plain['secrets/simple.yaml']);
    const back = llmcm(['encrypt', '-i', 'secrets/app.yaml', 'secrets/simple.yaml']);
    expect(back.code, back.stderr).toBe(0);
    expect(readFileSync(join(repo, 'secrets/app.yaml'), 'utf8')).toMatch(/ENC\[/);
  });

  it('one tampered file: every failing file is named, exit 3, and no file is written', () => {
    const target = join(repo, 'secrets', 'sub', 'db.json');
    const good = readFileSync(target, 'utf8');
    writeFileSync(
      target,
      good.replace(/data:([A-Za-z0-9+/])/, (_m, c: string) => `data:${c === 'A' ? 'B' : 'A'}`),
    );
    const before = snapshot(join(repo, 'secrets'));
    const run = llmcm(['decrypt', '-i', 'secrets']);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/secrets\/sub\/db\.json/);
    expect(run.stderr).toMatch(/1 of 4 file\(s\) failed.*no file was written/);
    expect(snapshot(join(repo, 'secrets'))).toEqual(before);
    const out = llmcm(['decrypt', '--output-dir', 'never', 'secrets']);
    expect(out.code).toBe(3);
    expect(existsSync(join(repo, 'never'))).toBe(false);
    writeFileSync(target, good);
  });

  it('one bad plaintext file: encrypt reports it with exit 2 and leaves every file as it was', () => {
    mkdirSync(join(repo, 'secrets', 'new'));
    writeFileSync(join(repo, 'secrets', 'new', 'ok.yaml'), `token: ${canary}\n`);
    writeFileSync(join(repo, 'secrets', 'new', 'dup.yaml'), 'a: 1\na: 2\n');
    const before = snapshot(join(repo, 'secrets'));
    const run = llmcm(['encrypt', '-i', 'secrets']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/secrets\/new\/dup\.yaml.*duplicate key/);
    expect(snapshot(join(repo, 'secrets'))).toEqual(before);
    rmSync(join(repo, 'secrets', 'new'), { recursive: true });
  });

  it('usage errors: a tree without -i/--output-dir, --extract or --output with a tree', () => {
    expect(llmcm(['decrypt', 'secrets']).code).toBe(2);
    expect(llmcm(['decrypt', '-i', '--output-dir', 'x', 'secrets']).code).toBe(2);
    expect(llmcm(['decrypt', '-i', '--extract', '["a"]', 'secrets']).code).toBe(2);
    expect(llmcm(['encrypt', 'secrets']).code).toBe(2);
    expect(llmcm(['encrypt', '-i', 'secrets', 'missing-dir']).code).toBe(2);
  });
});

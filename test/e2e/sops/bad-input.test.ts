import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../support/tools.js';

// The package bin: the sops commands run from the code-cached bundle (see src/cli/launch.cts).
const cli = join(projectRoot, 'dist', 'cli', 'launch.cjs');
const canary = 'CANARY-bad-input-5c1e-never-printed';

// Acceptance defects: bad paths for `set`, unwritable keygen outputs, broken key sources.
describe('llmcm sops bad input: one-line error, right exit code, file untouched', () => {
  let repo: string;
  let env: NodeJS.ProcessEnv;
  let keyFile: string;

  const llmcm = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync(process.execPath, [cli, ...args], {
      cwd: repo,
      env: { ...env, ...extraEnv },
      encoding: 'utf8',
      timeout: 20_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const expectOneLine = (r: { stdout: string; stderr: string }) => {
    // One error line; main.ts may add an indented `hint:` line.
    expect(
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('  hint: ')),
    ).toHaveLength(1);
    expect(r.stderr).toMatch(/^llmcm: error: /);
    expect(r.stderr + r.stdout).not.toContain(canary);
    expect(r.stderr).not.toMatch(/AGE-SECRET-KEY/);
  };

  beforeAll(() => {
    if (!existsSync(cli)) execFileSync('npm', ['run', '-s', 'build'], { cwd: projectRoot, stdio: 'ignore' });
    repo = mkdtempSync(join(tmpdir(), 'llmcm-e2e-sops-bad-'));
    env = { PATH: process.env.PATH, HOME: repo, XDG_CONFIG_HOME: join(repo, '.xdg') };
    const keygen = llmcm(['keygen', '--output', 'keys/age.txt']);
    expect(keygen.code, keygen.stderr).toBe(0);
    const recipient = keygen.stdout.trim();
    keyFile = join(repo, 'keys', 'age.txt');
    env.SOPS_AGE_KEY_FILE = keyFile;
    for (const [name, text] of [
      ['f.yaml', `app:\n  name: ${canary}\n  list:\n    - a\n    - b\n    - c\n  empty:\n`],
      ['f.json', `{\n  "app": {\n    "name": "${canary}",\n    "list": ["a", "b", "c"]\n  }\n}\n`],
    ] as const) {
      writeFileSync(join(repo, name), text);
      const r = llmcm(['encrypt', '-i', '--age', recipient, name]);
      expect(r.code, r.stderr).toBe(0);
    }
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  describe.each(['f.yaml', 'f.json'])('set on %s', (file) => {
    it.each([
      [
        'a path below a string',
        '["app"]["name"]["deeper"]',
        /^llmcm: error: f\.(yaml|json): cannot set \["app","name","deeper"\]: \["app","name"\] is a scalar/,
      ],
      [
        'a list index beyond the end',
        '["app"]["list"][99]',
        /cannot set \["app","list",99\]: list index 99 is out of range/,
      ],
      [
        'a key on a list',
        '["app"]["list"]["k"]',
        /cannot set \["app","list","k"\]: \["app","list"\] is a list, not a map/,
      ],
      ['an index on a map', '["app"][0]', /cannot set \["app",0\]: \["app"\] is a map, not a list/],
    ])('refuses %s (exit 2, names the path, file untouched)', (_name, path, message) => {
      const before = readFileSync(join(repo, file), 'utf8');
      const r = llmcm(['set', file, path, '1']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expectOneLine(r);
      expect(readFileSync(join(repo, file), 'utf8')).toBe(before);
    });

    it('index == length appends (sops semantics)', () => {
      const r = llmcm(['set', file, '["app"]["list"][3]', '"d"']);
      expect(r.code, r.stderr).toBe(0);
      const out = llmcm(['decrypt', '--extract', '["app"]["list"]', file]);
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout).toMatch(/d/);
      expect(out.stdout).not.toMatch(/null/);
    });
  });

  it('set through a null value replaces it with the new branch', () => {
    const r = llmcm(['set', 'f.yaml', '["app"]["empty"]["k"]', '"v"']);
    expect(r.code, r.stderr).toBe(0);
    const out = llmcm(['decrypt', '--extract', '["app"]["empty"]["k"]', 'f.yaml']);
    expect(out.stdout.trim()).toBe('v');
  });

  it.each([
    ['/dev/null/x', /not a directory/],
    ['f.yaml/x', /not a directory/],
    ['/proc/x/y', /cannot write the identity file/],
  ])('keygen --output %s → exit 2, one line, promptly', (output, message) => {
    const r = llmcm(['keygen', '--output', output]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expectOneLine(r);
  });

  describe('broken key sources are errors (exit 3), naming the source, never key material', () => {
    it.each([
      [
        'SOPS_AGE_KEY_FILE missing',
        { SOPS_AGE_KEY_FILE: '/nonexistent/keys.txt' },
        /SOPS_AGE_KEY_FILE \/nonexistent\/keys\.txt: cannot read/,
      ],
      [
        'SOPS_AGE_KEY_CMD failing',
        { SOPS_AGE_KEY_CMD: 'false' },
        /SOPS_AGE_KEY_CMD 'false': the command failed \(exit status 1\)/,
      ],
      [
        'SOPS_AGE_KEY garbage',
        { SOPS_AGE_KEY: `not-a-key-${canary}` },
        /SOPS_AGE_KEY: line 1 is not an age identity/,
      ],
    ])('%s', (_name, extra, message) => {
      const r = llmcm(['decrypt', 'f.yaml'], extra);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(message);
      expectOneLine(r);
    });

    it('a garbage SOPS_AGE_KEY_FILE names the file and the line, not its content', () => {
      const garbage = join(repo, 'garbage.txt');
      writeFileSync(
        garbage,
        `# comment\n${readFileSync(keyFile, 'utf8')
          .split('\n')
          .find((l) => l.startsWith('AGE-'))}\n${canary}\n`,
      );
      const r = llmcm(['decrypt', 'f.yaml'], { SOPS_AGE_KEY_FILE: garbage });
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/garbage\.txt: line 3 is not an age identity/);
      expectOneLine(r);
    });

    it('an absent default keys file is silent; a working explicit source still decrypts', () => {
      mkdirSync(join(repo, '.xdg'), { recursive: true });
      const r = llmcm(['decrypt', 'f.yaml']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
    });
  });
});

import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
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
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../support/tools.js';

// The package bin: the sops commands run from the code-cached bundle (see src/cli/launch.cts).
const cli = join(projectRoot, 'dist', 'cli', 'launch.cjs');
const canary = 'CANARY-7f3a9d-plaintext-never-printed';

describe('llmcm sops commands (built CLI in a temp git repo)', () => {
  let repo: string;
  let env: NodeJS.ProcessEnv;
  let recipient: string;

  const llmcm = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync(process.execPath, [cli, ...args], {
      cwd: repo,
      env: { ...env, ...extraEnv },
      encoding: 'utf8',
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  beforeAll(() => {
    if (!existsSync(cli)) execFileSync('npm', ['run', '-s', 'build'], { cwd: projectRoot, stdio: 'ignore' });
    repo = mkdtempSync(join(tmpdir(), 'llmcm-e2e-sops-'));
    execFileSync('git', ['init', '-q'], { cwd: repo });
    env = { PATH: process.env.PATH, HOME: repo, XDG_CONFIG_HOME: join(repo, '.xdg') };
    const keygen = llmcm(['keygen', '--output', 'keys/age.txt']);
    expect(keygen.code).toBe(0);
    recipient = keygen.stdout.trim();
    expect(recipient).toMatch(/^age1[0-9a-z]{58}$/);
    env.SOPS_AGE_KEY_FILE = join(repo, 'keys', 'age.txt');
    writeFileSync(
      join(repo, '.sops.yaml'),
      `creation_rules:\n  - path_regex: environments/.*\\.(ya?ml|json|env)$\n    age: ${recipient}\n`,
    );
    mkdirSync(join(repo, 'environments', 'prod'), { recursive: true });
    mkdirSync(join(repo, 'environments', 'dev'), { recursive: true });
    writeFileSync(
      join(repo, 'environments', 'prod', 'llm.yaml'),
      `# production routing\nproviders:\n  openai:\n    api_key: ${canary}\n    model: gpt-4o # default\n    temperature: 0.2\n`,
    );
    writeFileSync(
      join(repo, 'environments', 'dev', 'llm.yaml'),
      'providers:\n  openai:\n    api_key: dev-key\n',
    );
    writeFileSync(join(repo, 'environments', 'dev', 'notes.txt'), 'not a sops file\n');
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  it('keygen writes the identity with mode 0600 and refuses to overwrite it', () => {
    expect(statSync(join(repo, 'keys', 'age.txt')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(repo, 'keys', 'age.txt'), 'utf8')).toMatch(/^# public key: age1/m);
    const again = llmcm(['keygen', '--output', 'keys/age.txt']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/refusing to overwrite/);
  });

  it('encrypt -i, filestatus, set, decrypt, from a subdirectory (.sops.yaml found from the file upward)', () => {
    expect(llmcm(['filestatus', 'environments/prod/llm.yaml']).stdout.trim()).toBe('{"encrypted":false}');
    const enc = llmcm(['encrypt', '-i', 'environments/prod/llm.yaml']);
    expect(enc.code, enc.stderr).toBe(0);
    const encrypted = readFileSync(join(repo, 'environments/prod/llm.yaml'), 'utf8');
    expect(encrypted).not.toContain(canary);
    expect(encrypted).toContain('sops:');
    expect(llmcm(['filestatus', 'environments/prod/llm.yaml']).stdout.trim()).toBe('{"encrypted":true}');
    execFileSync('git', ['add', '.'], { cwd: repo });
    const set = llmcm(['set', 'environments/prod/llm.yaml', '["providers"]["openai"]["model"]', '"gpt-4.1"']);
    expect(set.code, set.stderr).toBe(0);
    const diff = execFileSync('git', ['diff', '--numstat', '--', 'environments/prod/llm.yaml'], {
      cwd: repo,
    }).toString();
    // One value line plus mac (and lastmodified unless within the same second).
    const [added, removed] = diff.trim().split(/\s+/).map(Number);
    expect(added).toBe(removed);
    expect([2, 3]).toContain(added);
    const dec = llmcm(['decrypt', 'environments/prod/llm.yaml']);
    expect(dec.code).toBe(0);
    expect(dec.stdout).toContain('model: gpt-4.1 # default');
    expect(dec.stdout).toContain('# production routing');
    const extract = llmcm([
      'decrypt',
      '--extract',
      '["providers"]["openai"]["temperature"]',
      'environments/prod/llm.yaml',
    ]);
    expect(extract.stdout).toBe('0.2');
  });

  it('updatekeys re-wraps a whole directory for the rule recipients without touching values', () => {
    expect(llmcm(['encrypt', '-i', 'environments/dev/llm.yaml']).code).toBe(0);
    const newKey = llmcm(['keygen', '--output', 'keys/second.txt']).stdout.trim();
    const before = readFileSync(join(repo, 'environments/prod/llm.yaml'), 'utf8');
    writeFileSync(
      join(repo, '.sops.yaml'),
      `creation_rules:\n  - path_regex: environments/.*\n    age: ${recipient},${newKey}\n`,
    );
    const up = llmcm(['updatekeys', 'environments']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain('environments/prod/llm.yaml: updated');
    expect(up.stdout).toContain('environments/dev/llm.yaml: updated');
    const after = readFileSync(join(repo, 'environments/prod/llm.yaml'), 'utf8');
    const values = (t: string) => t.slice(0, t.indexOf('\nsops:'));
    expect(values(after)).toBe(values(before));
    // The new identity alone can decrypt now.
    const withNew = llmcm(['decrypt', 'environments/dev/llm.yaml'], {
      SOPS_AGE_KEY_FILE: join(repo, 'keys', 'second.txt'),
    });
    expect(withNew.code, withNew.stderr).toBe(0);
    expect(withNew.stdout).toContain('dev-key');
    expect(llmcm(['updatekeys', 'environments']).stdout).toContain('already up to date');
  });

  it('rotate replaces the data key; the file still decrypts', () => {
    const before = readFileSync(join(repo, 'environments/dev/llm.yaml'), 'utf8');
    expect(llmcm(['rotate', 'environments/dev/llm.yaml']).code).toBe(0);
    const after = readFileSync(join(repo, 'environments/dev/llm.yaml'), 'utf8');
    expect(after).not.toBe(before);
    expect(llmcm(['decrypt', 'environments/dev/llm.yaml']).stdout).toContain('dev-key');
  });

  it('edit runs $EDITOR on a 0600 temp file, reopens on invalid YAML, and wipes the temp file', () => {
    const script = join(repo, 'editor.sh');
    const log = join(repo, 'editor.log');
    // First call: write invalid YAML; second call: a valid change. Records the temp file's path and mode.
    writeFileSync(
      script,
      `#!/bin/sh\nstat -c '%a %n' "$1" >> "${log}"\nif [ ! -f "${log}.orig" ]; then cp "$1" "${log}.orig"; printf 'a: [unclosed\\n' > "$1"; else sed 's/gpt-4.1/gpt-5/' "${log}.orig" > "$1"; fi\n`,
    );
    chmodSync(script, 0o755);
    const r = llmcm(['edit', 'environments/prod/llm.yaml'], { EDITOR: script });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/reopening the editor/);
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    expect(calls).toHaveLength(2);
    expect(calls[0]!.startsWith('600 ')).toBe(true);
    const tempPath = calls[0]!.slice(4);
    expect(existsSync(tempPath)).toBe(false);
    expect(readdirSync(tmpdir()).some((d) => tempPath.includes(d) && d.startsWith('llmcm-edit-'))).toBe(
      false,
    );
    expect(llmcm(['decrypt', 'environments/prod/llm.yaml']).stdout).toContain('model: gpt-5 # default');
  });

  describe('errors: one line, right exit code, nothing lost, no plaintext', () => {
    const expectNoCanary = (r: { stdout: string; stderr: string }) => {
      expect(r.stderr).not.toContain(canary);
      expect(r.stdout).not.toContain(canary);
    };

    it('tampered value → exit 3 naming the file', () => {
      const path = join(repo, 'environments/prod/llm.yaml');
      const original = readFileSync(path, 'utf8');
      const tampered = original.replace(
        /api_key: ENC\[AES256_GCM,data:(.)/,
        (_m, c: string) => `api_key: ENC[AES256_GCM,data:${c === 'A' ? 'B' : 'A'}`,
      );
      writeFileSync(join(repo, 'tampered.yaml'), tampered);
      const r = llmcm(['decrypt', 'tampered.yaml']);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/^llmcm: error: tampered\.yaml: /);
      expectNoCanary(r);
      const ignored = llmcm(['decrypt', '--ignore-mac', 'tampered.yaml']);
      expect(ignored.code).toBe(3); // a value that fails authentication is never ignorable
      expectNoCanary(ignored);
    });

    it('MAC mismatch → exit 3; --ignore-mac warns loudly and prints', () => {
      const original = readFileSync(join(repo, 'environments/prod/llm.yaml'), 'utf8');
      const moved = original
        .replace(/^(# .*\n)?/, '')
        .replace(/lastmodified: "(\d{4})/, (_m, y: string) => `lastmodified: "${Number(y) - 1}`);
      writeFileSync(join(repo, 'mac.yaml'), moved);
      const r = llmcm(['decrypt', 'mac.yaml']);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/MAC/);
      expectNoCanary(r);
      const ignored = llmcm(['decrypt', '--ignore-mac', 'mac.yaml']);
      expect(ignored.code).toBe(0);
      expect(ignored.stderr).toMatch(/WARNING.*--ignore-mac/);
    });

    it.each([
      ['non-YAML', 'bad.yaml', `a: [${canary}\n`, ['encrypt', 'bad.yaml'], 2, /not valid YAML/],
      ['duplicate keys', 'dup.yaml', `a: ${canary}\na: 2\n`, ['encrypt', 'dup.yaml'], 2, /duplicate key/],
      ['non-string keys', 'num.yaml', `1: ${canary}\n`, ['encrypt', 'num.yaml'], 2, /keys must be strings/],
      [
        'no sops metadata',
        'plain.yaml',
        `a: ${canary}\n`,
        ['decrypt', 'plain.yaml'],
        2,
        /metadata not found/,
      ],
      [
        'invalid recipient',
        'r.yaml',
        `a: ${canary}\n`,
        ['encrypt', '--age', 'age1bogus', 'r.yaml'],
        2,
        /invalid recipient/,
      ],
      ['no recipients', 'nr.yaml', `a: ${canary}\n`, ['encrypt', 'nr.yaml'], 2, /no recipients/],
    ])('%s', (_name, file, content, args, code, message) => {
      writeFileSync(join(repo, file), content);
      const r = llmcm(args);
      expect(r.code).toBe(code);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')[0]).toMatch(
        new RegExp(`^llmcm: error: ${file.replace('.', '\\.')}`),
      );
      expectNoCanary(r);
      expect(readFileSync(join(repo, file), 'utf8')).toBe(content);
    });

    it('no identity able to decrypt → exit 3', () => {
      // A valid keys file with an identity that is not a recipient (a missing file is its own error).
      expect(llmcm(['keygen', '--output', 'keys/other.txt']).code).toBe(0);
      const r = llmcm(['decrypt', 'environments/prod/llm.yaml'], {
        SOPS_AGE_KEY_FILE: join(repo, 'keys', 'other.txt'),
      });
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/no age identity can decrypt/);
      expectNoCanary(r);
    });

    it('truncated envelope → exit 3', () => {
      const original = readFileSync(join(repo, 'environments/prod/llm.yaml'), 'utf8');
      writeFileSync(
        join(repo, 'trunc.yaml'),
        original.replace(/(api_key: ENC\[AES256_GCM,data:[^,]*),.*$/m, '$1'),
      );
      const r = llmcm(['decrypt', 'trunc.yaml']);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/not a valid sops envelope/);
      expectNoCanary(r);
    });

    it('unwritable output → exit 2 and the original stays intact', () => {
      const path = join(repo, 'environments/prod/llm.yaml');
      const original = readFileSync(path, 'utf8');
      const r = llmcm(['decrypt', '--output', 'missing-dir/out.yaml', 'environments/prod/llm.yaml']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/cannot write/);
      expectNoCanary(r);
      const dir = join(repo, 'environments/prod');
      chmodSync(dir, 0o555);
      try {
        const inPlace = llmcm(['set', 'environments/prod/llm.yaml', '["x"]', '1']);
        if (process.getuid?.() !== 0) expect(inPlace.code).toBe(2);
      } finally {
        chmodSync(dir, 0o755);
      }
      expect(readFileSync(path, 'utf8').includes('sops:')).toBe(true);
      expect(readFileSync(path, 'utf8').length).toBeGreaterThanOrEqual(original.length - 1);
    });

    it('set with a non-JSON VALUE does not echo it', () => {
      const r = llmcm(['set', 'environments/prod/llm.yaml', '["x"]', canary]);
      expect(r.code).toBe(2);
      expectNoCanary(r);
    });
  });

  it('--help works for every sops command', () => {
    for (const c of [
      'encrypt',
      'decrypt',
      'edit',
      'set',
      'unset',
      'updatekeys',
      'rotate',
      'filestatus',
      'keygen',
    ]) {
      const r = llmcm([c, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`llmcm ${c}`);
    }
  });
});

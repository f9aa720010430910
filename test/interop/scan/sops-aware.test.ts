/** SOPS awareness on files written by the real sops binary (age recipients). */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig, loadDefaultConfig } from '../../../src/scan/config/load-config.js';
import { runScan } from '../../../src/scan/scan.js';
import { loadSopsPolicy, UNENCRYPTED_SECRET_RULE } from '../../../src/scan/sops-aware.js';
import { describeWithTools, projectRoot, toolPath } from '../../support/tools.js';

/** A deliberately noisy config: it flags ciphertext and the age blocks of the metadata. */
const noisy = loadConfig({
  name: 'noisy.toml',
  text: String.raw`
[[rules]]
id = "any-long-value"
regex = '''(?i)(?:password|key|token)\s*:\s*(\S{20,})'''
keywords = ["password", "key", "token"]
[[rules]]
id = "base64-line"
regex = '''[A-Za-z0-9+/]{60,}'''
`,
});

describeWithTools(['sops', 'age-keygen'], 'SOPS-aware scanning (files from the real sops)', () => {
  let root: string;
  let keyFile: string;
  let recipient: string;

  const sops = (args: string[], input?: string): string =>
    execFileSync(toolPath('sops')!, args, {
      cwd: tmpdir(),
      input,
      env: { ...process.env, SOPS_AGE_KEY_FILE: keyFile },
      stdio: ['pipe', 'pipe', 'pipe'],
    }).toString();

  const encrypt = (plain: string, extra: string[] = []): string => {
    const src = join(root, '.plain-input.yaml');
    writeFileSync(src, plain);
    const out = sops([
      'encrypt',
      '--age',
      recipient,
      ...extra,
      '--input-type',
      'yaml',
      '--output-type',
      'yaml',
      src,
    ]);
    rmSync(src);
    return out;
  };

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'llmcm-scan-sops-'));
    keyFile = join(root, '..', `${root.split('/').pop()}-age.txt`);
    execFileSync(toolPath('age-keygen')!, ['-o', keyFile], { stdio: 'ignore' });
    recipient = /age1[0-9a-z]+/.exec(readFileSync(keyFile, 'utf8'))![0];
    mkdirSync(join(root, 'secrets'), { recursive: true });
  });

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(keyFile, { force: true });
  });

  it('ENC[...] values and the sops metadata block are never findings', async () => {
    const dir = join(root, 'enc-only');
    mkdirSync(dir, { recursive: true });
    const plain = [
      'db:',
      `  password: ${['hunter2', 'Zq8v', 'Lp0x', 'Wm3k'].join('-')}`,
      `api_key: ${'k'.repeat(4)}-${Date.now()}-abcdefghijkl`,
      '',
    ].join('\n');
    writeFileSync(join(dir, 'app.enc.yaml'), encrypt(plain));
    const unaware = await runScan({
      root: dir,
      target: { kind: 'dir', paths: ['.'] },
      config: noisy,
      sopsAware: false,
    });
    // Without SOPS awareness this config flags ciphertext and the wrapped data key.
    expect(unaware.findings.length).toBeGreaterThanOrEqual(3);
    expect(unaware.findings.some((f) => f.startLine > 3)).toBe(true);
    const aware = await runScan({ root: dir, target: { kind: 'dir', paths: ['.'] }, config: noisy });
    expect(aware.findings).toEqual([]);
    const defaults = await runScan({
      root: dir,
      target: { kind: 'dir', paths: ['.'] },
      config: loadDefaultConfig(),
    });
    expect(defaults.findings).toEqual([]);
  });

  it('a plaintext file that .sops.yaml says must be encrypted is a finding per value (rule unencrypted-secret)', async () => {
    const dir = join(root, 'policy');
    mkdirSync(join(dir, 'secrets'), { recursive: true });
    writeFileSync(
      join(dir, '.sops.yaml'),
      `creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    age: ${recipient}\n`,
    );
    writeFileSync(
      join(dir, 'secrets', 'prod.yaml'),
      'db:\n  password: notencrypted\n  port: 5432\nflag_unencrypted: on-purpose\nempty: ""\n',
    );
    writeFileSync(join(dir, 'settings.yaml'), 'db:\n  password: fine-here\n');
    const result = await runScan({
      root: dir,
      target: { kind: 'dir', paths: ['.'] },
      config: loadDefaultConfig(),
      sopsPolicy: loadSopsPolicy(dir),
    });
    const hits = result.findings.filter((f) => f.ruleId === UNENCRYPTED_SECRET_RULE);
    expect(hits.map((f) => `${f.file}:${f.startLine}`)).toEqual([
      'secrets/prod.yaml:2',
      'secrets/prod.yaml:3',
    ]);
  });

  it('a value added in clear to an encrypted file is a finding; its ciphertext values are not', async () => {
    const dir = join(root, 'tampered');
    mkdirSync(join(dir, 'secrets'), { recursive: true });
    writeFileSync(
      join(dir, '.sops.yaml'),
      `creation_rules:\n  - path_regex: secrets/\n    encrypted_regex: ^(password|token)$\n    age: ${recipient}\n`,
    );
    const enc = encrypt('db:\n  password: s3cret-value-1\n  host: db.local\n', [
      '--encrypted-regex',
      '^(password|token)$',
    ]);
    // sops writes 4-space indentation.
    const tampered = enc.replace(
      '    host: db.local\n',
      '    host: db.local\n    token: added-by-hand-in-clear\n',
    );
    expect(tampered).not.toBe(enc);
    writeFileSync(join(dir, 'secrets', 'app.yaml'), tampered);
    const result = await runScan({
      root: dir,
      target: { kind: 'dir', paths: ['.'] },
      config: loadDefaultConfig(),
      sopsPolicy: loadSopsPolicy(dir),
    });
    expect(result.findings.map((f) => `${f.ruleId} ${f.file}:${f.startLine}`)).toEqual([
      `${UNENCRYPTED_SECRET_RULE} secrets/app.yaml:4`,
    ]);
  });

  it('a decrypted copy of an encrypted file is a finding', async () => {
    const dir = join(root, 'copy');
    mkdirSync(dir, { recursive: true });
    const enc = encrypt(
      'openai:\n  api_key: value-one-abc\nanthropic:\n  api_key: value-two-def\nmodel_unencrypted: gpt\n',
    );
    writeFileSync(join(dir, 'llm.enc.yaml'), enc);
    const decrypted = sops(['decrypt', join(dir, 'llm.enc.yaml')]);
    expect(decrypted).toContain('value-one-abc');
    writeFileSync(join(dir, 'llm.dec.yaml'), decrypted);
    writeFileSync(join(dir, 'unrelated.yaml'), 'openai:\n  model: gpt-4o\n');
    const result = await runScan({
      root: dir,
      target: { kind: 'dir', paths: ['.'] },
      config: loadDefaultConfig(),
    });
    const hits = result.findings.filter((f) => f.ruleId === UNENCRYPTED_SECRET_RULE);
    expect(hits.map((f) => `${f.file}:${f.startLine}`)).toEqual(['llm.dec.yaml:2', 'llm.dec.yaml:4']);
    expect(hits[0]!.description).toMatch(/decrypted copy of SOPS file llm\.enc\.yaml/);
  });

  it('a decrypted copy is attributed to the SOPS file it came from, among siblings sharing its keys (example repo)', async () => {
    // The example repo's environments/{dev,staging,prod}/gateway.yaml share master_key and
    // webhook_secret; prod adds signing_key and database_url. A copy of prod covers dev's keys too.
    const dir = join(root, 'example');
    for (const env of ['dev', 'staging', 'prod']) {
      mkdirSync(join(dir, 'environments', env), { recursive: true });
      const file = join('environments', env, 'gateway.yaml');
      writeFileSync(join(dir, file), readFileSync(join(projectRoot, file)));
    }
    writeFileSync(join(dir, '.sops.yaml'), readFileSync(join(projectRoot, '.sops.yaml')));
    mkdirSync(join(dir, 'backup'));
    const decrypted = execFileSync(
      toolPath('sops')!,
      ['decrypt', join(dir, 'environments', 'prod', 'gateway.yaml')],
      {
        env: { ...process.env, SOPS_AGE_KEY_FILE: join(projectRoot, 'test', 'fixtures', 'demo-age-key.txt') },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    ).toString();
    writeFileSync(join(dir, 'backup', 'gw-copy.yaml'), decrypted);
    const keyLines = (name: string) =>
      decrypted.split('\n').findIndex((line) => line.startsWith(`${name}:`)) + 1;
    const expected = ['master_key', 'webhook_secret', 'signing_key', 'database_url'].map(
      (k) => `backup/gw-copy.yaml:${keyLines(k)}`,
    );
    expect(expected.every((e) => !e.endsWith(':0'))).toBe(true);
    for (const paths of [
      ['backup', 'environments'],
      ['environments', 'backup'],
      ['backup', 'environments/prod'],
    ]) {
      const result = await runScan({
        root: dir,
        target: { kind: 'dir', paths },
        config: loadDefaultConfig(),
        sopsPolicy: loadSopsPolicy(dir),
      });
      // Every secret line of the copy is reported (a line another rule already flags is not
      // reported twice), and the copy is attributed to prod, not to the first sibling scanned.
      const inCopy = result.findings.filter((f) => f.file === 'backup/gw-copy.yaml');
      expect([...new Set(inCopy.map((f) => `${f.file}:${f.startLine}`))].sort(), paths.join(' ')).toEqual(
        [...expected].sort(),
      );
      const copies = inCopy.filter((f) => f.ruleId === UNENCRYPTED_SECRET_RULE);
      expect(copies.length).toBeGreaterThanOrEqual(2);
      for (const f of copies)
        expect(f.description).toBe('decrypted copy of SOPS file environments/prod/gateway.yaml');
    }
  });

  it('staged and history scans apply the same rules (decrypted copy staged; plaintext committed under secrets/)', async () => {
    const dir = join(root, 'repo');
    mkdirSync(join(dir, 'secrets'), { recursive: true });
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.test', ...args], {
        cwd: dir,
        stdio: 'pipe',
      });
    git('init', '-q', '-b', 'main');
    writeFileSync(
      join(dir, '.sops.yaml'),
      `creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    age: ${recipient}\n`,
    );
    const enc = encrypt('openai:\n  api_key: value-one-abc\nanthropic:\n  api_key: value-two-def\n');
    writeFileSync(join(dir, 'secrets', 'llm.yaml'), enc);
    git('add', '-A');
    git('commit', '-qm', 'encrypted');
    writeFileSync(join(dir, 'secrets', 'plain.yaml'), 'db:\n  password: oops-in-clear\n');
    git('add', '-A');
    git('commit', '-qm', 'plaintext by mistake');
    const policy = loadSopsPolicy(dir);
    const history = await runScan({
      root: dir,
      target: { kind: 'history' },
      config: loadDefaultConfig(),
      sopsPolicy: policy,
    });
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir }).toString().trim();
    expect(history.findings.map((f) => `${f.ruleId} ${f.file}:${f.startLine} ${f.commit}`)).toEqual([
      `${UNENCRYPTED_SECRET_RULE} secrets/plain.yaml:2 ${head}`,
    ]);
    // Stage a decrypted copy of the (unchanged, already committed) encrypted file.
    writeFileSync(join(dir, 'llm.decrypted.yaml'), sops(['decrypt', join(dir, 'secrets', 'llm.yaml')]));
    git('add', 'llm.decrypted.yaml');
    const staged = await runScan({
      root: dir,
      target: { kind: 'staged' },
      config: loadDefaultConfig(),
      sopsPolicy: policy,
    });
    expect(staged.findings.map((f) => `${f.ruleId} ${f.file}:${f.startLine}`)).toEqual([
      `${UNENCRYPTED_SECRET_RULE} llm.decrypted.yaml:2`,
      `${UNENCRYPTED_SECRET_RULE} llm.decrypted.yaml:4`,
    ]);
  });
});

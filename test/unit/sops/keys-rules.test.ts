import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlmcmError } from '../../../src/core/errors.js';
import {
  decryptText,
  encryptText,
  findCreationRule,
  generateAgeIdentity,
  loadAgeIdentities,
  parseTreePath,
  readSopsMetadata,
  setInPlainText,
  settingsFor,
  setValueInEncryptedText,
  unsetInPlainText,
} from '../../../src/sops/index.js';
import { flattenMetadata, unflattenMetadata } from '../../../src/sops/metadata.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'llmcm-sops-unit-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('age identity discovery (combined, like sops)', () => {
  it('combines SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD and the default keys file', async () => {
    const ids = await Promise.all([1, 2, 3, 4].map(() => generateAgeIdentity()));
    const xdg = join(dir, 'xdg');
    mkdirSync(join(xdg, 'sops', 'age'), { recursive: true });
    writeFileSync(join(xdg, 'sops', 'age', 'keys.txt'), `# default\n${ids[3]!.identity}\n`);
    writeFileSync(join(dir, 'file.txt'), `# created\n${ids[1]!.identity}\n`);
    writeFileSync(join(dir, 'cmd.txt'), `${ids[2]!.identity}\n`);
    const found = await loadAgeIdentities({
      SOPS_AGE_KEY: `# comment\n${ids[0]!.identity}`,
      SOPS_AGE_KEY_FILE: join(dir, 'file.txt'),
      SOPS_AGE_KEY_CMD: `cat ${join(dir, 'cmd.txt')}`,
      XDG_CONFIG_HOME: xdg,
      PATH: process.env.PATH,
    });
    expect(found.identities).toEqual(ids.map((i) => i.identity));
    expect(found.sources).toHaveLength(4);
  });

  it('an absent default keys file is silent: nothing found, no error', async () => {
    const found = await loadAgeIdentities({ HOME: join(dir, 'nohome') });
    expect(found.identities).toEqual([]);
  });

  it.each([
    [
      { SOPS_AGE_KEY_FILE: '/nonexistent/keys.txt' },
      /^SOPS_AGE_KEY_FILE \/nonexistent\/keys\.txt: cannot read the keys file \(ENOENT\)$/,
    ],
    [{ SOPS_AGE_KEY_CMD: 'exit 3' }, /^SOPS_AGE_KEY_CMD 'exit 3': the command failed \(exit status 3\)$/],
    [
      { SOPS_AGE_KEY_CMD: 'echo garbage-SECRET' },
      /^SOPS_AGE_KEY_CMD 'echo garbage-SECRET': line 1 is not an age identity$/,
    ],
    [{ SOPS_AGE_KEY: '# only a comment' }, /^SOPS_AGE_KEY: no age identity found$/],
  ])('a broken explicit source %j is a decrypt error naming it', async (env, message) => {
    const error = await loadAgeIdentities({ ...env, HOME: join(dir, 'nohome') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmcmError);
    expect((error as LlmcmError).kind).toBe('decrypt');
    expect((error as LlmcmError).message).toMatch(message);
  });

  it('a garbage keys file names the line number, never the line', async () => {
    const file = join(dir, 'garbage-keys.txt');
    writeFileSync(file, '# ok\nAGE-SECRET-KEY-1NOTREALLYBUTSHAPED\nAGE-SECRET-KEY-1lowercase-is-wrong\n');
    const error = (await loadAgeIdentities({ SOPS_AGE_KEY_FILE: file, HOME: join(dir, 'nohome') }).catch(
      (e: unknown) => e,
    )) as LlmcmError;
    expect(error.message).toBe(`SOPS_AGE_KEY_FILE ${file}: line 3 is not an age identity`);
    expect(error.message).not.toContain('lowercase');
  });
});

describe('.sops.yaml creation rules', () => {
  it('is found from the target file upward; path_regex is relative to the config folder', async () => {
    const a = await generateAgeIdentity();
    const b = await generateAgeIdentity();
    const repo = join(dir, 'repo');
    mkdirSync(join(repo, 'environments', 'prod'), { recursive: true });
    writeFileSync(
      join(repo, '.sops.yaml'),
      `creation_rules:\n  - path_regex: ^environments/prod/\n    age:\n      - ${a.recipient}\n      - ${b.recipient}\n    encrypted_regex: ^api_key$\n    mac_only_encrypted: true\n  - age: ${a.recipient}, ${b.recipient}\n`,
    );
    const prod = findCreationRule(join(repo, 'environments', 'prod', 'llm.yaml'))!;
    expect(prod.keyGroups).toEqual([[a.recipient, b.recipient]]);
    expect(prod.selection).toEqual({ key: 'encrypted_regex', value: '^api_key$' });
    expect(prod.macOnlyEncrypted).toBe(true);
    const other = findCreationRule(join(repo, 'environments', 'dev', 'llm.yaml'))!;
    expect(other.pathRegex).toBeUndefined();
    expect(other.keyGroups).toEqual([[a.recipient, b.recipient]]);
    expect(findCreationRule(join(dir, 'elsewhere', 'x.yaml'))).toBeNull();

    const encrypted = await encryptText('api_key: k\nmodel: m\n', { file: 'x.yaml', rule: prod });
    expect(encrypted).toContain('model: m');
    expect(encrypted).toContain('encrypted_regex: ^api_key$');
  });

  it('key_groups and shamir_threshold; invalid rules are config errors', () => {
    const repo = join(dir, 'groups');
    mkdirSync(repo, { recursive: true });
    writeFileSync(
      join(repo, '.sops.yaml'),
      'creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age: [age1a]\n      - age: [age1b]\n      - age: [age1c]\n',
    );
    const rule = findCreationRule(join(repo, 'x.yaml'))!;
    expect(rule.keyGroups).toEqual([['age1a'], ['age1b'], ['age1c']]);
    expect(rule.shamirThreshold).toBe(2);
    writeFileSync(join(repo, '.sops.yaml'), 'creation_rules:\n  - pgp: ABCDEF\n');
    expect(() => findCreationRule(join(repo, 'x.yaml'))).toThrow(LlmcmError);
    writeFileSync(join(repo, '.sops.yaml'), 'creation_rules:\n  - path_regex: (a)\\1\n    age: age1x\n');
    expect(() => findCreationRule(join(repo, 'x.yaml'))).toThrow(/path_regex/);
  });

  it('SOPS_AGE_RECIPIENTS wins over the rule; nothing at all is a config error', async () => {
    const a = await generateAgeIdentity();
    const s = settingsFor(join(dir, 'none', 'x.yaml'), {
      env: { SOPS_AGE_RECIPIENTS: `${a.recipient}` },
      rule: null,
    });
    expect(s.keyGroups).toEqual([[a.recipient]]);
    expect(() => settingsFor(join(dir, 'none', 'x.yaml'), { env: {}, rule: null })).toThrow(/no recipients/);
    const enc = await encryptText('a: 1\n', { file: 'x.yaml', recipients: [a.recipient] });
    expect(readSopsMetadata(enc, 'yaml')!.keyGroups[0]!.age[0]!.recipient).toBe(a.recipient);
  });
});

describe('metadata', () => {
  it('keeps key kinds llmcm cannot use (pgp) untouched on rewrite', async () => {
    const a = await generateAgeIdentity();
    const enc = await encryptText('a: 1\n', { file: 'x.yaml', recipients: [a.recipient] });
    const withPgp = enc.replace(
      /^sops:\n/m,
      'sops:\n    pgp:\n        - created_at: "2024-01-01T00:00:00Z"\n          enc: |\n            -----BEGIN PGP MESSAGE-----\n            abc\n            -----END PGP MESSAGE-----\n          fp: ABCDEF0123456789\n',
    );
    const ids = { identities: [a.identity], sources: ['t'], problems: [] };
    const updated = await setValueInEncryptedText(withPgp, ['b'], 2, { file: 'x.yaml', identities: ids });
    expect(updated).toContain('fp: ABCDEF0123456789');
    expect(updated).toContain('-----BEGIN PGP MESSAGE-----');
    expect(await decryptText(updated, { file: 'x.yaml', identities: ids })).toBe('a: 1\nb: 2\n');
  });

  it('flattens and unflattens dotenv metadata', () => {
    const obj = {
      age: [{ enc: 'line1\nline2\n', recipient: 'age1x' }],
      key_groups: [{ age: [{ enc: 'e', recipient: 'r' }] }],
      lastmodified: '2024-01-01T00:00:00Z',
      mac_only_encrypted: true,
      shamir_threshold: 2,
    };
    const flat = flattenMetadata(obj);
    expect(flat).toContainEqual(['sops_age__list_0__map_enc', 'line1\\nline2\\n']);
    expect(flat).toContainEqual(['sops_key_groups__list_0__map_age__list_0__map_recipient', 'r']);
    expect(unflattenMetadata(flat.map(([k, v]) => [k.slice(5), v]))).toEqual(obj);
  });
});

describe('paths and plaintext edits', () => {
  it('parses sops paths', () => {
    expect(parseTreePath('["a"]["b c"][0]')).toEqual(['a', 'b c', 0]);
    expect(parseTreePath("['x']")).toEqual(['x']);
    expect(() => parseTreePath('a.b')).toThrow(/invalid path/);
  });

  it('edits YAML, JSON and dotenv text with small changes', () => {
    const yaml = '# c\na:\n    b: 1 # keep\n    c: [1, 2]\nz: end\n';
    expect(setInPlainText(yaml, 'yaml', ['a', 'b'], 2)).toBe(
      '# c\na:\n    b: 2 # keep\n    c: [1, 2]\nz: end\n',
    );
    expect(setInPlainText(yaml, 'yaml', ['a', 'd'], 'new')).toBe(
      '# c\na:\n    b: 1 # keep\n    c: [1, 2]\n    d: new\nz: end\n',
    );
    expect(unsetInPlainText(yaml, 'yaml', ['z'])).toBe('# c\na:\n    b: 1 # keep\n    c: [1, 2]\n');
    expect(() => unsetInPlainText(yaml, 'yaml', ['nope'])).toThrow(/no value/);
    expect(setInPlainText('{\n  "a": 1\n}\n', 'json', ['b'], 'x')).toBe('{\n  "a": 1,\n  "b": "x"\n}\n');
    expect(setInPlainText('A=1\nB=2\n', 'dotenv', ['B'], 'three')).toBe('A=1\nB=three\n');
    expect(unsetInPlainText('A=1\nB=2\n', 'dotenv', ['A'])).toBe('B=2\n');
  });
});

describe('integrity fields', () => {
  it('a removed mac or lastmodified is a decrypt error (exit 3)', async () => {
    const a = await generateAgeIdentity();
    const ids = { identities: [a.identity], sources: ['t'], problems: [] };
    const enc = await encryptText('a: 1\n', { file: 'x.yaml', recipients: [a.recipient] });
    for (const field of ['mac', 'lastmodified']) {
      const cut = enc.replace(new RegExp(`^ {4}${field}: .*\\n`, 'm'), '');
      const error = await decryptText(cut, { file: 'x.yaml', identities: ids }).catch((e: unknown) => e);
      expect((error as LlmcmError).exitCode).toBe(3);
      expect((error as LlmcmError).file).toBe('x.yaml');
    }
  });
});

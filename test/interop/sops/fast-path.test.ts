import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { decryptBranches, recoverDataKey, verifyMac } from '../../../src/sops/codec-core.js';
import { decryptTextFast } from '../../../src/sops/fast-decrypt.js';
import { parseSimpleYaml } from '../../../src/sops/formats/yaml-fast.js';
import { parseYamlFile, renderYamlMetadata } from '../../../src/sops/formats/yaml-format.js';
import {
  type AgeIdentities,
  ageIdentitiesFrom,
  encryptText,
  generateAgeIdentity,
  setValueInEncryptedText,
} from '../../../src/sops/index.js';
import { parseMetadata } from '../../../src/sops/metadata.js';
import { describeWithTools, toolPath } from '../../support/tools.js';
import { runInScratch, writeInScratch } from './scratch-dir.js';

// Files that sops writes from real configs (comments → `#ENC[...]` lines, lists → block
// sequences, comments inside lists → `- ENC[...,type:comment]` items in sops 3.13) must take the
// fast YAML path, decrypt exactly as the CST path does with the MAC verified, and what llmcm
// writes from them must decrypt with sops.

const hooks = {
  parseYaml: (text: string) => parse(text, { uniqueKeys: true, logLevel: 'error' as const }),
  renderMetadata: renderYamlMetadata,
};

const llmConfig = `# LLM routing for the payments team
# owner: platform
providers:
  # primary provider
  openai:
    api_key: sk-proj-abc123 # rotated monthly
    base_url: "https://api.openai.com/v1"
    models:
      # the default first
      - gpt-4o
      - gpt-4o-mini
      # cheap fallback
      - 'gpt-3.5-turbo'
  anthropic:
    api_key: sk-ant-xyz
    routes:
      - path: /chat
        # about the model
        model: claude-3-5-sonnet
        max_tokens: 4096
      - path: /summarize
        model: claude-3-haiku
        temperature: 0.2
budget:
  monthly_usd: 1500
  alert: true
  # foot of budget
# foot of the file
`;

function llmBlocks(count: number): string {
  const out = ['# LLM providers: one block per deployment'];
  for (let g = 0; g < count; g++) {
    out.push(`# deployment ${g}: owner team-${g % 7}`, `deployment_${g}:`);
    out.push(`  api_key: sk-proj-${g}-abcdefghijklmnop`, `  model: gpt-4o-2024-08-${10 + (g % 20)}`);
    out.push(`  temperature: 0.${g % 10}`, `  max_tokens: ${1024 + g}`, `  stream: ${g % 2 === 0}`);
    out.push('  fallbacks:', `    - claude-3-5-sonnet-${g}`, `    - gemini-1.5-pro-${g}`);
  }
  return `${out.join('\n')}\n`;
}

// Hand-written plaintext: lists at +2 and +0, flow lists, quoted values, end-of-line comments.
const handWritten = `service: checkout # the service name
tags: [payments, "tier 1"] # flow lists stay flow in llmcm's files
empty: []
models:
- gpt-4o
- "claude-3-5-sonnet"
limits:
  # per minute
  rpm: 600
  keys:
    - name: primary
      value: 'sk-1'
    - name: backup
      value: "sk-2"
`;

describeWithTools(['sops', 'age'], 'sops interop: files with comments and lists take the fast path', () => {
  let dir: string;
  let keyFile: string;
  let recipient: string;
  let ids: AgeIdentities;
  const sops = toolPath('sops')!;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'llmcm-fast-'));
    const key = await generateAgeIdentity();
    recipient = key.recipient;
    ids = ageIdentitiesFrom([key.identity]);
    keyFile = join(dir, 'keys.txt');
    writeFileSync(keyFile, `${key.identity}\n`, { mode: 0o600 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (bin: string, args: string[]): string => runInScratch(bin, args, { dir, keyFile });
  const write = (name: string, text: string): string => writeInScratch(dir, name, text);
  const content = (text: string) => parseAllDocuments(text).map((d) => d.toJS());

  /** decryptText on the CST parser only: the reference the fast path must match byte for byte. */
  async function decryptOnCst(text: string, file: string): Promise<string> {
    const parsed = parseYamlFile(text, file);
    const metadata = parseMetadata(parsed.metadataRaw, file);
    const key = await recoverDataKey(metadata, ids, file);
    const { mac } = decryptBranches(parsed, metadata, key, file);
    verifyMac(metadata, key, mac, file);
    return parsed.render(null);
  }

  const comments = (text: string) => (text.match(/#[^\n]*/g) ?? []).map((c) => c.trim()).sort();

  it.each([
    ['an LLM config with comments at every level and lists of scalars and maps', llmConfig],
    ['the benchmark shape (a comment and a 2-item list per block)', llmBlocks(20)],
    ['hand-written lists at +2 and +0 with quoted values', handWritten],
  ])('sops encrypt → fast decrypt (MAC verified) → ours → sops decrypt: %s', async (_name, plain) => {
    const encrypted = run(sops, ['encrypt', '--age', recipient, write('plain.yaml', plain)]);
    expect(encrypted).toContain('#ENC[AES256_GCM');
    // The decrypt hot path accepts sops' output as it is (no yaml package hooks there).
    expect(parseSimpleYaml(encrypted)).not.toBeNull();
    const file = 'config.yaml';
    const fast = await decryptTextFast(encrypted, { file, identities: ids });
    expect(fast).toBe(await decryptOnCst(encrypted, file));
    const bySops = run(sops, ['decrypt', write('theirs.enc.yaml', encrypted)]);
    expect(content(fast)).toEqual(content(bySops));
    expect(comments(fast)).toEqual(comments(bySops));
    expect(comments(fast)).toEqual(comments(plain));
    expect(fast).not.toContain('ENC[');

    // Re-encrypt the decrypted text (fast path too): sops decrypts every value and comment.
    expect(parseSimpleYaml(fast, hooks)).not.toBeNull();
    const ours = await encryptText(fast, { file, keyGroups: [[recipient]] });
    const back = run(sops, ['decrypt', write('ours.enc.yaml', ours)]);
    expect(content(back)).toEqual(content(plain));
    expect(comments(back)).toEqual(comments(plain));
    expect(parseSimpleYaml(ours)).not.toBeNull();
    expect(await decryptTextFast(ours, { file, identities: ids })).toBe(fast);

    // An edit of sops' file stays readable by sops.
    const edited = await setValueInEncryptedText(encrypted, ['edited_by'], 'llmcm', {
      file,
      identities: ids,
    });
    expect(parseSimpleYaml(edited)).not.toBeNull();
    expect(content(run(sops, ['decrypt', write('edited.enc.yaml', edited)]))).toEqual(
      content(`${plain}edited_by: llmcm\n`),
    );
  });

  it('multi-line values (prompts) decrypt on the fast path as block scalars, byte for byte as the CST path', async () => {
    const plain = `# prompts
assistant:
  system_prompt: |
    You are a helpful assistant.

    Answer briefly.
  examples:
    - |-
      first
      example
    - one line
  model: gpt-4o
`;
    const encrypted = run(sops, ['encrypt', '--age', recipient, write('prompts.yaml', plain)]);
    expect(parseSimpleYaml(encrypted)).not.toBeNull();
    const fast = await decryptTextFast(encrypted, { file: 'p.yaml', identities: ids });
    expect(fast).toBe(await decryptOnCst(encrypted, 'p.yaml'));
    expect(fast).toContain('system_prompt: |\n      You are a helpful assistant.\n\n      Answer briefly.\n');
    expect(content(fast)).toEqual(content(plain));
    expect(content(fast)).toEqual(content(run(sops, ['decrypt', write('prompts.enc.yaml', encrypted)])));
    // The plaintext with its block scalars is read by the fast path too; sops decrypts our file.
    expect(parseSimpleYaml(plain, hooks)).not.toBeNull();
    const ours = await encryptText(plain, { file: 'p.yaml', keyGroups: [[recipient]] });
    expect(ours).not.toContain('helpful');
    const back = run(sops, ['decrypt', write('prompts-ours.enc.yaml', ours)]);
    expect(content(back)).toEqual(content(plain));
    expect(comments(back)).toEqual(['# prompts']);
  });

  it('the fast path refuses a reordered list and a tampered value in a sops file (MAC and AAD)', async () => {
    const encrypted = run(sops, ['encrypt', '--age', recipient, write('tamper.yaml', llmConfig)]);
    const items = /( +- )(ENC\[[^\]]+type:str\])\n( +- )(ENC\[[^\]]+type:str\])/.exec(encrypted)!;
    const swapped = encrypted.replace(items[0], `${items[1]}${items[4]}\n${items[3]}${items[2]}`);
    expect(parseSimpleYaml(swapped)).not.toBeNull();
    await expect(decryptTextFast(swapped, { file: 't.yaml', identities: ids })).rejects.toMatchObject({
      code: 'SOPS_MAC_MISMATCH',
    });
    const value = /api_key: ENC\[AES256_GCM,data:([A-Za-z0-9+/])/.exec(encrypted)!;
    const flipped = encrypted.replace(value[0], value[0].slice(0, -1) + (value[1] === 'A' ? 'B' : 'A'));
    await expect(decryptTextFast(flipped, { file: 't.yaml', identities: ids })).rejects.toMatchObject({
      code: 'SOPS_VALUE_TAMPERED',
    });
  });

  describeWithTools(['sops-3.9'], 'sops 3.9 (comments in lists as comment lines)', () => {
    it('sops 3.9 encrypt → fast decrypt equals the CST path and sops 3.9 decrypt', async () => {
      const legacy = toolPath('sops-3.9')!;
      const encrypted = run(legacy, ['encrypt', '--age', recipient, write('legacy.yaml', llmConfig)]);
      const file = 'legacy.yaml';
      const fast = await decryptTextFast(encrypted, { file, identities: ids });
      expect(fast).toBe(await decryptOnCst(encrypted, file));
      const bySops = run(legacy, ['decrypt', write('legacy.enc.yaml', encrypted)]);
      expect(content(fast)).toEqual(content(bySops));
      expect(comments(fast)).toEqual(comments(llmConfig));
    });
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import {
  type AgeIdentities,
  ageIdentitiesFrom,
  decryptText,
  encryptText,
  generateAgeIdentity,
  type SopsFormat,
  setValueInEncryptedText,
} from '../../../src/sops/index.js';
import { describeWithTools, toolPath } from '../../support/tools.js';
import { runInScratch, writeInScratch } from './scratch-dir.js';

/** Semantic content of a YAML/JSON/dotenv text, comparable across writers. */
function contentOf(text: string, format: SopsFormat): unknown {
  if (format === 'dotenv') return text.split('\n').filter((l) => l && !l.startsWith('#'));
  return parseAllDocuments(text).map((d) => d.toJS());
}

const everyType = `# file head comment
string: hello world
int: 42
negative: -7
hex: 0x1F
float: 3.25
float_whole: 1.0
big_float: 1e21
bool_true: true
bool_false: false
time: 2024-01-01T10:20:30Z
date: 2024-02-29
empty: ""
nothing: null
quoted_number: "123"
multiline: |
  line one
  line two
nested:
  # comment inside a map
  key: value # trailing comment
  deeper:
    list:
      # comment inside a list
      - item1
      - 2 # trailing in list
      - nested_in_list: x
    empty_map: {}
    empty_list: []
# comment at the end
`;

// Where yaml.v3 attaches a comment decides its AAD in sops: head comments go with the next entry,
// foot comments (followed by a dedent) into the previous entry's collection.
const commentPlacement = `a:
  b: 1
# col0 between nested entries
  c: 2
d:
  e: 1
  # indented foot of d
# col0 before f
f: 3
list:
  - name: x
    # about val
    val: 1
  # second item
  - name: y
    sub:
      - 1
    # after sub list
  - z # trailing z
top3:
  seq:
    - 1
  # foot at seq key col then dedent
nested: # trailing key comment
  k: v
x:
  deep:
    v: 1
  # col2 at the end after nested
`;

const selectionFixture = `# sops:enc
password: p1
user: u1
db:
  password_enc: p2
  host: h
  # sops:enc
  token: t
data:
  token: t2
`;

describeWithTools(
  ['sops', 'age'],
  'sops interop: files are interchangeable with the real sops binary',
  () => {
    let dir: string;
    let keyFile: string;
    let recipient: string;
    let ids: AgeIdentities;
    let extra: Array<{ identity: string; recipient: string }>;
    const sops = toolPath('sops')!;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'llmcm-interop-'));
      const main = await generateAgeIdentity();
      extra = [await generateAgeIdentity(), await generateAgeIdentity()];
      recipient = main.recipient;
      ids = ageIdentitiesFrom([main.identity, extra[1]!.identity]);
      keyFile = join(dir, 'keys.txt');
      writeFileSync(keyFile, `${main.identity}\n${extra[1]!.identity}\n`, { mode: 0o600 });
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const run = (bin: string, args: string[], cwd = dir): string =>
      runInScratch(bin, args, { dir, keyFile, cwd });
    const write = (name: string, text: string): string => writeInScratch(dir, name, text);

    const sopsDecrypt = (path: string, format: SopsFormat, bin = sops) =>
      run(bin, ['decrypt', '--input-type', format, '--output-type', format, path]);

    const cases: Array<{
      name: string;
      format: SopsFormat;
      text: string;
      selection?: [string, string];
      macOnly?: boolean;
    }> = [
      { name: 'every type, comments in maps and lists', format: 'yaml', text: everyType },
      { name: 'comment placement (yaml.v3 head/foot rules)', format: 'yaml', text: commentPlacement },
      {
        // The yaml package counts these comment lines as part of the flow collection; yaml.v3 (sops)
        // attaches them to the enclosing block, which decides their AAD.
        name: 'comments on the lines after flow collections',
        format: 'yaml',
        text: 'a:\n  b: [x, y]\n    # under a flow list\n  c: {k: v} # trailing a flow map\n      # under a flow map\n  d: 1\ne: [1, 2]\n  # under a root flow list\nf: 2\n',
      },
      {
        name: 'multi-document YAML',
        format: 'yaml',
        text: 'a: 1\n# c\nb: [x, y]\n---\nc: three\nd:\n  - 4\n',
      },
      {
        name: 'JSON',
        format: 'json',
        text: '{\n  "a": "x",\n  "n": 7,\n  "f": 1.5,\n  "b": true,\n  "z": null,\n  "l": [1, "two", {"k": "v"}]\n}\n',
      },
      { name: 'dotenv', format: 'dotenv', text: '# comment\nAPI_KEY=sk-1\nMULTI=a\\nb\nEMPTY=\n' },
      ...(
        [
          ['unencrypted_suffix', '_enc'],
          ['encrypted_suffix', '_enc'],
          ['unencrypted_regex', '^(user|host)$'],
          ['encrypted_regex', '^(data|password)'],
          ['encrypted_comment_regex', 'sops:enc'],
          ['unencrypted_comment_regex', 'sops:enc'],
        ] as Array<[string, string]>
      ).map(([k, v]) => ({
        name: `selection ${k}`,
        format: 'yaml' as const,
        text: selectionFixture,
        selection: [k, v] as [string, string],
      })),
      {
        name: 'mac_only_encrypted',
        format: 'yaml',
        text: selectionFixture,
        selection: ['encrypted_regex', '^password'],
        macOnly: true,
      },
    ];

    it.each(cases)('ours → sops decrypt: $name', async ({ format, text, selection, macOnly }) => {
      const encrypted = await encryptText(text, {
        file: `x.${format}`,
        format,
        keyGroups: [[recipient]],
        selection: selection ? { key: selection[0] as never, value: selection[1] } : undefined,
        macOnlyEncrypted: macOnly,
      });
      const path = write(`ours-${Math.random().toString(36).slice(2)}.${format}`, encrypted);
      const bySops = sopsDecrypt(path, format);
      const byUs = await decryptText(encrypted, { file: path, format, identities: ids });
      expect(contentOf(bySops, format)).toEqual(contentOf(byUs, format));
      // Every comment decrypted by sops (none left as ENC[...]).
      expect(bySops).not.toContain('ENC[');
      for (const c of text.match(/# [a-z:][^\n]*/g) ?? []) expect(bySops).toContain(c.trim());
    });

    it.each(cases)('sops encrypt → ours: $name', async ({ format, text, selection, macOnly }) => {
      // Selection settings go through a .sops.yaml rule (sops has no flags for some of them).
      const caseDir = mkdtempSync(join(dir, 'case-'));
      const rule = [`  - age: ${recipient}`];
      if (selection) rule.push(`    ${selection[0]}: '${selection[1]}'`);
      if (macOnly) rule.push('    mac_only_encrypted: true');
      writeFileSync(join(caseDir, '.sops.yaml'), `creation_rules:\n${rule.join('\n')}\n`);
      const plain = join(caseDir, `plain.${format}`);
      writeFileSync(plain, text);
      const encrypted = run(
        sops,
        ['encrypt', '--input-type', format, '--output-type', format, plain],
        caseDir,
      );
      if (selection) expect(encrypted).toContain(selection[0]);
      const byUs = await decryptText(encrypted, { file: plain, format, identities: ids });
      const enc = write(`sops-${Math.random().toString(36).slice(2)}.${format}`, encrypted);
      expect(contentOf(byUs, format)).toEqual(contentOf(sopsDecrypt(enc, format), format));
    });

    it('comments at generated positions: sops decrypts every comment we write, and we decrypt all of its', async () => {
      const leaf = fc.oneof(fc.constantFrom('v', 'w x'), fc.integer({ min: 0, max: 99 }));
      const tree = fc.letrec((tie) => ({
        node: fc.oneof({ depthSize: 'small' }, leaf, tie('map'), tie('list')),
        map: fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), tie('node'), { minKeys: 1, maxKeys: 3 }),
        list: fc.array(tie('node'), { minLength: 1, maxLength: 3 }),
      })).map;
      const inserts = fc.array(fc.tuple(fc.nat(40), fc.nat(2)), { minLength: 1, maxLength: 4 });
      // Comments indented like the line above, the line below, or at column 0 (as people write them).
      await fc.assert(
        fc.asyncProperty(tree, inserts, async (obj, places) => {
          const lines = stringify(obj).trimEnd().split('\n');
          const indentOf = (l: string | undefined) => (l === undefined ? 0 : l.length - l.trimStart().length);
          places.forEach(([at, how], i) => {
            const k = at % (lines.length + 1);
            const indent = [indentOf(lines[k - 1]), indentOf(lines[k]), 0][how]!;
            lines.splice(k, 0, `${' '.repeat(indent)}# note ${i}`);
          });
          const text = `${lines.join('\n')}\n`;
          const ours = await encryptText(text, { file: 'c.yaml', keyGroups: [[recipient]] });
          const bySops = sopsDecrypt(write('fuzz-ours.yaml', ours), 'yaml');
          expect(bySops).not.toContain('ENC[');
          const theirs = run(sops, ['encrypt', '--age', recipient, write('fuzz-plain.yaml', text)]);
          const byUs = await decryptText(theirs, { file: 'c.yaml', identities: ids });
          expect(byUs).not.toContain('ENC[');
          for (let i = 0; i < places.length; i++) expect(byUs).toContain(`# note ${i}`);
        }),
        // SOPS_COMMENT_FUZZ_RUNS=N runs more (the path rule itself is checked on thousands of
        // layouts against sops' code in comment-path-oracle.test.ts; this runs the real binary).
        { numRuns: Number(process.env.SOPS_COMMENT_FUZZ_RUNS ?? 12), seed: 20261127 },
      );
    });

    it('our edit of a sops file → sops decrypt; untouched ciphertexts stay byte-identical', async () => {
      const plain = write('edit-src.yaml', everyType);
      const encrypted = run(sops, ['encrypt', '--age', recipient, plain]);
      const edited = await setValueInEncryptedText(encrypted, ['nested', 'key'], 'changed', {
        file: 'edit.yaml',
        identities: ids,
      });
      const added = await setValueInEncryptedText(edited, ['nested', 'new_key'], 99, {
        file: 'edit.yaml',
        identities: ids,
      });
      const path = write('edit.yaml', added);
      const out = parseAllDocuments(sopsDecrypt(path, 'yaml'))[0]!.toJS() as Record<
        string,
        Record<string, unknown>
      >;
      expect(out.nested!.key).toBe('changed');
      expect(out.nested!.new_key).toBe(99);
      expect(out.string).toBe('hello world');
      const envelopes = (t: string) => new Set(t.match(/ENC\[[^\]]+\]/g));
      const before = envelopes(encrypted);
      const kept = [...envelopes(added)].filter((e) => before.has(e));
      // All but the changed value, the new value and the MAC are reused verbatim.
      expect(kept.length).toBe(before.size - 2);
    });

    it.each([
      ['json', '{\n  "a": "x",\n  "n": 7\n}\n', ['a'], 'y'],
      ['dotenv', 'A=x\nB=two\n', ['A'], 'y'],
    ] as const)('our set on a sops %s file → sops decrypt', async (format, text, path, value) => {
      const encrypted = run(sops, [
        'encrypt',
        '--age',
        recipient,
        '--input-type',
        format,
        '--output-type',
        format,
        write(`set-src.${format}`, text),
      ]);
      const edited = await setValueInEncryptedText(encrypted, [...path], value, {
        file: `s.${format}`,
        format,
        identities: ids,
      });
      const out = sopsDecrypt(write(`set-out.${format}`, edited), format);
      if (format === 'json') expect(JSON.parse(out)).toEqual({ a: 'y', n: 7 });
      else expect(out).toBe('A=y\nB=two\n');
    });

    it('key groups with a Shamir threshold, both directions', async () => {
      const groups = [[recipient], [extra[0]!.recipient], [extra[1]!.recipient]];
      const ours = await encryptText('secret: s3cr3t\nn: 1\n', {
        file: 'g.yaml',
        keyGroups: groups,
        shamirThreshold: 2,
      });
      expect(contentOf(sopsDecrypt(write('groups-ours.yaml', ours), 'yaml'), 'yaml')).toEqual([
        { secret: 's3cr3t', n: 1 },
      ]);
      const cfgDir = mkdtempSync(join(dir, 'groups-'));
      writeFileSync(
        join(cfgDir, '.sops.yaml'),
        `creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n${groups.map((g) => `      - age:\n          - ${g[0]}\n`).join('')}`,
      );
      writeFileSync(join(cfgDir, 'g.yaml'), 'secret: s3cr3t\nn: 1\n');
      const theirs = run(sops, ['encrypt', 'g.yaml'], cfgDir);
      expect(theirs).toContain('shamir_threshold: 2');
      expect(theirs).toContain('key_groups');
      expect(contentOf(await decryptText(theirs, { file: 'g.yaml', identities: ids }), 'yaml')).toEqual([
        { secret: 's3cr3t', n: 1 },
      ]);
    });

    describeWithTools(['sops-3.9'], 'sops 3.9 (older metadata layout)', () => {
      const legacy = toolPath('sops-3.9')!;
      // sops 3.9 has no `time` type; keep dates out of these fixtures.
      const legacyText = everyType.replace(/^(time|date):.*\n/gm, '');
      it('sops 3.9 encrypt → ours, and ours → sops 3.9 decrypt', async () => {
        const plain = write('legacy.yaml', legacyText);
        const encrypted = run(legacy, ['encrypt', '--age', recipient, plain]);
        expect(encrypted).toMatch(/kms: \[\]|lastmodified/);
        const byUs = await decryptText(encrypted, { file: 'legacy.yaml', identities: ids });
        const enc = write('legacy.enc.yaml', encrypted);
        expect(contentOf(byUs, 'yaml')).toEqual(contentOf(sopsDecrypt(enc, 'yaml', legacy), 'yaml'));
        const ours = await encryptText(legacyText, { file: 'l.yaml', keyGroups: [[recipient]] });
        const back = sopsDecrypt(write('legacy-ours.yaml', ours), 'yaml', legacy);
        expect(contentOf(back, 'yaml')).toEqual(contentOf(byUs, 'yaml'));
        // Our edit of a 3.9 file still decrypts with 3.9.
        const edited = await setValueInEncryptedText(encrypted, ['int'], 43, {
          file: 'legacy.yaml',
          identities: ids,
        });
        expect(sopsDecrypt(write('legacy-edit.yaml', edited), 'yaml', legacy)).toContain('int: 43');
      });
    });
  },
);

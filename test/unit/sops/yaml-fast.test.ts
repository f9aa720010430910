import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { encryptText } from '../../../src/sops/codec.js';
import {
  FastPathUnsupported,
  parseCanonicalSopsBlock,
  parseSimpleYaml,
  renderCanonicalSopsBlock,
} from '../../../src/sops/formats/yaml-fast.js';
import {
  parseYamlFile,
  renderYamlMetadata,
  renderYamlMetadataDocument,
} from '../../../src/sops/formats/yaml-format.js';
import { type TreeNode, walkBranches } from '../../../src/sops/tree.js';
import type { PlainValue } from '../../../src/sops/values.js';
import { projectRoot } from '../../support/tools.js';
import { sampleSopsBlock } from './sample-sops-block.js';
import { makeKey } from './support.js';

// The fast path must be indistinguishable from the CST parser on every text it accepts: same
// tree (keys, typed values, pointers, lines), same metadata, same rendering after the same
// updates. It may refuse any text (the CST parser then handles it).

function shape(node: TreeNode): unknown {
  switch (node.kind) {
    case 'map':
      return node.entries.map((e) => (e.kind === 'pair' ? [e.key, shape(e.value)] : ['#', e.text]));
    case 'seq':
      return node.entries.map((e) => shape(e as TreeNode));
    case 'scalar':
      return { value: node.value, pointer: node.pointer, line: node.line };
    case 'null':
      return null;
  }
}

const replacements: PlainValue[] = [
  { type: 'str', text: 'plain text' },
  { type: 'str', text: 'needs: quoting' },
  { type: 'str', text: '' },
  { type: 'str', text: 'true' },
  { type: 'str', text: ' lead' },
  { type: 'int', text: '42' },
  { type: 'float', text: '1' },
  { type: 'float', text: '2.5' },
  { type: 'bool', text: 'False' },
  { type: 'time', text: '2024-01-02T03:04:05Z' },
];

function applyUpdates(
  parsed: ReturnType<typeof parseYamlFile> | NonNullable<ReturnType<typeof parseSimpleYaml>>,
) {
  let i = 0;
  walkBranches(parsed.branches, ({ leaf }) => {
    const n = i++;
    if (n % 3 === 0)
      leaf.update({ kind: 'encrypted', envelope: `ENC[AES256_GCM,data:x${n}=,iv:aa==,tag:bb==,type:str]` });
    else if (n % 3 === 1) leaf.update({ kind: 'plain', value: replacements[n % replacements.length]! });
  });
}

const meta = {
  lastmodified: '2024-01-01T00:00:00Z',
  mac: 'ENC[x]',
  version: '3.13.3',
  age: [{ recipient: 'age1x', enc: 'a\nb\n' }],
};

function assertSame(text: string): boolean {
  const fast = parseSimpleYaml(text, hooks);
  if (!fast) return false;
  const slow = parseYamlFile(text);
  expect(fast.branches.map(shape)).toEqual(slow.branches.map(shape));
  expect(fast.metadataRaw).toEqual(slow.metadataRaw);
  applyUpdates(fast);
  applyUpdates(slow);
  expect(fast.render(null)).toBe(slow.render(null));
  expect(fast.render(meta)).toBe(slow.render(meta));
  return true;
}

const sopsBlock = sampleSopsBlock;

const scalar = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'abc',
      '1',
      '-2',
      '0x1F',
      '1.50',
      '.5',
      'true',
      'False',
      'yes',
      'null',
      '~',
      '2024-01-01',
      'a b',
      'a:b',
      'ENC[AES256_GCM,data:YQ==,iv:YQ==,tag:YQ==,type:str]',
      'x,y',
      'é',
      '-x',
      '.inf',
      '1_000',
      'a"b',
      "it's",
      '+1',
      '0o17',
      '=x',
      '$v',
    ),
  },
  fc.string({
    minLength: 1,
    maxLength: 8,
    unit: fc.constantFrom(
      'a',
      '1',
      ' ',
      ':',
      '-',
      '.',
      '[',
      ']',
      '{',
      ',',
      '"',
      "'",
      '#',
      '?',
      '!',
      '&',
      '|',
      '>',
      '@',
    ),
  }),
);
const keyName = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .string({ minLength: 1, maxLength: 3, unit: fc.constantFrom('a', 'b', 'c', '_', '1') })
      .map((k) => `k${k}`),
  },
  fc.constantFrom('a', 'b', 'key_1', 'a.b', 'a-b', 'true', '1', 'null', 'sops', 'y'),
  fc.string({ minLength: 1, maxLength: 4, unit: fc.constantFrom('k', '_', '-', '.', ' ', '1') }),
);
const lineKind = fc.record({
  depth: fc.integer({ min: 0, max: 3 }),
  key: keyName,
  value: fc.option(scalar, { nil: undefined }),
  blankAfter: fc.boolean(),
  trailing: fc.constantFrom('', '', ' '),
});
interface Doc {
  lines: Array<{ depth: number; key: string; value?: string; blankAfter: boolean; trailing: string }>;
  indent: number;
  withSops: boolean;
  finalNewline: boolean;
}
const doc: fc.Arbitrary<Doc> = fc.record({
  lines: fc.array(lineKind, { minLength: 1, maxLength: 12 }),
  indent: fc.constantFrom(2, 4),
  withSops: fc.boolean(),
  finalNewline: fc.boolean(),
});

function render(d: Doc): string {
  // Mostly well-formed nesting: a line goes at most one level below a key that has no value.
  let previous = -1;
  let opens = true;
  const lines = d.lines.map((l) => {
    const depth = Math.min(l.depth, opens ? previous + 1 : Math.max(previous, 0));
    previous = depth;
    opens = l.value === undefined;
    return { ...l, depth };
  });
  const body = lines
    .map(
      (l) =>
        `${' '.repeat(l.depth * d.indent)}${l.key}:${l.value === undefined ? '' : ` ${l.value}`}${l.trailing}${l.blankAfter ? '\n' : ''}`,
    )
    .join('\n');
  const text = d.withSops ? `${body}\n${sopsBlock}` : body;
  return d.finalNewline || d.withSops ? `${text}\n` : text;
}

// The metadata block of a file written by `sops encrypt` 3.13.3 (a throwaway test key).
const sops3133Block = `sops:
    age:
        - enc: |
            -----BEGIN AGE ENCRYPTED FILE-----
            YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBSY2RXRzdTSnJZNFhWc0o1
            WkU5TGRZSTJPd2Ztd3U5Uk0yNGMrZ3Rpc2pZCmwxYkNJWE1HL1Qwc2Vsd2l0Y21Y
            dVVsUldKZ0lHMCtFeG8rV2w5bFRZQ28KLS0tIDdxZUFoSnRSWGNNdE13WjdqUlFF
            UDZoc2JuaGwycjNCbDhWdXZ6M2k4WG8KPg4eJpvEQw49TOTFDuR30JObyVYmNeM9
            rdU7s4x+ElaRvc+AYNXFTQzUy2rR3X24CiLmBnjXarKIDwWUseZgwg==
            -----END AGE ENCRYPTED FILE-----
          recipient: age12mfnesj34kw9xax98uwk5d6t49w0lgfefms9qj4ht6r7myj863mqlh5jkn
    lastmodified: "2026-11-27T02:11:29Z"
    mac: ENC[AES256_GCM,data:pdU9wcGeFCNRmVaSDP7CVcqRFxQeRoXwmypqmVuJGJv6Abq5C9EpuGjEoFvdheXc0T6yMzWNgMh7CXoUZq+a/wwxqF1Saq8eBuCDIMP8s7Whf/EIx6417nUM/lc9mlvUaZ2gnLNQx5550wbGeks82k4Va4HpsrBRYE3vbwMppFI=,iv:YAH6O/L8YXQ5L6jOULRD1sJ1FKHOltrSGbz1vRNZ4ZI=,tag:hRaxTqkG05TGm7/URWiVrw==,type:str]
    unencrypted_suffix: _unencrypted
    version: 3.13.3
`;

// What codec.ts passes in; without hooks the fast path refuses non-canonical metadata instead.
const hooks = {
  parseYaml: (text: string) => parse(text, { uniqueKeys: true, logLevel: 'error' as const }),
  renderMetadata: renderYamlMetadata,
};

describe('fast YAML path', () => {
  it('accepts the shape of the benchmark files and agrees with the CST parser', () => {
    const plain =
      'group_0:\n  key_0: secret-value\n  key_1: 1\n  key_2: 0.25\n  key_3: true\nother: ~\nempty:\nlast: x\n';
    expect(assertSame(plain)).toBe(true);
    expect(assertSame(`a: ENC[AES256_GCM,data:YQ==,iv:YQ==,tag:YQ==,type:str]\n\n${sopsBlock}`)).toBe(true);
  });

  it('accepts comments, block sequences and quoted scalars, and agrees with the CST parser', () => {
    for (const text of [
      // Comment blocks above keys at every level, above list items, at the top and the end.
      '# top\n# second\napp:\n    # about name\n    name: demo\n    models:\n        # first\n        - gpt-4\n        - claude\n# end\n',
      // sops' encrypted comments and a list item that is an encrypted comment (sops 3.13).
      `#ENC[AES256_GCM,data:YQ==,iv:YQ==,tag:YQ==,type:comment]\na:\n    - ENC[AES256_GCM,data:YQ==,iv:YQ==,tag:YQ==,type:comment]\n    - x\n${sopsBlock}`,
      // Lists of maps, at +4 (sops), +2 and +0 (hand-written).
      'routes:\n    - path: /a\n      # about model\n      model: x\n    - path: /b\n',
      'routes:\n  - path: /a\n    model: x\n  - path: /b\n',
      'routes:\n- path: /a\n  model: x\n- path: /b\nnext: 1\n',
      // Foot comments followed by a dedent, gap comments, end-of-line comments.
      'a:\n  b:\n    c: 1\n    # foot of b\n  # foot of a\nd: 2\n',
      'a:\n    # between key and block\n  b: 1\n',
      'a: 1 # eol\nb: # opens\n  - x # item\n  - k: v # map item\n',
      // Quoted scalars (escapes, \'\' in single quotes, # inside quotes).
      'a: "x\\ty\\u00e9 # not a comment"\nb: \'it\'\'s\'\nc: "" # empty\nd:\n  - "1"\n',
      // One-line flow sequences of scalars and empty flow collections, as llmcm keeps them.
      'tags: [a, "b c", \'d\', 1, ~] # the tags\nempty: []\nnone: {}\nenc: ["ENC[AES256_GCM,data:YQ==,iv:YQ==,tag:YQ==,type:str]"]\n',
      // End-of-data comments at column 0 after a root-level zero-indented list.
      `k:\n- x\n- a: 1\n# end\n\n# more\n${sopsBlock}`,
      // Quoted keys (yaml.v3 quotes keys such as "on", "1" or ones with special characters).
      '"on": true\n\'a: b\':\n  - "#k": 1\n    \'\': 2\nx:\n  "sops": nested is data\n',
    ]) {
      expect(assertSame(text), text).toBe(true);
    }
  });

  it('reads literal block scalars (prompts) and encrypts them as the CST path does', () => {
    const text =
      '# prompts\np: |\n  You are helpful.\n\n    # not a comment\n  End.\n\nq:\n  - |-\n    item\n  # about x\n  - x\nlast: |\n  tail';
    const fast = parseSimpleYaml(text, hooks)!;
    expect(fast).not.toBeNull();
    const slow = parseYamlFile(text);
    expect(fast.branches.map(shape)).toEqual(slow.branches.map(shape));
    for (const parsed of [fast, slow]) {
      let n = 0;
      walkBranches(parsed.branches, ({ leaf }) =>
        leaf.update({ kind: 'encrypted', envelope: `ENC[AES256_GCM,data:${n++}=,iv:a=,tag:b=,type:str]` }),
      );
    }
    expect(fast.render(null)).toBe(slow.render(null));
    expect(fast.render(meta)).toBe(slow.render(meta));
    expect(fast.render(null)).not.toContain('You are helpful');
    // Rewriting a block scalar as plain text is the CST path's job.
    const again = parseSimpleYaml(text, hooks)!;
    const prompt = (again.branches[0]!.entries[1] as { value: TreeNode }).value;
    expect(() =>
      (prompt as Extract<TreeNode, { kind: 'scalar' }>).update({
        kind: 'plain',
        value: { type: 'str', text: 'x' },
      }),
    ).toThrow(FastPathUnsupported);
  });

  it('refuses what it cannot prove equal: flow and block styles, odd items, keys and comment places', () => {
    for (const text of [
      'a: {b: 1}\n',
      'a: [1, [2]]\n',
      'a: [b: 1]\n',
      'a:\n  - [1]\n',
      'a:\n  b: [1]\n    # kept with the list by the yaml package\nc: 1\n',
      'a: 1\na: 2\n',
      '1: x\n',
      '"sops": x\n',
      '"q":x\n',
      '"q" : x\n',
      'a: >\n  x\n',
      'a: |+\n  x\n',
      'a: |2\n  x\n',
      'a: | # c\n  x\n',
      'a: |\n\n  x\n',
      'a: |\n  x\n     \n  y\n',
      'a: &x 1\n',
      'a: !!str 1\n',
      'a: *x\n',
      '---\na: 1\n',
      'a: 1\r\n',
      'a:\n\tb: 1\n',
      '\ufeffa: 1\n',
      'a: x\n  y\n',
      'a: "x\n  y"\n',
      'a: "\\ud800"\n',
      'a: "bad\\q"\n',
      'a:\n  - - x\n',
      'a:\n  -\n    b: 1\n',
      'a:\n  -  x\n',
      'a:\n  - # c\n',
      '- x\n',
      `${sopsBlock}a: 1\n`,
      `a: 1\n${sopsBlock}# after the block\n`,
      `a: 1\n${sopsBlock.replace('    age:', '    # inside\n    age:')}`,
    ]) {
      expect(parseSimpleYaml(text, hooks), text).toBeNull();
    }
  });

  it('places the foot comments of a root-level zero-indented list as sops does, like the CST path', () => {
    // Refused before the comment rule was shared (yaml-comment-owner.ts); paths from sops 3.13.3
    // (test/interop/sops/comment-path-oracle.test.ts checks them against sops' own code).
    for (const [text, paths] of [
      ['k:\n- a: 1\n # c\nz: 1\n', { ' c': 'k:' }],
      ['k:\n- x\n  # end\n', { ' end': ':' }],
      ['k:\n- a: 1\n  # mate\n# end\n', { ' mate': 'k:', ' end': ':' }],
    ] as const) {
      expect(assertSame(text), text).toBe(true);
      for (const parsed of [parseSimpleYaml(text, hooks)!, parseYamlFile(text)]) {
        const got: Record<string, string> = {};
        walkBranches(parsed.branches, ({ leaf, path }) => {
          if (leaf.kind === 'comment') got[leaf.text] = `${path.join(':')}:`;
        });
        expect(got, text).toEqual(paths);
      }
    }
  });

  it('agrees with the CST parser on every generated text it accepts', () => {
    let accepted = 0;
    fc.assert(
      fc.property(doc, (d) => {
        const text = render(d);
        let slowError = false;
        try {
          parseYamlFile(text);
        } catch {
          slowError = true;
        }
        if (slowError) {
          // Bad input must go to the CST parser, which reports it.
          expect(parseSimpleYaml(text, hooks)).toBeNull();
          return;
        }
        if (assertSame(text)) accepted++;
      }),
      { numRuns: 1500 },
    );
    expect(accepted).toBeGreaterThan(50);
  });

  it('reads the canonical sops block exactly as the yaml package does, and refuses other shapes', async () => {
    const { recipient } = await makeKey();
    const second = (await makeKey()).recipient;
    const texts = [
      readFileSync(join(projectRoot, 'test/fixtures/sops-corpus/secret.enc.yaml'), 'utf8'),
      `a: x\n${sops3133Block}`,
    ];
    const settings = [
      { keyGroups: [[recipient]] },
      { keyGroups: [[recipient, second]], macOnlyEncrypted: true },
      { keyGroups: [[recipient]], selection: { key: 'encrypted_suffix' as const, value: '_secret' } },
      { keyGroups: [[recipient]], selection: { key: 'encrypted_regex' as const, value: '^(a|b)$' } },
      { keyGroups: [[recipient], [second]], shamirThreshold: 2 },
    ];
    for (const s of settings) texts.push(await encryptText('a: 1\nb_secret: x\n', { file: 'f.yaml', ...s }));
    let read = 0;
    for (const text of texts) {
      const lines = text.split('\n');
      const start = lines.indexOf('sops:');
      expect(start).toBeGreaterThan(0);
      const fast = parseCanonicalSopsBlock(lines, start);
      const slow = (parse(lines.slice(start).join('\n')) as { sops: unknown }).sops;
      if (fast) {
        read++;
        expect(fast).toEqual(slow);
      }
    }
    // sops 3.13's block and our three single-group files are canonical; the older corpus file
    // (empty kms/pgp lists), key groups and regexes are not.
    expect(read).toBe(4);
    const lines = texts[2]!.split('\n');
    const start = lines.indexOf('sops:');
    for (const change of [
      (l: string) => l.replace('version: ', 'version: "'),
      (l: string) => l.replace('enc: |', 'enc: |-'),
      (l: string) => l.replace('mac: ENC', 'mac: "ENC'),
      (l: string) => l.replace('lastmodified: "', 'lastmodified: '),
    ]) {
      expect(parseCanonicalSopsBlock(lines.map(change), start)).toBeNull();
    }
  });

  it('writes the canonical sops block byte for byte as the yaml package does', async () => {
    const { recipient } = await makeKey();
    const second = (await makeKey()).recipient;
    let written = 0;
    for (const settings of [
      { keyGroups: [[recipient]] },
      { keyGroups: [[recipient, second]], macOnlyEncrypted: true },
      { keyGroups: [[recipient]], selection: { key: 'encrypted_suffix' as const, value: '_secret' } },
      { keyGroups: [[recipient]], selection: { key: 'encrypted_regex' as const, value: '^(a|b)$' } },
      { keyGroups: [[recipient], [second]], shamirThreshold: 2 },
    ]) {
      const text = await encryptText('a: 1\n', { file: 'f.yaml', ...settings });
      const lines = text.split('\n');
      const meta = parse(lines.slice(lines.indexOf('sops:')).join('\n')).sops as Record<string, unknown>;
      for (const indent of [2, 3, 4, 8]) {
        const direct = renderCanonicalSopsBlock(meta, indent);
        if (direct === null) continue;
        written++;
        expect(direct).toBe(renderYamlMetadataDocument(meta, indent));
        expect(parseCanonicalSopsBlock(direct.split('\n'), 0)).toEqual(meta);
      }
    }
    // The three single-group shapes, at four indents; key groups and regexes go through yaml.
    expect(written).toBe(12);
    expect(renderCanonicalSopsBlock({ version: '3.13.3', extra: 1 }, 4)).toBeNull();
    expect(renderCanonicalSopsBlock({ mac: 'has space' }, 4)).toBeNull();
  });
});

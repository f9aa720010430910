import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { decryptBranches, encryptBranches, type IvStash } from '../../../src/sops/codec-core.js';
import type { ParsedFile } from '../../../src/sops/formats/types.js';
import { FastPathUnsupported, parseSimpleYaml } from '../../../src/sops/formats/yaml-fast.js';
import { parseYamlFile, renderYamlMetadata } from '../../../src/sops/formats/yaml-format.js';
import type { SopsMetadata } from '../../../src/sops/metadata.js';
import { type Selection, type TreeNode, walkBranches } from '../../../src/sops/tree.js';
import type { PlainValue } from '../../../src/sops/values.js';
import { sampleSopsBlock } from './sample-sops-block.js';

// The equality contract of the fast YAML path, on generated files of the shapes it now accepts
// (comments at every column, block sequences at every indentation, quoted scalars, nesting):
// wherever parseSimpleYaml returns a result it must equal parseYamlFile's — tree (keys, values,
// pointers, lines, comments and their owners), the sops walk (paths and comment stacks, which
// make the AADs and the selection), and the rendering after the same updates, including a full
// encrypt → decrypt round trip with the same key and IVs (byte-identical ciphertext text and MAC).

const hooks = {
  parseYaml: (text: string) => parse(text, { uniqueKeys: true, logLevel: 'error' as const }),
  renderMetadata: renderYamlMetadata,
};

/** Tree shape with everything the contract covers (comment text and owner included). */
function shapeOf(node: TreeNode): unknown {
  switch (node.kind) {
    case 'map':
      return node.entries.map((e) =>
        e.kind === 'pair' ? [e.key, shapeOf(e.value)] : ['#', e.text, e.pointer],
      );
    case 'seq':
      return node.entries.map((e) => (e.kind === 'comment' ? ['#', e.text, e.pointer] : shapeOf(e)));
    case 'scalar':
      return { value: node.value, pointer: node.pointer, line: node.line };
    case 'null':
      return null;
  }
}

/** The sops walk as the codec sees it: what is visited, under which path and comment stack. */
function walkOf(parsed: ParsedFile): unknown[] {
  const out: unknown[] = [];
  walkBranches(parsed.branches, ({ leaf, path, commentsStack }) => {
    out.push([leaf.kind, leaf.kind === 'comment' ? leaf.text : leaf.value, path, commentsStack]);
  });
  return out;
}

// IVs derived from (AAD, type, plaintext): both parsers' files encrypt to the same bytes.
class DerivedIvs extends Map<string, Buffer> {
  override get(key: string): Buffer {
    return createHash('sha256').update(key).digest();
  }
}

const key = Buffer.alloc(32, 7);
const meta = {
  age: [
    {
      recipient: 'age1qqqq',
      enc: '-----BEGIN AGE ENCRYPTED FILE-----\nYWJj\n-----END AGE ENCRYPTED FILE-----\n',
    },
  ],
  lastmodified: '2026-01-01T00:00:00Z',
  mac: 'ENC[AES256_GCM,data:abcd,iv:abcd,tag:abcd,type:str]',
  unencrypted_suffix: '_unencrypted',
  version: '3.13.3',
};

function metadataFor(selection: Selection, macOnlyEncrypted: boolean): SopsMetadata {
  return {
    keyGroups: [],
    lastModified: meta.lastmodified,
    mac: meta.mac,
    selection,
    macOnlyEncrypted,
    version: meta.version,
    unknown: {},
  };
}

const replacements: PlainValue[] = [
  { type: 'str', text: 'plain text' },
  { type: 'str', text: 'needs: quoting' },
  { type: 'str', text: '' },
  { type: 'str', text: 'true' },
  { type: 'str', text: ' lead' },
  { type: 'str', text: 'two\nlines ' },
  { type: 'str', text: 'two\nlines' },
  { type: 'str', text: 'clip\n\nkept\n' },
  { type: 'str', text: 'a\n---\n# b' },
  { type: 'int', text: '42' },
  { type: 'float', text: '1' },
  { type: 'bool', text: 'False' },
  { type: 'time', text: '2024-01-02T03:04:05Z' },
];

/**
 * Applies the same updates to a parsed file: envelopes, plain values, comments (also turning
 * sequence items into comment lines). Returns false when the fast path asked for the CST path.
 */
function applyUpdates(parsed: ParsedFile, seed: number): boolean {
  let i = seed;
  try {
    walkBranches(parsed.branches, ({ leaf }) => {
      const n = i++;
      if (leaf.kind === 'comment') {
        if (n % 2 === 0) leaf.update({ kind: 'comment', text: ` c${n}` });
        else
          leaf.update({
            kind: 'encrypted',
            envelope: `ENC[AES256_GCM,data:c${n}=,iv:aa==,tag:bb==,type:comment]`,
          });
        return;
      }
      const inSeq = typeof leaf.pointer[leaf.pointer.length - 1] === 'number';
      if (n % 4 === 0)
        leaf.update({ kind: 'encrypted', envelope: `ENC[AES256_GCM,data:x${n}=,iv:aa==,tag:bb==,type:str]` });
      else if (n % 4 === 1) leaf.update({ kind: 'plain', value: replacements[n % replacements.length]! });
      else if (n % 4 === 2 && inSeq) leaf.update({ kind: 'comment', text: ` item${n}` });
    });
  } catch (error) {
    if (error instanceof FastPathUnsupported) return false;
    throw error;
  }
  return true;
}

const sopsBlock = sampleSopsBlock;

type Outcome = 'accepted' | 'refused' | 'invalid';

/**
 * Compares the two parsers on one text. `invalid`: the CST parser rejects it (the fast path must
 * too); `refused`: the fast path declined; `accepted`: both agreed on everything.
 */
function compareParsers(text: string, selection: Selection, seed = 0): Outcome {
  let slow: ReturnType<typeof parseYamlFile>;
  try {
    slow = parseYamlFile(text);
  } catch {
    expect(parseSimpleYaml(text, hooks), text).toBeNull();
    return 'invalid';
  }
  const fast = parseSimpleYaml(text, hooks);
  if (!fast) return 'refused';
  expect(fast.branches.map(shapeOf), text).toEqual(slow.branches.map(shapeOf));
  expect(fast.metadataRaw).toEqual(slow.metadataRaw);
  expect(walkOf(fast)).toEqual(walkOf(slow));
  expect(fast.render(null)).toBe(slow.render(null));

  // Encrypt with the same key and IVs: same MAC and the same encrypted text.
  const macOnly = seed % 5 === 0;
  if (slow.metadataRaw === undefined) {
    const fastMac = encryptBranches(fast, selection, macOnly, key, new DerivedIvs());
    const slowMac = encryptBranches(slow, selection, macOnly, key, new DerivedIvs());
    expect(fastMac).toBe(slowMac);
    const encrypted = fast.render(meta);
    expect(encrypted).toBe(slow.render(meta));
    // Decrypt that text with both parsers: same MAC, same plaintext rendering.
    const fastEnc = parseSimpleYaml(encrypted, hooks);
    expect(fastEnc, encrypted).not.toBeNull();
    const slowEnc = parseYamlFile(encrypted);
    expect(walkOf(fastEnc!)).toEqual(walkOf(slowEnc));
    const metadata = metadataFor(selection, macOnly);
    const a = decryptBranches(fastEnc!, metadata, key, 'f.yaml', new Map() as IvStash, { pointers: false });
    const b = decryptBranches(slowEnc, metadata, key, 'f.yaml', new Map() as IvStash, { pointers: false });
    expect(a.mac).toBe(b.mac);
    expect(a.mac).toBe(fastMac);
    expect(fastEnc!.render(null)).toBe(slowEnc.render(null));
  }

  // Fresh parses for arbitrary updates (comments, seq items turned into comment lines, quoting).
  const fast2 = parseSimpleYaml(text, hooks)!;
  const slow2 = parseYamlFile(text);
  if (applyUpdates(fast2, seed)) {
    applyUpdates(slow2, seed);
    expect(fast2.render(null)).toBe(slow2.render(null));
    expect(fast2.render(meta)).toBe(slow2.render(meta));
  }
  return 'accepted';
}

// ---- generator -------------------------------------------------------------------------------

type GNode =
  | { kind: 'map'; entries: Array<[string, GNode]> }
  | { kind: 'seq'; items: GNode[] }
  | { kind: 'scalar'; src: string };

// Mostly valid scalars of every style; a few that are invalid YAML or outside the fast shape.
const validScalar = fc.constantFrom(
  'abc',
  'gpt-4o',
  '1',
  '-2',
  '0x1F',
  '1.50',
  'true',
  'no',
  'null',
  '~',
  '2024-01-01',
  'a b',
  'a:b',
  'a#b',
  'x,y',
  'é',
  '-x',
  '.inf',
  'ENC[AES256_GCM,data:YQ==,iv:YQ==,tag:YQ==,type:str]',
  'ENC[AES256_GCM,data:YQ==,iv:YQ==,tag:YQ==,type:comment]',
  '"quoted"',
  '"a\\tb"',
  '"a\\"b"',
  '"\\x41\\u00e9\\U0001F600\\N\\_\\ "',
  '"y"',
  '""',
  '"1"',
  "'single'",
  "'it''s'",
  "''",
  "'#not a comment'",
  '"# nor this"',
  '"x" ',
  '[a, b]',
  '[]',
  '{}',
  '[ "q", \'s\', 1, ~ ]',
  '["ENC[AES256_GCM,data:YQ==,iv:YQ==,tag:YQ==,type:str]"]',
  '[x y,z]',
);
const oddScalar = fc.constantFrom(
  '"bad\\q"',
  '"\\ud800"',
  '"open',
  "'open",
  '"x" y',
  '"x"#c',
  '[1, 2]',
  '{a: 1}',
  '|',
  '&anchor x',
  '*alias',
  '!tag x',
  'a: b',
  '? x',
  '- x',
  '',
  '[a: b]',
  '[a, [b]]',
  '[a,]',
  '[a,,b]',
  '[a #c]',
  '[a] b',
);
// Literal block scalars: a header and body lines (indented when rendered; '' stays empty).
const blockScalar = fc
  .tuple(
    fc.constantFrom('|', '|-', '|', '|-', '|', '|-', '|+', '>', '|2', '| # c'),
    fc.array(
      fc.constantFrom(
        'text',
        'two words',
        '',
        '',
        '# hash',
        '  more indented',
        'k: v',
        '- x',
        '"q"',
        '<-1>',
        '<0>',
        '<+1>',
      ),
      { minLength: 1, maxLength: 4 },
    ),
  )
  .map(([header, body]) => [header, ...body].join('\n'));
const scalarSource = fc.oneof(
  { weight: 40, arbitrary: validScalar },
  { weight: 3, arbitrary: blockScalar },
  { weight: 1, arbitrary: oddScalar },
  {
    weight: 1,
    arbitrary: fc.string({
      minLength: 1,
      maxLength: 6,
      unit: fc.constantFrom('a', '1', ' ', ':', '-', '.', '#', '"', "'", '\\', '[', ','),
    }),
  },
);

const keyName = fc.oneof(
  { weight: 40, arbitrary: fc.constantFrom('a', 'b', 'c', 'name', 'api_key', 'models', 'k1', 'x.y', 'a-b') },
  { weight: 4, arbitrary: fc.constantFrom('sops', '1x', 'k_unencrypted', 'a_b') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '"q"',
      "'q'",
      '"a b"',
      "'it''s'",
      '"x: y"',
      '"#k"',
      '"1"',
      '"sops"',
      '""',
      '"\\t"',
      '"a"',
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('1', 'true', 'null', 'a b', '2024-01-01', '"q" ', '"q":x', "'q") },
);

const gnode: fc.Arbitrary<GNode> = fc.letrec<{ node: GNode; map: GNode; seq: GNode }>((tie) => ({
  node: fc.oneof(
    { maxDepth: 4, depthSize: 'small', withCrossShrink: true },
    { weight: 5, arbitrary: scalarSource.map((src): GNode => ({ kind: 'scalar', src })) },
    { weight: 2, arbitrary: tie('map') },
    { weight: 2, arbitrary: tie('seq') },
  ),
  map: fc
    .uniqueArray(fc.tuple(keyName, tie('node')), { minLength: 1, maxLength: 4, selector: (e) => e[0] })
    .map((entries): GNode => ({ kind: 'map', entries })),
  seq: fc
    .array(fc.oneof({ weight: 30, arbitrary: tie('node').filter((n) => n.kind !== 'seq') }, tie('seq')), {
      minLength: 1,
      maxLength: 3,
    })
    .map((items): GNode => ({ kind: 'seq', items })),
})).map;

interface Style {
  mapIndent: number;
  /** Where a sequence's dashes go relative to its key's column. */
  seqOffset: number;
  /** Extra indentation per nested block, used in turn (irregular hand-written files). */
  jitter: number[];
  /** Spaces after `key:` / trailing spaces, used in turn. */
  spacing: number[];
  turn: number;
}

function take(list: number[], style: Style): number {
  return list.length === 0 ? 0 : list[style.turn++ % list.length]!;
}

function renderNode(node: GNode, col: number, style: Style, out: string[], prefix?: string): void {
  const pad = (c: number) => ' '.repeat(c);
  const gap = () => ' '.repeat(1 + take(style.spacing, style));
  const tail = () => ' '.repeat(take(style.spacing, style) > 1 ? 1 : 0);
  // A block scalar's body goes 1-4 columns past its key or dash; blank lines stay as written.
  const block = (src: string, anchor: number) => {
    const [header, ...body] = src.split('\n');
    const at = anchor + 1 + take(style.spacing, style);
    // '<-1>', '<0>', '<+1>': a blank line one space shorter than, as long as, or longer than the indent.
    const blank: Record<string, number> = { '<-1>': -1, '<0>': 0, '<+1>': 1 };
    const line = (l: string) =>
      l in blank ? pad(Math.max(0, at + blank[l]!)) : l === '' ? '' : `${pad(at)}${l}`;
    return { header: header!, body: body.map(line) };
  };
  if (node.kind === 'map') {
    node.entries.forEach(([k, v], index) => {
      const head = index === 0 && prefix !== undefined ? prefix : pad(col);
      if (v.kind === 'scalar' && v.src.includes('\n')) {
        const b = block(v.src, col);
        out.push(`${head}${k}: ${b.header}`, ...b.body);
      } else if (v.kind === 'scalar') out.push(`${head}${k}:${gap()}${v.src}${tail()}`);
      else {
        out.push(`${head}${k}:${tail()}`);
        const step = take(style.jitter, style);
        renderNode(v, col + (v.kind === 'map' ? style.mapIndent : style.seqOffset) + step, style, out);
      }
    });
    return;
  }
  if (node.kind === 'seq') {
    for (const item of node.items) {
      if (item.kind === 'scalar' && item.src.includes('\n')) {
        const b = block(item.src, col);
        out.push(`${pad(col)}- ${b.header}`, ...b.body);
      } else if (item.kind === 'scalar') out.push(`${pad(col)}- ${item.src}${tail()}`);
      else if (item.kind === 'map') renderNode(item, col + 2, style, out, `${pad(col)}- `);
      else {
        // A sequence directly in a sequence (`- - x`): outside the fast shape.
        out.push(`${pad(col)}-`);
        renderNode(item, col + 2, style, out);
      }
    }
    return;
  }
  out.push(`${prefix ?? pad(col)}${node.src}`);
}

interface Layout {
  root: Array<[string, GNode]>;
  style: Style;
  comments: Array<{ at: number; column: number; text: string }>;
  eol: Array<{ at: number; text: string }>;
  /** Blank lines: where, and how many spaces they hold. */
  blanks: Array<[number, number]>;
  withSops: boolean;
  finalNewline: boolean;
}

const commentText = fc.constantFrom(
  ' note',
  ' sops:enc',
  '',
  '#',
  ' trailing  ',
  'x: y',
  ' - item',
  ' ENC[AES256_GCM,data:YQ==]',
);
const layout: fc.Arbitrary<Layout> = fc.record({
  root: fc.uniqueArray(fc.tuple(keyName, gnode), { minLength: 1, maxLength: 4, selector: (e) => e[0] }),
  style: fc.record({
    mapIndent: fc.constantFrom(2, 4, 2, 4, 1, 3),
    seqOffset: fc.constantFrom(0, 2, 4, 0, 2, 4, 1, 3),
    jitter: fc.oneof(fc.constant<number[]>([]), fc.array(fc.nat(2), { maxLength: 4 })),
    spacing: fc.oneof(fc.constant<number[]>([]), fc.array(fc.nat(3), { maxLength: 4 })),
    turn: fc.constant(0),
  }),
  comments: fc.array(
    fc.record({
      at: fc.nat(60),
      // 0..3 pick the column of the line above / below / their +2 / 0; larger values are literal.
      column: fc.oneof(
        fc.nat(4).map((n) => -1 - n),
        fc.nat(9),
      ),
      text: commentText,
    }),
    { maxLength: 6 },
  ),
  eol: fc.array(fc.record({ at: fc.nat(60), text: commentText }), { maxLength: 3 }),
  blanks: fc.array(fc.tuple(fc.nat(60), fc.constantFrom(0, 0, 1, 3, 6)), { maxLength: 2 }),
  withSops: fc.boolean(),
  finalNewline: fc.boolean(),
});

function renderLayout(l: Layout): string {
  const lines: string[] = [];
  renderNode({ kind: 'map', entries: l.root }, 0, l.style, lines);
  const indentOf = (s: string | undefined) => (s === undefined ? 0 : s.length - s.trimStart().length);
  for (const e of l.eol) {
    const k = e.at % lines.length;
    if (!lines[k]!.trimStart().startsWith('#')) lines[k] = `${lines[k]} #${e.text}`;
  }
  for (const c of l.comments) {
    const k = c.at % (lines.length + 1);
    const above = indentOf(lines[k - 1]);
    const below = indentOf(lines[k]);
    const column = c.column >= 0 ? c.column : [above, below, above + 2, 0, below + 2][-1 - c.column]!;
    lines.splice(k, 0, `${' '.repeat(column)}#${c.text}`);
  }
  for (const [at, spaces] of l.blanks) lines.splice(at % (lines.length + 1), 0, ' '.repeat(spaces));
  const body = lines.join('\n');
  if (l.withSops) return `${body}\n${sopsBlock}`;
  return l.finalNewline ? `${body}\n` : body;
}

const selections: Selection[] = [
  { key: 'unencrypted_suffix', value: '_unencrypted' },
  { key: 'encrypted_regex', value: '^(a|name)$' },
  { key: 'encrypted_comment_regex', value: 'sops:enc' },
  { key: 'unencrypted_comment_regex', value: 'sops:enc' },
];

// Files of the shapes the fast path is for; every comment position and column is tried on them.
const bases = [
  // sops' own layout: 4 spaces, lists at +4, maps in lists, a list in a list item's map.
  `app:
    name: demo
    models:
        - gpt-4
        - claude
    routes:
        - path: /a
          model: x
          tags:
              - t1
        - path: /b
    limits:
        rpm: 600
top: 1
`,
  // Hand-written: 2 spaces, lists at +2 and at +0, quoted scalars, nulls.
  `providers:
  openai:
    api_key: "sk-1"
    tags: [x, "y"]
    fallbacks:
    - 'gpt-4o'
    - ~
  anthropic:
    models:
      - name: claude
        ctx: 200000
      - name: haiku
budget:
  monthly: 100
`,
  // Root-level zero-indented list (foot comments there are refused, the rest must agree).
  `models:
- a
- name: b
  ctx: 1
other:
  k: v
`,
  // A root-level zero-indented list last (comments at the end of the data).
  `top: 1
items:
- a
- name: b
  sub:
    - c
`,
  // Null values, keys opening blocks (comments between a key and its block), nesting.
  `a:
  b:
  c: ~
  d:
    e: 1
f:
g:
    - x
    - y: ''
`,
  // Irregular indentation: lists at +1 and +3, maps at +3.
  `x:
   y:
    - k: 1
      z:
         - 2
   w: "q"
v: 1
`,
];

function* commentedVariants(base: string): Generator<string> {
  const lines = base.trimEnd().split('\n');
  for (let at = 0; at <= lines.length; at++) {
    for (let col = 0; col <= 10; col++) {
      const one = [...lines];
      one.splice(at, 0, `${' '.repeat(col)}# c`);
      yield `${one.join('\n')}\n`;
      yield `${one.join('\n')}\n${sopsBlock}`;
      for (const col2 of [0, 3, 4, 8]) {
        const two = [...one];
        two.splice(at + 1, 0, `${' '.repeat(col2)}# d`);
        yield `${two.join('\n')}\n`;
        const gap = [...one];
        gap.splice(at + 1, 0, '', `${' '.repeat(col2)}# d`);
        yield `${gap.join('\n')}`;
      }
    }
    // End-of-line comments on every line.
    if (at < lines.length) {
      const eol = [...lines];
      eol[at] = `${eol[at]} # e`;
      yield `${eol.join('\n')}\n`;
    }
  }
}

describe('fast YAML path: comments, sequences and quoted scalars', () => {
  it('agrees with the CST parser on every generated file it accepts', () => {
    const counts = {
      accepted: 0,
      refused: 0,
      invalid: 0,
      withComments: 0,
      withSeqs: 0,
      withQuotes: 0,
      withBlocks: 0,
    };
    fc.assert(
      fc.property(layout, fc.nat(3), fc.nat(100), (l, s, seed) => {
        const text = renderLayout(l);
        const outcome = compareParsers(text, selections[s]!, seed);
        counts[outcome]++;
        if (outcome === 'accepted') {
          if (/^ *#/m.test(text)) counts.withComments++;
          if (/^ *- /m.test(text)) counts.withSeqs++;
          if (/["']/.test(text)) counts.withQuotes++;
          if (/[:-] \|-?\n/.test(text)) counts.withBlocks++;
        }
      }),
      { numRuns: 1500, seed: 20261127 },
    );
    // The generator must exercise the new shapes, not only the refusals.
    expect(counts.accepted).toBeGreaterThan(250);
    expect(counts.withComments).toBeGreaterThan(200);
    expect(counts.withSeqs).toBeGreaterThan(200);
    expect(counts.withQuotes).toBeGreaterThan(100);
    expect(counts.withBlocks).toBeGreaterThan(50);
  });

  it('agrees on every comment position and column in typical files', () => {
    const counts = { accepted: 0, refused: 0, invalid: 0 };
    let n = 0;
    for (const base of bases) {
      for (const text of commentedVariants(base)) counts[compareParsers(text, selections[n % 4]!, n++)]++;
    }
    // Only the foot comments of the root-level zero-indented list (third file) may be refused.
    expect(counts.invalid).toBe(0);
    expect(counts.refused).toBeLessThan(counts.accepted / 10);
    expect(counts.accepted).toBeGreaterThan(3500);
  });

  it('agrees on random seeds too (a new sample on every run)', () => {
    fc.assert(
      fc.property(layout, fc.nat(3), fc.nat(100), (l, s, seed) => {
        compareParsers(renderLayout(l), selections[s]!, seed);
      }),
      { numRuns: Number(process.env.YAML_FAST_RUNS ?? 600) },
    );
  });
});

import fc from 'fast-check';

/**
 * Generated YAML layouts with comments everywhere people put them, for comparing the path llmcm
 * gives each comment with the one sops gives it: nested maps and lists (at several
 * indentations, `key:\n- x` too), block scalars, flow collections, whole-line comments at every
 * column (like the line above, the line below, deeper, at column 0), blank lines, comments at the
 * end of the file, right after a `key:` that opens a block, after list items and at line ends.
 * Every comment has a unique text (` cN`), so the two sides' answers are matched by text.
 */
export type LayoutNode =
  | { kind: 'map'; entries: Array<[string, LayoutNode]> }
  | { kind: 'seq'; items: LayoutNode[] }
  | { kind: 'scalar'; src: string };

export interface CommentLayout {
  root: Array<[string, LayoutNode]>;
  mapIndent: number;
  /** Where a sequence's dashes go relative to its key's column. */
  seqOffset: number;
  /** Whole-line comments: where (line index, modulo) and at which column (<0: relative, see below). */
  comments: Array<{ at: number; column: number }>;
  eol: number[];
  blanks: number[];
  /** A second document (after `---`) with its own comments. */
  second?: CommentLayout | undefined;
}

const scalar = fc.constantFrom('v', 'w x', '1', 'true', '"q"', "'s'", '[a, b]', '{x: 1}', '[]', '{}');
const block = fc
  .tuple(
    fc.constantFrom('|', '|-', '>', '|+'),
    fc.array(fc.constantFrom('text', 'two words', ''), { minLength: 1, maxLength: 3 }),
  )
  .map(([header, body]) => `${header}\n${body.map((b) => (b === '' ? '' : `@${b}`)).join('\n')}\n@end`);
const key = fc.constantFrom('a', 'b', 'c', 'd', 'name', 'list');

const node: fc.Arbitrary<LayoutNode> = fc.letrec<{ node: LayoutNode; map: LayoutNode; seq: LayoutNode }>(
  (tie) => ({
    node: fc.oneof(
      { maxDepth: 4, depthSize: 'small', withCrossShrink: true },
      { weight: 4, arbitrary: scalar.map((src): LayoutNode => ({ kind: 'scalar', src })) },
      { weight: 1, arbitrary: block.map((src): LayoutNode => ({ kind: 'scalar', src })) },
      { weight: 3, arbitrary: tie('map') },
      { weight: 2, arbitrary: tie('seq') },
    ),
    map: fc
      .uniqueArray(fc.tuple(key, tie('node')), { minLength: 1, maxLength: 3, selector: (e) => e[0] })
      .map((entries): LayoutNode => ({ kind: 'map', entries })),
    seq: fc
      .array(tie('node'), { minLength: 1, maxLength: 3 })
      .map((items): LayoutNode => ({ kind: 'seq', items })),
  }),
).map;

/**
 * Layouts: a root mapping, its style, and where comments and blank lines go. `usual` keeps to
 * what people write (indent 2 or 4, comments like the line above, the line below, or at column 0).
 */
export function commentLayout(usual = false): fc.Arbitrary<CommentLayout> {
  return usual ? usualLayout : anyLayout;
}

const usualLayout: fc.Arbitrary<CommentLayout> = fc.record({
  root: fc.uniqueArray(fc.tuple(key, node), { minLength: 1, maxLength: 4, selector: (e) => e[0] }),
  mapIndent: fc.constantFrom(2, 4),
  seqOffset: fc.constantFrom(0, 2, 4),
  comments: fc.array(fc.record({ at: fc.nat(80), column: fc.constantFrom(-1, -2, -5) }), {
    minLength: 1,
    maxLength: 5,
  }),
  eol: fc.array(fc.nat(80), { maxLength: 2 }),
  blanks: fc.array(fc.nat(80), { maxLength: 2 }),
});

const singleLayout: fc.Arbitrary<CommentLayout> = fc.record({
  root: fc.uniqueArray(fc.tuple(key, node), { minLength: 1, maxLength: 4, selector: (e) => e[0] }),
  mapIndent: fc.constantFrom(2, 4, 2, 4, 3),
  seqOffset: fc.constantFrom(0, 2, 4, 0, 2),
  comments: fc.array(
    fc.record({
      at: fc.nat(80),
      // -1..-6: like the line above, below, above + 2, below + 2, column 0, one less than below.
      column: fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: -6, max: -1 }) },
        { weight: 1, arbitrary: fc.nat(9) },
      ),
    }),
    { minLength: 1, maxLength: 7 },
  ),
  eol: fc.array(fc.nat(80), { maxLength: 3 }),
  blanks: fc.array(fc.nat(80), { maxLength: 2 }),
});

interface Line {
  text: string;
  /** A block scalar's body line: no comment line may go right before it. */
  body: boolean;
  /** A line that can take an end-of-line comment. */
  eol: boolean;
}

function renderNode(n: LayoutNode, col: number, l: CommentLayout, out: Line[], prefix?: string): void {
  const pad = (c: number) => ' '.repeat(c);
  if (n.kind === 'map') {
    n.entries.forEach(([k, v], index) => {
      const head = index === 0 && prefix !== undefined ? prefix : pad(col);
      if (v.kind === 'scalar') pushScalar(`${head}${k}: `, v.src, col, out);
      else {
        out.push({ text: `${head}${k}:`, body: false, eol: true });
        renderNode(v, col + (v.kind === 'map' ? l.mapIndent : l.seqOffset), l, out);
      }
    });
    return;
  }
  if (n.kind === 'seq') {
    for (const item of n.items) {
      if (item.kind === 'scalar') pushScalar(`${pad(col)}- `, item.src, col, out);
      else if (item.kind === 'map') renderNode(item, col + 2, l, out, `${pad(col)}- `);
      else {
        out.push({ text: `${pad(col)}-`, body: false, eol: true });
        renderNode(item, col + 2, l, out);
      }
    }
    return;
  }
}

function pushScalar(head: string, src: string, col: number, out: Line[]): void {
  const [first, ...body] = src.split('\n');
  out.push({ text: `${head}${first}`, body: false, eol: body.length === 0 });
  for (const b of body) {
    out.push({ text: b === '' ? '' : `${' '.repeat(col + 2)}${b.slice(1)}`, body: true, eol: false });
  }
}

const anyLayout: fc.Arbitrary<CommentLayout> = fc
  .tuple(
    singleLayout,
    fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: singleLayout }),
  )
  .map(([first, second]) => ({ ...first, second }));

/** The YAML text of a layout; comment N reads `# cN` (numbered on through a second document). */
export function renderCommentLayout(l: CommentLayout): string {
  const first = renderDocument(l, 0);
  if (!l.second) return first.text;
  return `${first.text}---\n${renderDocument(l.second, first.next).text}`;
}

function renderDocument(l: CommentLayout, from: number): { text: string; next: number } {
  const lines: Line[] = [];
  renderNode({ kind: 'map', entries: l.root }, 0, l, lines);
  let n = from;
  for (const at of l.eol) {
    const k = at % lines.length;
    if (lines[k]!.eol) {
      lines[k] = { ...lines[k]!, text: `${lines[k]!.text} # c${n++}`, eol: false };
    }
  }
  const indentOf = (s: Line | undefined) => (s === undefined ? 0 : s.text.length - s.text.trimStart().length);
  for (const c of l.comments) {
    const k = c.at % (lines.length + 1);
    if (lines[k]?.body) continue;
    const above = indentOf(lines[k - 1]);
    const below = indentOf(lines[k]);
    const column =
      c.column >= 0
        ? c.column
        : [above, below, above + 2, below + 2, 0, Math.max(0, below - 1)][-1 - c.column]!;
    lines.splice(k, 0, { text: `${' '.repeat(column)}# c${n++}`, body: false, eol: false });
  }
  for (const at of l.blanks) {
    const k = at % (lines.length + 1);
    if (!lines[k]?.body) lines.splice(k, 0, { text: '', body: false, eol: false });
  }
  return { text: `${lines.map((x) => x.text).join('\n')}\n`, next: n };
}

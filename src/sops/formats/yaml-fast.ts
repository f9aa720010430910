import type { LeafUpdate, TreeComment, TreeMap, TreeNode, TreeSeq } from '../tree.js';
import { type PlainValue, resolveYamlV3Plain } from '../values.js';
import type { ParsedFile } from './types.js';
import { type GapLine, type GapNext, type GapPrevious, placeGapComments } from './yaml-comment-owner.js';
import { detectIndent, plainStyle, yamlDoubleQuoted } from './yaml-style.js';

/**
 * What the fast path needs from the yaml package, passed in so that this module does not load it:
 * a parser for a `sops:` block that is not in canonical form, and the metadata renderer (encrypt).
 * Without them such a file is refused (null) and rendering with metadata throws.
 */
export interface SimpleYamlHooks {
  parseYaml?: (text: string) => unknown;
  renderMetadata?: (metadata: Record<string, unknown>, indent: number) => string;
}

/**
 * Thrown by a fast-path leaf update that only the full CST parser can write (a mapping value
 * that decrypts to a comment, a block scalar rewritten as plain text, ...). Callers redo the
 * whole operation with parseYamlFile; nothing has been written at that point.
 */
export class FastPathUnsupported extends Error {
  constructor() {
    super('the fast YAML path cannot write this value');
    this.name = 'FastPathUnsupported';
  }
}

// What the fast path accepts (one YAML document, block style only):
// - mappings of plain or one-line quoted keys (`key: value`, `key:` opening a nested block);
// - block sequences (`- value`, `- key: value` opening a mapping at the item's indent), at any
//   indentation yaml.v3 or people write (`key:\n    - x`, `key:\n  - x`, `key:\n- x`);
// - one-line scalars: plain, 'single-' or "double-quoted"; literal block scalars (`|`, `|-`: prompts);
// - one-line flow sequences of scalars as mapping values (`tags: [a, "b"]`, as llmcm keeps them), `{}`;
// - whole-line comments and end-of-line comments (sops' `#ENC[...]` lines included);
// - a trailing `sops:` block.
// Anything else (other flow collections, folded or keep-chomped block scalars, multi-line scalars,
// tags, anchors, aliases, document markers, tabs, CR, empty items, lists in lists) returns null
// and goes to the yaml package's CST parser. Why: that parser costs ~35 ms cold on a 1,000-key
// file and ~80 ms on one with comments and lists, most of a CLI run. The result must equal
// parseYamlFile's exactly (tree, comment placement, rendering after any updates):
// test/unit/sops/yaml-fast*.test.ts compare the two, docs/sops.md says how.
const keyPattern = /([A-Za-z0-9_][A-Za-z0-9_.-]*):(?= |$)/y;
const plainStart = /(?:[A-Za-z0-9_./+=~$^(\\\u00a1-\uffff]|-[^ ])/y;
// Characters the YAML lexer treats specially anywhere in a file (breaks, BOM, controls, tab).
const unsafeChars = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;
// yaml's double-quoted escapes (resolve-flow-scalar.ts), minus line continuations.
const escapes: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  e: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
};

/** A block collection, with what the comment placement rules need (mirrors yaml-format's Container). */
interface Box {
  kind: 'map' | 'seq';
  tree: TreeMap | TreeSeq;
  column: number;
  depth: number;
  pointer: (string | number)[];
  parent: Box | undefined;
  keys: Set<string>;
  /** Source offset of each entry in tree.entries (key start, or item value start). */
  positions: number[];
  comments: Array<{ pos: number; entry: TreeComment }> | undefined;
}

/** A replacement of columns [start, end) of one line, applied at render time. */
interface Edit {
  start: number;
  end: number;
  text: string;
  /** Lines inserted after this one (the body of a block scalar), without the final newline. */
  after?: string;
  /** The lines after this one up to this index are dropped (a block scalar's old body). */
  drop?: number;
}

interface ScannedValue {
  /** Column of the scalar, or -1 when the value is empty (a nested block or null follows). */
  start: number;
  end: number;
  /** undefined: empty; null: a null scalar (`~`, `null`). */
  value: PlainValue | null | undefined;
  /** Column of an end-of-line comment's `#`, or -1. */
  hash: number;
  /** A literal block scalar header (`|` or `|-`): its chomping; `last` is its last body line. */
  block?: { strip: boolean; last: number };
  /** A one-line flow collection: `[...]` items (columns and values), or `{}`. */
  flow?: { kind: 'seq' | 'map'; items: Array<{ start: number; end: number; value: PlainValue | null }> };
}

/**
 * A one-line flow sequence of scalars starting at `i` (on its `[`), or an empty `{}`: the items
 * and the column after the closing bracket, or null. Plain items must be free of flow indicators,
 * `:` and `#`; nested collections, empty items and a trailing comma are left to the yaml package.
 */
function scanFlow(line: string, i: number): { flow: NonNullable<ScannedValue['flow']>; end: number } | null {
  let j = i + 1;
  while (line.charCodeAt(j) === 32) j++;
  if (line.charCodeAt(i) === 123) {
    return line.charCodeAt(j) === 125 ? { flow: { kind: 'map', items: [] }, end: j + 1 } : null;
  }
  const items: NonNullable<ScannedValue['flow']>['items'] = [];
  if (line.charCodeAt(j) === 93) return { flow: { kind: 'seq', items }, end: j + 1 };
  for (;;) {
    while (line.charCodeAt(j) === 32) j++;
    const start = j;
    let end: number;
    let value: PlainValue | null;
    if (line.charCodeAt(j) === 34 || line.charCodeAt(j) === 39) {
      const quoted = scanQuoted(line, j);
      if (!quoted) return null;
      value = { type: 'str', text: quoted.text };
      j = end = quoted.end;
    } else {
      plainStart.lastIndex = j;
      if (!plainStart.test(line)) return null;
      while (j < line.length && !/[,[\]{}:#]/.test(line[j]!)) j++;
      end = j;
      while (line.charCodeAt(end - 1) === 32) end--;
      value = resolveYamlV3Plain(line.slice(start, end));
    }
    items.push({ start, end, value });
    while (line.charCodeAt(j) === 32) j++;
    const stop = line.charCodeAt(j++);
    if (stop === 93) return { flow: { kind: 'seq', items }, end: j };
    if (stop !== 44) return null;
  }
}

function newBox(
  kind: 'map' | 'seq',
  column: number,
  depth: number,
  pointer: (string | number)[],
  parent: Box | undefined,
): Box {
  return {
    kind,
    tree: kind === 'map' ? { kind: 'map', entries: [] } : { kind: 'seq', entries: [] },
    column,
    depth,
    pointer,
    parent,
    keys: new Set(),
    positions: [],
    comments: undefined,
  };
}

/**
 * A one-line quoted scalar starting at column `i` (on its quote): the decoded text and the column
 * after the closing quote, or null (unterminated, or an escape left to the yaml package).
 */
function scanQuoted(line: string, i: number): { text: string; end: number } | null {
  if (line.charCodeAt(i) === 34) {
    // "double-quoted": ends at the first unescaped quote on this line.
    let j = i + 1;
    while (j < line.length && line.charCodeAt(j) !== 34) j += line.charCodeAt(j) === 92 ? 2 : 1;
    if (j >= line.length) return null;
    const text = decodeDoubleQuoted(line.slice(i + 1, j));
    return text === null ? null : { text, end: j + 1 };
  }
  // 'single-quoted': '' is a quote.
  let j = i + 1;
  for (;;) {
    j = line.indexOf("'", j);
    if (j < 0) return null;
    if (line.charCodeAt(j + 1) !== 39) break;
    j += 2;
  }
  return { text: line.slice(i + 1, j).replace(/''/g, "'"), end: j + 1 };
}

/** A mapping key at `col`: plain, or quoted and followed by `:` and a space or the line end. */
function readKey(line: string, col: number): { key: string; colon: number; quoted: boolean } | null {
  const ch = line.charCodeAt(col);
  if (ch === 34 || ch === 39) {
    const quoted = scanQuoted(line, col);
    if (!quoted || line.charCodeAt(quoted.end) !== 58) return null;
    if (quoted.end + 1 < line.length && line.charCodeAt(quoted.end + 1) !== 32) return null;
    return { key: quoted.text, colon: quoted.end, quoted: true };
  }
  const end = keyEnd(line, col);
  return end < 0 ? null : { key: line.slice(col, end), colon: end, quoted: false };
}

/** Column of the `:` after a plain key starting at `col`, or -1. */
function keyEnd(line: string, col: number): number {
  keyPattern.lastIndex = col;
  const m = keyPattern.exec(line);
  return m ? col + m[1]!.length : -1;
}

/** The rest of the line after a comment-free scalar: spaces, then nothing or ` #comment`. */
function tailAfter(line: string, from: number): number | null {
  let i = from;
  while (line.charCodeAt(i) === 32) i++;
  if (i === line.length) return -1;
  return line.charCodeAt(i) === 35 && i > from ? i : null;
}

function decodeDoubleQuoted(body: string): string | null {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = body[++i]!;
    const simple = escapes[next];
    if (simple !== undefined) {
      out += simple;
      continue;
    }
    const length = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0;
    const hex = body.slice(i + 1, i + 1 + length);
    if (length === 0 || !/^[0-9a-fA-F]+$/.test(hex) || hex.length !== length) return null;
    const code = Number.parseInt(hex, 16);
    // Lone surrogates and out-of-range code points: leave those to the yaml package.
    if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return null;
    out += String.fromCodePoint(code);
    i += length;
  }
  return out;
}

/** Reads the one-line value starting at or after `from`; null when it is outside the shape. */
function scanValue(line: string, from: number): ScannedValue | null {
  let i = from;
  while (line.charCodeAt(i) === 32) i++;
  if (i === line.length) return { start: -1, end: -1, value: undefined, hash: -1 };
  const ch = line.charCodeAt(i);
  if (ch === 35) return i > from ? { start: -1, end: -1, value: undefined, hash: i } : null;
  if (ch === 34 || ch === 39) {
    const quoted = scanQuoted(line, i);
    if (!quoted) return null;
    const hash = tailAfter(line, quoted.end);
    if (hash === null) return null;
    return { start: i, end: quoted.end, value: { type: 'str', text: quoted.text }, hash };
  }
  if (ch === 91 || ch === 123) {
    const scanned = scanFlow(line, i);
    if (!scanned) return null;
    const hash = tailAfter(line, scanned.end);
    if (hash === null) return null;
    return { start: i, end: scanned.end, value: undefined, hash, flow: scanned.flow };
  }
  if (ch === 124) {
    // `|` or `|-` alone: a literal block scalar (its body is read by the caller).
    const strip = line.charCodeAt(i + 1) === 45;
    if (i + (strip ? 2 : 1) !== line.length) return null;
    return { start: i, end: line.length, value: undefined, hash: -1, block: { strip, last: -1 } };
  }
  plainStart.lastIndex = i;
  if (!plainStart.test(line)) return null;
  const commentAt = line.indexOf(' #', i);
  let end = commentAt < 0 ? line.length : commentAt;
  while (line.charCodeAt(end - 1) === 32) end--;
  const text = line.slice(i, end);
  if (text.includes(': ') || text.endsWith(':')) return null;
  return { start: i, end, value: resolveYamlV3Plain(text), hash: commentAt < 0 ? -1 : commentAt + 1 };
}

/**
 * Parses a YAML text of the shape above into the same branches, metadata and rendering as
 * parseYamlFile gives for it, or returns null when the text is outside that shape (the caller
 * then uses parseYamlFile, which also produces the right error for bad input).
 */
export function parseSimpleYaml(text: string, hooks: SimpleYamlHooks = {}): ParsedFile | null {
  if (text === '' || unsafeChars.test(text)) return null;
  const lines = text.split('\n');
  const count = lines.length;
  const root = newBox('map', 0, 0, [], undefined);
  const stack: Box[] = [root];
  const edits = new Map<number, Edit[]>();
  // Per line: the outermost and innermost collection with an entry on it (content lines only).
  // Only a text with a `#` can hold comments: the rest skips the bookkeeping they need.
  const tracking = text.includes('#');
  const outer: Array<Box | undefined> = tracking ? new Array(count) : [];
  const inner: Array<Box | undefined> = tracking ? new Array(count) : [];
  // A flow collection ending a line, and whether its key is the first of its mapping.
  const flowValue = new Map<number, { box: Box; first: boolean }>();
  // Lines ending with `key:` and nothing after it (a null value, or a block opening below).
  const valueLine = new Set<number>();
  // A line ending with a flow collection and a comment: the comment belongs to the collection.
  const flowOnLine = new Map<number, Box>();
  const comments: Array<{ line: number; col: number; eol: boolean; offset: number }> = [];
  // A key with no value waits here until the next content line tells whether it opens a block.
  let pending: { box: Box; key: string; pointer: (string | number)[]; line: number; pos: number } | undefined;
  let sopsLine = -1;
  let entryCount = 0;
  // The last body line of a block scalar just read, and the body lines that start with `#`.
  let skipUntil = -1;
  let offset = 0;

  const addEdit = (line: number, edit: Edit) => {
    const list = edits.get(line);
    if (list) list.push(edit);
    else edits.set(line, [edit]);
  };
  const mark = (box: Box, line: number) => {
    if (!tracking) return;
    const o = outer[line];
    if (!o || box.depth < o.depth) outer[line] = box;
    const n = inner[line];
    if (!n || box.depth > n.depth) inner[line] = box;
  };
  const closePending = () => {
    if (!pending) return;
    (pending.box.tree as TreeMap).entries.push({ kind: 'pair', key: pending.key, value: { kind: 'null' } });
    if (tracking) pending.box.positions.push(pending.pos);
    pending = undefined;
  };
  const openPending = (kind: 'map' | 'seq', column: number): Box => {
    const p = pending!;
    const child = newBox(kind, column, p.box.depth + 1, p.pointer, p.box);
    (p.box.tree as TreeMap).entries.push({ kind: 'pair', key: p.key, value: child.tree });
    if (tracking) p.box.positions.push(p.pos);
    stack.push(child);
    pending = undefined;
    return child;
  };
  // Whether the first non-blank line after `line` is a comment indented past `column`: the yaml
  // package keeps such comments with the scalar before them, and its setScalarValue drops them
  // when that scalar becomes a block scalar (parseYamlFile loses them). Left to the CST path.
  const deeperCommentAfter = (line: number, column: number): boolean => {
    for (let j = line + 1; j < count; j++) {
      const l = lines[j]!;
      const at = l.length - l.trimStart().length;
      if (at === l.length) continue;
      return l.charCodeAt(at) === 35 && at > column;
    }
    return false;
  };
  const makeLeaf = (
    line: number,
    scanned: ScannedValue,
    value: PlainValue,
    pointer: (string | number)[],
    dash: number,
    contentCol: number,
    box: Box,
    inFlow = false,
  ): TreeNode => {
    const start = scanned.start;
    const end = scanned.end;
    const blockLast = scanned.block?.last;
    // Created on the first update (a plain decrypt of a big file allocates less).
    let edit: Edit | undefined;
    return {
      kind: 'scalar',
      value,
      pointer,
      line: line + 1,
      update(update: LeafUpdate) {
        // Once a block scalar, the CST token changes kind: leave further updates to the CST path.
        if (edit?.after !== undefined) throw new FastPathUnsupported();
        let text: string;
        let from = start;
        let after: string | undefined;
        if (blockLast !== undefined) {
          // A block scalar becomes a plain envelope: its header is replaced and its body dropped,
          // as CST.setScalarValue does. Other rewrites of a block scalar stay on the CST path.
          if (update.kind !== 'encrypted' || edit) throw new FastPathUnsupported();
          edit = { start, end, text: update.envelope, drop: blockLast };
          addEdit(line, edit);
          return;
        }
        // In a flow collection an envelope is double-quoted, as parseYamlFile writes it.
        if (update.kind === 'encrypted') text = inFlow ? `"${update.envelope}"` : update.envelope;
        else if (update.kind === 'plain') {
          const style = plainStyle(update.value, inFlow);
          if (style.type === 'QUOTE_DOUBLE') text = yamlDoubleQuoted(style.text);
          else if (style.type === 'PLAIN') text = style.text;
          else if (style.type === 'BLOCK_LITERAL' && !deeperCommentAfter(line, box.column)) {
            // What the yaml package's setScalarValue writes for the strings plainStyle sends
            // here (no leading, trailing or line-edge spaces, at most one final newline): `|` or
            // `|-`, then the lines indented two past the line's key or item (the token's indent).
            const pad = ' '.repeat(contentCol + 2);
            const clip = style.text.endsWith('\n');
            const body = clip ? style.text.slice(0, -1) : style.text;
            text = clip ? '|' : '|-';
            after = pad + body.replace(/\n+/g, (run) => run + pad);
          } else throw new FastPathUnsupported();
        } else {
          // A sequence item that decrypts to a comment (sops 3.13 writes comments in lists as
          // items) becomes a comment line where the dash was, as parseYamlFile writes it.
          if (dash < 0 || inFlow) throw new FastPathUnsupported();
          from = dash;
          text = `#${update.text}`;
        }
        if (edit) {
          edit.start = from;
          edit.text = text;
          edit.after = after;
        } else {
          edit = { start: from, end, text, after };
          addEdit(line, edit);
        }
      },
    };
  };
  const addValue = (
    box: Box,
    line: number,
    scanned: ScannedValue,
    pointer: (string | number)[],
    key: string | undefined,
    pos: number,
    dash: number,
    contentCol: number,
  ) => {
    const value = scanned.value;
    const node: TreeNode =
      value === null || value === undefined
        ? { kind: 'null' }
        : makeLeaf(line, scanned, value, pointer, dash, contentCol, box);
    if (key === undefined) (box.tree as TreeSeq).entries.push(node);
    else (box.tree as TreeMap).entries.push({ kind: 'pair', key, value: node });
    if (tracking) box.positions.push(pos);
  };
  /**
   * Reads the body of the literal block scalar whose header is on line `h`, indented past
   * `anchor` (the column of its key, or of its dash), into `scanned`; false when the body is
   * outside the shape (no body, a blank line longer than the indent, a line indented between
   * `anchor` and the body). The main loop then skips the body lines.
   */
  const readBlock = (h: number, anchor: number, scanned: ScannedValue): boolean => {
    const first = lines[h + 1];
    if (first === undefined) return false;
    const indent = first.length - first.trimStart().length;
    if (indent === first.length || indent <= anchor) return false;
    const parts: string[] = [];
    let last = h;
    for (let j = h + 1; j < count; j++) {
      const l = lines[j]!;
      let at = 0;
      while (l.charCodeAt(at) === 32) at++;
      if (at === l.length) {
        // An empty line (kept inside the value, dropped at its end).
        if (l.length > indent) return false;
        parts.push('');
        continue;
      }
      if (at < indent) {
        if (at > anchor) return false;
        break;
      }
      parts.push(l.slice(indent));
      last = j;
    }
    parts.length = last - h;
    const text = parts.join('\n');
    scanned.value = { type: 'str', text: scanned.block!.strip ? text : `${text}\n` };
    scanned.block!.last = last;
    skipUntil = last;
    return true;
  };
  /** The `key: ...` at `col` of a line, into `map`; false when outside the shape. */
  const readPair = (
    map: Box,
    i: number,
    line: string,
    col: number,
    read: { key: string; colon: number; quoted: boolean },
  ): boolean => {
    const key = read.key;
    const end = read.colon;
    if (map.keys.has(key)) return false;
    // Plain keys must resolve to strings; a quoted root `sops` key would be the metadata.
    if (read.quoted ? map === root && key === 'sops' : resolveYamlV3Plain(key)?.type !== 'str') return false;
    map.keys.add(key);
    entryCount++;
    mark(map, i);
    const scanned = scanValue(line, end + 1);
    if (!scanned) return false;
    if (scanned.hash >= 0) comments.push({ line: i, col: scanned.hash, eol: true, offset });
    const pointer = [...map.pointer, key];
    if (scanned.block && !readBlock(i, col, scanned)) return false;
    if (scanned.flow) {
      // A one-line flow collection. parseYamlFile gives it the comment at the end of its line,
      // and the comment lines right after it that are indented past `map` (the yaml package
      // keeps them with the collection): those are left to the CST path.
      if (tracking && deeperCommentAfter(i, map.column)) return false;
      const flow = scanned.flow;
      const box = newBox(flow.kind, -1, map.depth + 1, pointer, map);
      flow.items.forEach((item, index) => {
        const itemScan: ScannedValue = { start: item.start, end: item.end, value: item.value, hash: -1 };
        (box.tree as TreeSeq).entries.push(
          item.value === null
            ? { kind: 'null' }
            : makeLeaf(i, itemScan, item.value, [...pointer, index], -1, col, map, true),
        );
        if (tracking) box.positions.push(offset + item.start);
      });
      if (scanned.hash >= 0) flowOnLine.set(i, box);
      if (tracking) flowValue.set(i, { box, first: map.tree.entries.length === 0 });
      (map.tree as TreeMap).entries.push({ kind: 'pair', key, value: box.tree });
      if (tracking) map.positions.push(offset + col);
      return true;
    }
    if (scanned.value === undefined) {
      pending = { box: map, key, pointer, line: i, pos: offset + col };
      if (tracking) valueLine.add(i);
    } else addValue(map, i, scanned, pointer, key, offset + col, -1, col);
    return true;
  };

  for (let i = 0; i < count; offset += lines[i]!.length + 1, i++) {
    if (i <= skipUntil) continue;
    const line = lines[i]!;
    let col = 0;
    while (line.charCodeAt(col) === 32) col++;
    if (col === line.length) continue;
    if (line.charCodeAt(col) === 35) {
      comments.push({ line: i, col, eol: false, offset });
      continue;
    }
    if (line.charCodeAt(col) === 45 && (col + 1 === line.length || line.charCodeAt(col + 1) === 32)) {
      // A sequence item.
      let seq: Box;
      if (pending && col >= pending.box.column) seq = openPending('seq', col);
      else {
        closePending();
        while (stack[stack.length - 1]!.column > col) stack.pop();
        seq = stack[stack.length - 1]!;
        if (seq.kind !== 'seq' || seq.column !== col) return null;
      }
      const at = col + 2;
      if (at >= line.length || line.charCodeAt(at) === 32) return null;
      const index = seq.tree.entries.length;
      mark(seq, i);
      const read = readKey(line, at);
      if (read) {
        const map = newBox('map', at, seq.depth + 1, [...seq.pointer, index], seq);
        (seq.tree as TreeSeq).entries.push(map.tree);
        if (tracking) seq.positions.push(offset + at);
        stack.push(map);
        if (!readPair(map, i, line, at, read)) return null;
        continue;
      }
      const scanned = scanValue(line, at);
      if (scanned?.flow) return null;
      if (scanned?.block && !readBlock(i, col, scanned)) return null;
      if (!scanned || scanned.value === undefined) return null;
      if (scanned.hash >= 0) comments.push({ line: i, col: scanned.hash, eol: true, offset });
      entryCount++;
      addValue(seq, i, scanned, [...seq.pointer, index], undefined, offset + scanned.start, col, at);
      continue;
    }
    const read = readKey(line, col);
    if (!read) return null;
    if (col === 0 && read.colon === 4 && !read.quoted && read.key === 'sops') {
      // The metadata block must be the last top-level entry, with no inline value.
      if (line.slice(5).trim() !== '' || root.keys.has('sops')) return null;
      // Blank lines after the block attach to the data in the CST: keep that case on the CST path.
      if (/\n[ ]*\n[ \n]*$/.test(text)) return null;
      for (let j = i + 1; j < count; j++) {
        const l = lines[j]!;
        if (l.trim() !== '' && (!l.startsWith(' ') || l.trimStart().startsWith('#'))) return null;
      }
      closePending();
      sopsLine = i;
      break;
    }
    let map: Box;
    if (pending && col > pending.box.column) map = openPending('map', col);
    else {
      closePending();
      let top = stack[stack.length - 1]!;
      while (top.column > col || (top.kind === 'seq' && top.column === col)) {
        stack.pop();
        top = stack[stack.length - 1]!;
      }
      if (top.kind !== 'map' || top.column !== col) return null;
      map = top;
    }
    if (!readPair(map, i, line, col, read)) return null;
  }
  closePending();
  if (entryCount === 0) return null;
  const dataLines = sopsLine >= 0 ? sopsLine : count;
  if (comments.length > 0 && !placeComments()) return null;

  /**
   * Gives each comment the collection parseYamlFile gives it (yaml.v3's rule, shared through
   * yaml-comment-owner.ts), then merges comments into the entries by position. False when a gap
   * has no content line where the line model needs one (not expected in this shape).
   */
  function placeComments(): boolean {
    // Columns of the first non-space character (the fast shape has no tabs); the line's length
    // when it is blank.
    const colOf = (i: number) => {
      const l = lines[i]!;
      let k = 0;
      while (l.charCodeAt(k) === 32) k++;
      return k;
    };
    const isComment = new Int8Array(dataLines);
    for (const c of comments) if (!c.eol) isComment[c.line] = 1;
    // A last line of whitespace without a newline is dropped by the writer: not part of a gap.
    let end = dataLines;
    if (sopsLine < 0 && end > 0 && colOf(end - 1) === lines[end - 1]!.length) end--;
    const isGapLine = (i: number) => isComment[i] === 1 || colOf(i) === lines[i]!.length;
    // Whole-line comments: yaml.v3's rule (yaml-comment-owner.ts) per run of comment and blank
    // lines, on the same line model parseYamlFile builds.
    const gapOwner: Array<Box | undefined> = new Array(dataLines);
    // Lines whose first key got a foot comment from the gap before them (see GapPrevious).
    const keyFoot = new Set<number>();
    for (const c of comments) {
      if (c.eol || gapOwner[c.line]) continue;
      let from = c.line;
      while (from > 0 && isGapLine(from - 1)) from--;
      let to = c.line;
      while (to + 1 < end && isGapLine(to + 1)) to++;
      let prev: GapPrevious<Box> | undefined;
      if (from > 0) {
        let entryLine = from - 1;
        while (entryLine >= 0 && !outer[entryLine]) entryLine--;
        if (entryLine < 0) return false;
        prev = {
          endLine: from - 1,
          inner: inner[entryLine]!,
          last: valueLine.has(entryLine) ? 'value' : 'node',
        };
        const flow = flowValue.get(entryLine);
        if (flow) {
          prev.last = 'flow';
          prev.flow = flow.box;
          prev.keyHasFoot = flow.first && keyFoot.has(entryLine);
        }
      }
      let next: GapNext<Box> | undefined;
      if (to + 1 < end) {
        const n = outer[to + 1];
        if (!n) return false;
        next = { column: colOf(to + 1), outer: n };
      }
      const gap: GapLine[] = [];
      for (let l = from; l <= to; l++) gap.push({ line: l, column: isComment[l] ? colOf(l) : -1 });
      const placed = placeGapComments(prev, next, root, gap);
      if (placed.nextKeyFoot) keyFoot.add(to + 1);
      gap.forEach((g, k) => {
        if (g.column >= 0) gapOwner[g.line] = placed.owners[k]!;
      });
    }
    const touched: Box[] = [];
    for (const c of comments) {
      let best: Box;
      let pos: number;
      if (c.eol) {
        best = flowOnLine.get(c.line) ?? inner[c.line]!;
        pos = c.offset - 0.5;
      } else {
        pos = c.offset + c.col;
        best = gapOwner[c.line]!;
      }
      const line = c.line;
      const edit: Edit = { start: c.col, end: lines[line]!.length, text: '' };
      let added = false;
      const entry: TreeComment = {
        kind: 'comment',
        text: lines[line]!.slice(c.col + 1),
        pointer: best.pointer,
        update(update: LeafUpdate) {
          if (update.kind === 'comment') edit.text = `#${update.text}`;
          else if (update.kind === 'encrypted') edit.text = `#${update.envelope}`;
          else return;
          if (!added) addEdit(line, edit);
          added = true;
        },
      };
      if (!best.comments) {
        best.comments = [];
        touched.push(best);
      }
      best.comments.push({ pos, entry });
    }
    for (const box of touched) {
      const entries = box.tree.entries as Array<TreeNode | TreeMap['entries'][number] | TreeComment>;
      const merged: typeof entries = [];
      const notes = box.comments!;
      let k = 0;
      for (let e = 0; e < entries.length; e++) {
        const at = box.positions[e]!;
        while (k < notes.length && notes[k]!.pos < at) merged.push(notes[k++]!.entry);
        merged.push(entries[e]!);
      }
      while (k < notes.length) merged.push(notes[k++]!.entry);
      entries.length = 0;
      entries.push(...merged);
    }
    return true;
  }

  let metadataRaw: unknown;
  if (sopsLine >= 0) {
    metadataRaw = parseCanonicalSopsBlock(lines, sopsLine);
    if (metadataRaw === null) {
      if (!hooks.parseYaml) return null;
      try {
        const meta = hooks.parseYaml(lines.slice(sopsLine).join('\n')) as { sops?: unknown } | null;
        metadataRaw = meta?.sops ?? null;
      } catch {
        return null;
      }
    }
  }

  return {
    format: 'yaml',
    branches: [root.tree as TreeMap],
    metadataRaw,
    render(metadata) {
      let out = '';
      for (let i = 0; i < dataLines; i++) {
        const list = edits.get(i);
        let line = lines[i]!;
        let drop = -1;
        if (list) {
          // Right to left, so that earlier columns stay valid.
          const ordered = list.length > 1 ? [...list].sort((a, b) => b.start - a.start) : list;
          let after = '';
          for (const e of ordered) {
            line = `${line.slice(0, e.start)}${e.text}${line.slice(e.end)}`;
            // A block scalar's body; the CST writes its final newline even on a last line without one.
            if (e.after !== undefined) after = `\n${e.after}${i === count - 1 ? '\n' : ''}`;
            if (e.drop !== undefined) drop = e.drop;
          }
          line += after;
        }
        out += line;
        if (i < count - 1) out += '\n';
        if (drop >= 0) i = drop;
      }
      // The same trailing-space rules as parseYamlFile's renderer.
      if (!metadata) return out.replace(/\n[ \t\n]*$/, '\n');
      out = out.replace(/\s*$/, (ws) => (ws.includes('\n') ? ws.replace(/[^\n]*$/, '') : '\n'));
      if (!hooks.renderMetadata) throw new Error('parseSimpleYaml: no metadata renderer given');
      return out + hooks.renderMetadata(metadata, detectIndent(text));
    },
  };
}

// The `sops:` block as sops and llmcm write it: scalar fields, and an `age:` list of
// `recipient` + `enc: |` literal blocks. Each field's value must look exactly like what these
// writers produce; anything else (key_groups, pgp/kms, quoting, other scalar styles) returns
// null and the yaml package parses the block instead.
const metaScalar: Record<string, RegExp> = {
  lastmodified: /^"[0-9T:.Z+-]+"$/,
  mac: /^ENC\[AES256_GCM,data:[A-Za-z0-9+/=]+,iv:[A-Za-z0-9+/=]+,tag:[A-Za-z0-9+/=]+,type:str\]$/,
  version: /^\d+\.\d+\.\d+$/,
  mac_only_encrypted: /^(true|false)$/,
  unencrypted_suffix: /^_[A-Za-z0-9_]*$/,
  encrypted_suffix: /^_[A-Za-z0-9_]*$/,
};

/**
 * Reads the canonical sops metadata block starting at `start` (the `sops:` line), or returns
 * null when any line is outside that canonical shape.
 */
export function parseCanonicalSopsBlock(
  lines: readonly string[],
  start: number,
): Record<string, unknown> | null {
  const meta: Record<string, unknown> = {};
  let indent = -1;
  let i = start + 1;
  const end = lines.length;
  while (i < end) {
    const line = lines[i]!;
    if (line === '') {
      i++;
      continue;
    }
    const m = /^( +)([a-z_]+):(?: (.*))?$/.exec(line);
    if (!m) return null;
    if (indent < 0) indent = m[1]!.length;
    if (m[1]!.length !== indent || m[2]! in meta) return null;
    const key = m[2]!;
    const value = m[3];
    if (key === 'age' && value === undefined) {
      const list = parseAgeEntries(lines, i + 1, indent);
      if (!list) return null;
      meta.age = list.entries;
      i = list.next;
      continue;
    }
    const pattern = metaScalar[key];
    if (!pattern || value === undefined || !pattern.test(value)) return null;
    meta[key] =
      key === 'lastmodified' ? value.slice(1, -1) : key === 'mac_only_encrypted' ? value === 'true' : value;
    i++;
  }
  return indent < 0 ? null : meta;
}

function parseAgeEntries(
  lines: readonly string[],
  start: number,
  parentIndent: number,
): { entries: Array<{ recipient: string; enc: string }>; next: number } | null {
  const entries: Array<{ recipient: string; enc: string }> = [];
  let i = start;
  let dash = -1;
  // Each item holds `recipient` and `enc` in either order (sops 3.13 writes `enc` first).
  while (i < lines.length) {
    const head = /^( +)- (recipient|enc):(.*)$/.exec(lines[i]!);
    if (!head) break;
    if (dash < 0) dash = head[1]!.length;
    if (head[1]!.length !== dash || dash <= parentIndent) return null;
    const entry: { recipient?: string; enc?: string } = {};
    let field: { key: string; rest: string } | undefined = { key: head[2]!, rest: head[3]! };
    i++;
    while (field) {
      if (field.key in entry) return null;
      if (field.key === 'recipient') {
        const r = /^ (age1[0-9a-z]+)$/.exec(field.rest);
        if (!r) return null;
        entry.recipient = r[1]!;
      } else {
        if (field.rest !== ' |') return null;
        // A literal block with clip chomping: lines at the first line's indent, one final newline.
        const first = /^( +)\S/.exec(lines[i] ?? '');
        if (!first || first[1]!.length <= dash + 2) return null;
        const blockIndent = first[1]!.length;
        const pad = ' '.repeat(blockIndent);
        const body: string[] = [];
        while (i < lines.length && lines[i]!.startsWith(pad)) {
          const content = lines[i]!.slice(blockIndent);
          if (!/^[A-Za-z0-9+/=-][A-Za-z0-9+/= -]*$/.test(content)) return null;
          body.push(content);
          i++;
        }
        entry.enc = `${body.join('\n')}\n`;
      }
      const next = /^( +)(recipient|enc):(.*)$/.exec(lines[i] ?? '');
      field = next && next[1]!.length === dash + 2 ? { key: next[2]!, rest: next[3]! } : undefined;
      if (field) i++;
    }
    if (entry.recipient === undefined || entry.enc === undefined) return null;
    entries.push({ recipient: entry.recipient, enc: entry.enc });
  }
  if (entries.length === 0) return null;
  return { entries, next: i };
}

/**
 * Writes a metadata object of the canonical shape (age entries and the scalar fields above) as
 * the yaml package writes it (indent n: fields at n, list dashes at 2n, literal block at 3n + 2),
 * or returns null for anything else (key groups, other key kinds, unusual values).
 */
export function renderCanonicalSopsBlock(meta: Record<string, unknown>, indent: number): string | null {
  if (!Number.isInteger(indent) || indent < 2 || indent > 9) return null;
  const pad = ' '.repeat(indent);
  let out = 'sops:\n';
  for (const [key, value] of Object.entries(meta)) {
    if (key === 'age') {
      if (!Array.isArray(value) || value.length === 0) return null;
      out += `${pad}age:\n`;
      for (const entry of value as unknown[]) {
        if (!entry || typeof entry !== 'object') return null;
        const e = entry as Record<string, unknown>;
        if (Object.keys(e).join(',') !== 'enc,recipient') return null;
        if (typeof e.recipient !== 'string' || !/^age1[0-9a-z]+$/.test(e.recipient)) return null;
        if (typeof e.enc !== 'string' || !e.enc.endsWith('\n')) return null;
        const body = e.enc.slice(0, -1).split('\n');
        if (!body.every((l) => /^[A-Za-z0-9+/=-]+(?: [A-Za-z0-9+/=-]+)*$/.test(l))) return null;
        out += `${' '.repeat(2 * indent)}- enc: |\n`;
        for (const l of body) out += `${' '.repeat(3 * indent + 2)}${l}\n`;
        out += `${' '.repeat(2 * indent + 2)}recipient: ${e.recipient}\n`;
      }
      continue;
    }
    if (key === 'mac_only_encrypted') {
      if (typeof value !== 'boolean') return null;
      out += `${pad}${key}: ${value}\n`;
      continue;
    }
    const pattern = metaScalar[key];
    if (!pattern || typeof value !== 'string') return null;
    const text = key === 'lastmodified' ? `"${value}"` : value;
    if (!pattern.test(text)) return null;
    out += `${pad}${key}: ${text}\n`;
  }
  return out;
}

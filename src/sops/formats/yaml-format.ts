import {
  Composer,
  CST,
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  Parser,
  type Scalar,
  type YAMLMap,
  type YAMLSeq,
  Document as YamlDocument,
} from 'yaml';
import { LlmcmError } from '../../core/errors.js';
import { parseJsonInput } from '../../core/json-input.js';
import { formatGoFloat } from '../go-format.js';
import type { LeafUpdate, TreeComment, TreeMap, TreeNode, TreeSeq } from '../tree.js';
import { jsValueOf, type PlainValue, resolveYamlV3Plain } from '../values.js';
import type { ParsedFile } from './types.js';
import { type GapLine, type GapNext, type GapPrevious, placeGapComments } from './yaml-comment-owner.js';
import { renderCanonicalSopsBlock } from './yaml-fast.js';
import { detectIndent, plainStyle, yamlDoubleQuoted } from './yaml-style.js';

// Re-exported for the modules that took them from here.
export { detectIndent, plainStyle, yamlDoubleQuoted };

type SourceToken = CST.SourceToken;

interface Container {
  kind: 'map' | 'seq';
  tree: TreeMap | TreeSeq;
  spanStart: number;
  spanEnd: number;
  depth: number;
  pointer: (string | number)[];
  /** Entries with their sort position, before comments are merged in. */
  positioned: Array<{
    pos: number;
    entry: TreeMap['entries'][number] | TreeSeq['entries'][number];
    child?: Container;
    /** The entry's value is empty in the source (`key:` or `-` with nothing after it). */
    empty?: boolean;
    /** Where a sequence item's dash stands, when known. */
    at?: number;
  }>;
  parent?: Container;
  /** Column of the entries (block style); -1 for flow collections. */
  column: number;
}

/** A parsed YAML sops file plus the composed documents (for callers that need node positions). */
export interface ParsedYamlFile extends ParsedFile {
  documents: Document[];
  /** JSON pointers of values that were written as envelopes, filled by the decrypt walk. */
  lineCounter: LineCounter;
}

function yamlError(file: string | undefined, message: string, line?: number, column?: number): LlmcmError {
  return new LlmcmError(message, {
    code: 'SOPS_BAD_YAML',
    kind: 'input',
    file,
    line,
    column,
    hint: 'fix the YAML (a sops file is a mapping with string keys, no aliases, no duplicate keys)',
  });
}

function scalarText(node: Scalar): string {
  // The composer keeps the resolved source string; re-resolving the token is the slow fallback.
  const source = (node as { source?: unknown }).source;
  if (typeof source === 'string') return source;
  const tok = node.srcToken as CST.FlowScalar | CST.BlockScalar | undefined;
  if (tok) {
    const r = CST.resolveAsScalar(tok);
    if (r) return r.value;
  }
  return typeof node.value === 'string' ? node.value : String(node.value);
}

const tokenChildKeys = ['start', 'key', 'sep', 'value', 'end', 'items', 'props'] as const;

function blankTokens(token: unknown): void {
  if (!token || typeof token !== 'object') return;
  if (Array.isArray(token)) {
    for (const t of token) blankTokens(t);
    return;
  }
  const t = token as Record<string, unknown>;
  if (typeof t.source === 'string') t.source = '';
  for (const key of tokenChildKeys) {
    if (key in t) blankTokens(t[key]);
  }
}

/** True when a comment line (not an end-of-line comment) follows the scalar inside its token. */
function hasCommentLineAfter(tok: CST.FlowScalar): boolean {
  const end = tok.end ?? [];
  const firstBreak = end.findIndex((t) => t.type === 'newline');
  return firstBreak >= 0 && end.slice(firstBreak).some((t) => t.type === 'comment');
}

/**
 * Where a flow collection's own line ends. The `yaml` package counts comment lines that follow it,
 * indented deeper, as part of its node; yaml.v3 (and so sops) attaches them to the enclosing block,
 * so for comment placement the collection ends with its line (end-of-line comments stay with it).
 */
function flowLineEnd(node: YAMLMap | YAMLSeq): number | undefined {
  if (!node.flow || !node.range) return undefined;
  const tok = node.srcToken as CST.FlowCollection | undefined;
  if (tok?.type !== 'flow-collection') return undefined;
  const firstBreak = tok.end.findIndex((t) => t.type === 'newline');
  if (firstBreak < 0) return undefined;
  return tok.end[firstBreak]!.offset + 1;
}

function collectComments(token: unknown, out: SourceToken[]): void {
  if (!token || typeof token !== 'object') return;
  if (Array.isArray(token)) {
    for (const t of token) collectComments(t, out);
    return;
  }
  const t = token as Record<string, unknown>;
  if (t.type === 'comment' && typeof t.source === 'string') {
    out.push(t as unknown as SourceToken);
    return;
  }
  for (const key of tokenChildKeys) {
    const child = t[key];
    if (child !== undefined && typeof child === 'object') collectComments(child, out);
  }
}

/** Renders the metadata as a `sops:` block (literal `enc: |`, double-quoted lastmodified). */
export function renderYamlMetadata(metadata: Record<string, unknown>, indent: number): string {
  // The usual shape is written directly: the same bytes, without building a yaml Document.
  return renderCanonicalSopsBlock(metadata, indent) ?? renderYamlMetadataDocument(metadata, indent);
}

/** renderYamlMetadata through a yaml Document (every shape; the reference for the direct writer). */
export function renderYamlMetadataDocument(metadata: Record<string, unknown>, indent: number): string {
  const doc = new YamlDocument({ sops: metadata });
  const sops = doc.get('sops', true) as YAMLMap;
  const lm = sops.get('lastmodified', true);
  if (isScalar(lm)) lm.type = 'QUOTE_DOUBLE';
  return doc.toString({ indent, indentSeq: true, lineWidth: 0, blockQuote: 'literal' });
}

/**
 * Parses YAML (all documents) into sops branches whose leaf updates rewrite the CST in place, so
 * rendering keeps key order, comments, indentation, quoting and block scalars of untouched parts.
 */
export function parseYamlFile(text: string, file?: string, mode: 'yaml' | 'json' = 'yaml'): ParsedYamlFile {
  const json = mode === 'json';
  if (json) {
    parseJsonInput(text, { code: 'SOPS_BAD_JSON', file });
  }
  const lineCounter = new LineCounter();
  const tokens = Array.from(new Parser(lineCounter.addNewLine).parse(text));
  const documents = Array.from(
    new Composer({ keepSourceTokens: true, uniqueKeys: true, intAsBigInt: false }).compose(
      tokens,
      true,
      text.length,
    ),
  ) as Document[];
  for (const doc of documents) {
    const error = doc.errors[0];
    if (error) {
      const pos = lineCounter.linePos(error.pos[0]);
      const reason =
        error.code === 'DUPLICATE_KEY' ? 'duplicate key' : error.message.split('\n')[0]!.slice(0, 120);
      throw yamlError(file, `not valid YAML: ${reason}`, pos.line, pos.col);
    }
  }
  const allComments: SourceToken[] = [];
  // No `#` anywhere means no comment token: skip the walk over every CST token.
  if (text.includes('#')) collectComments(tokens, allComments);
  const lineStart = (offset: number) => text.lastIndexOf('\n', offset - 1) + 1;
  const lineOf = (offset: number) => lineCounter.linePos(offset).line;

  const branches: TreeMap[] = [];
  let metadataRaw: unknown;
  const sopsRanges: Array<[number, number]> = [];
  const docContainers: Container[][] = [];
  const rootFlow: boolean[] = [];

  documents.forEach((doc) => {
    const containers: Container[] = [];
    const root = doc.contents;
    const rootTree: TreeMap = { kind: 'map', entries: [] };
    const rootContainer: Container = {
      kind: 'map',
      tree: rootTree,
      spanStart: -1,
      spanEnd: Number.POSITIVE_INFINITY,
      depth: 0,
      pointer: [],
      positioned: [],
      column: 0,
    };
    containers.push(rootContainer);
    const containerByTree = new Map<object, Container>();
    rootFlow.push(isMap(root) && root.flow === true);
    if (root !== null && !isMap(root)) {
      if (isScalar(root) && (root.value === null || root.value === undefined)) {
        // An empty document: allowed, holds nothing.
      } else {
        const pos = lineCounter.linePos(root.range?.[0] ?? 0);
        throw yamlError(
          file,
          json
            ? 'JSON documents must be objects at the top level'
            : `YAML documents that are ${isSeq(root) ? 'sequences' : 'values'} are not supported; the top level must be a mapping`,
          pos.line,
          pos.col,
        );
      }
    }

    const build = (
      node: unknown,
      pointer: (string | number)[],
      depth: number,
      inFlow: boolean,
      parentTok: CST.Token | undefined,
      spanStart: number | undefined,
      parentContainer?: Container,
    ): TreeNode => {
      if (node === null || node === undefined) return { kind: 'null' };
      if (isAlias(node)) {
        const pos = lineCounter.linePos(node.range?.[0] ?? 0);
        throw yamlError(file, 'YAML aliases (*name) are not supported in sops files', pos.line, pos.col);
      }
      if (isMap(node) || isSeq(node)) {
        const start = node.range![0];
        const container: Container = {
          kind: isMap(node) ? 'map' : 'seq',
          tree: isMap(node) ? { kind: 'map', entries: [] } : { kind: 'seq', entries: [] },
          spanStart: spanStart ?? start,
          spanEnd: flowLineEnd(node) ?? node.range![2],
          depth,
          pointer,
          positioned: [],
          parent: parentContainer,
          column: inFlow || node.flow ? -1 : start - lineStart(start),
        };
        containers.push(container);
        containerByTree.set(container.tree, container);
        fill(node, container, inFlow || node.flow === true);
        return container.tree;
      }
      if (isScalar(node)) {
        const text = scalarText(node);
        let resolved: PlainValue | null;
        if (json) {
          resolved = resolveJsonScalar(node, text);
        } else if (
          node.type === 'PLAIN' ||
          (node.tag && node.tag !== 'tag:yaml.org,2002:str' && node.tag !== '!!str')
        ) {
          try {
            resolved = resolveYamlV3Plain(text, node.tag);
          } catch {
            const pos = lineCounter.linePos(node.range![0]);
            throw yamlError(file, `value does not match its tag ${node.tag}`, pos.line, pos.col);
          }
        } else resolved = { type: 'str', text };
        if (resolved === null) return { kind: 'null' };
        const tok = node.srcToken as CST.FlowScalar | CST.BlockScalar;
        const scalarNode = node;
        const leafFlow = inFlow;
        const parent = parentTok;
        return {
          kind: 'scalar',
          value: resolved,
          pointer,
          line: lineOf(node.range![0]),
          update(update: LeafUpdate) {
            if (json) {
              const flowTok = tok as CST.FlowScalar;
              if (update.kind === 'encrypted') flowTok.source = JSON.stringify(update.envelope);
              else if (update.kind === 'plain') flowTok.source = jsonSourceOf(update.value);
              else flowTok.source = JSON.stringify(`#${update.text}`);
              scalarNode.value = update.kind === 'plain' ? jsValueOf(update.value) : null;
              return;
            }
            if (update.kind === 'encrypted') {
              if (tok.type === 'block-scalar') {
                CST.setScalarValue(tok, update.envelope, {
                  type: leafFlow ? 'QUOTE_DOUBLE' : 'PLAIN',
                  inFlow: leafFlow,
                  afterKey: true,
                });
              } else {
                // Fast path: an envelope is a valid plain scalar in block context (quoted in flow).
                const flowTok = tok as CST.FlowScalar;
                flowTok.type = leafFlow ? 'double-quoted-scalar' : 'scalar';
                flowTok.source = leafFlow ? `"${update.envelope}"` : update.envelope;
              }
              scalarNode.value = update.envelope;
            } else if (update.kind === 'plain') {
              let style = plainStyle(update.value, leafFlow);
              if (
                (style.type === 'BLOCK_LITERAL' || style.type === 'BLOCK_FOLDED') &&
                tok.type !== 'block-scalar' &&
                hasCommentLineAfter(tok as CST.FlowScalar)
              ) {
                // A comment line indented under this value lives in the flow token's `end`, which
                // CST.setScalarValue drops when it makes a block scalar (and as a block scalar's next
                // line it would read as text). Double quotes keep both value and comment. An
                // end-of-line comment is fine: it moves into the block header.
                style = { type: 'QUOTE_DOUBLE', text: style.text };
              }
              if (style.type === 'QUOTE_DOUBLE' && tok.type !== 'block-scalar') {
                // JSON string syntax is valid YAML double-quoted syntax and never folds lines.
                const flowTok = tok as CST.FlowScalar;
                flowTok.type = 'double-quoted-scalar';
                flowTok.source = yamlDoubleQuoted(style.text);
              } else if (style.type === 'PLAIN' && tok.type !== 'block-scalar') {
                const flowTok = tok as CST.FlowScalar;
                flowTok.type = 'scalar';
                flowTok.source = style.text;
              } else {
                CST.setScalarValue(tok, style.text, { type: style.type, inFlow: leafFlow, afterKey: true });
              }
              scalarNode.value = jsValueOf(update.value);
            } else {
              // A comment stored as a sequence item (sops 3.13.2+): write it back as a comment line.
              const item =
                parent && parent.type === 'block-seq'
                  ? parent.items.find((it) => it.value === tok)
                  : undefined;
              if (item) {
                const ind = item.start.findIndex((st) => st.type === 'seq-item-ind');
                if (ind >= 0) {
                  item.start[ind]!.source = '';
                  const after = item.start[ind + 1];
                  if (after && after.type === 'space') after.source = '';
                }
                const flowTok = tok as CST.FlowScalar;
                flowTok.source = `#${update.text}`;
                if ('props' in tok) (tok as CST.BlockScalar).props = [];
              } else {
                CST.setScalarValue(tok, `#${update.text}`, { type: 'QUOTE_DOUBLE', inFlow: leafFlow });
              }
              scalarNode.value = null;
            }
          },
        };
      }
      throw yamlError(file, 'unsupported YAML node');
    };

    const fill = (node: YAMLMap | YAMLSeq, container: Container, inFlow: boolean) => {
      const tok = node.srcToken as CST.Token | undefined;
      if (isMap(node)) {
        for (const pair of node.items) {
          if (!isPair(pair)) continue;
          const key = pair.key;
          if (!isScalar(key)) {
            const pos = lineCounter.linePos(
              (key as { range?: number[] } | null)?.range?.[0] ?? node.range![0],
            );
            throw yamlError(file, 'mapping keys must be strings', pos.line, pos.col);
          }
          const keyText = scalarText(key);
          if (!json && (key.type === 'PLAIN' || key.tag)) {
            let r: PlainValue | null;
            try {
              r = resolveYamlV3Plain(keyText, key.tag);
            } catch {
              r = null;
            }
            if (!r || (r.type !== 'str' && r.type !== 'time')) {
              const pos = lineCounter.linePos(key.range![0]);
              throw yamlError(
                file,
                `mapping keys must be strings (found a ${r ? r.type : 'null'} key)`,
                pos.line,
                pos.col,
              );
            }
          }
          const keyStart = key.range![0];
          const value = pair.value as { range?: [number, number, number] } | null;
          // The top-level `sops` key is metadata, not data.
          if (container.tree === rootTree && keyText === 'sops') {
            const end = value?.range?.[2] ?? key.range![2];
            sopsRanges.push([keyStart, end]);
            if (metadataRaw === undefined)
              metadataRaw = (pair.value as { toJSON?: () => unknown })?.toJSON?.() ?? null;
            continue;
          }
          // A collection value that starts on a later line than its key owns the comments between.
          let span: number | undefined;
          if (value && (isMap(value) || isSeq(value))) {
            const keyLineEnd = text.indexOf('\n', key.range![1]);
            if (keyLineEnd >= 0 && keyLineEnd < value.range![0]) span = keyLineEnd + 1;
          }
          const child = build(
            pair.value,
            [...container.pointer, keyText],
            container.depth + 1,
            inFlow,
            tok,
            span,
            container,
          );
          container.positioned.push({
            pos: keyStart,
            entry: { kind: 'pair', key: keyText, value: child },
            child: containerByTree.get(child),
            empty: isEmptyValue(pair.value),
          });
        }
      } else {
        node.items.forEach((item, index) => {
          const start = (item as { range?: number[] } | null)?.range?.[0] ?? node.range![0];
          const child = build(
            item,
            [...container.pointer, index],
            container.depth + 1,
            inFlow,
            tok,
            undefined,
            container,
          );
          // The item's dash (its value may start on a later line: `-` then a nested block).
          const dash =
            tok?.type === 'block-seq'
              ? tok.items[index]?.start.find((t) => t.type === 'seq-item-ind')
              : undefined;
          container.positioned.push({
            pos: start,
            entry: child,
            child: containerByTree.get(child),
            empty: isEmptyValue(item),
            at: dash?.offset,
          });
        });
      }
    };

    if (isMap(root)) fill(root, rootContainer, root.flow === true);
    docContainers.push(containers);
    branches.push(rootTree);
  });

  // Whole-line comments in block context get the collection yaml.v3 gives them (the shared rule
  // in yaml-comment-owner.ts), computed per run of comment and blank lines.
  const docStarts = documents.map((d) => d.range?.[0] ?? 0);
  const gapOwners = allComments.length > 0 ? placeWholeLineComments() : new Map<number, Container>();

  function placeWholeLineComments(): Map<number, Container> {
    const owners = new Map<number, Container>();
    const lines = text.split('\n');
    const starts: number[] = [];
    for (let i = 0, at = 0; i < lines.length; at += lines[i]!.length + 1, i++) starts.push(at);
    const commentAt = new Map<number, SourceToken>();
    for (const c of allComments) {
      const ls = lineStart(c.offset);
      if (text.slice(ls, c.offset).trim() === '') commentAt.set(lineOf(c.offset) - 1, c);
    }
    const isGapLine = (i: number) => commentAt.has(i) || lines[i]!.trim() === '';
    // Lines whose first key got a foot comment from the gap before them (see GapPrevious).
    const keyFoot = new Set<number>();
    const docOf = (offset: number) => {
      let d = 0;
      for (let i = 0; i < docStarts.length; i++) if (offset >= docStarts[i]!) d = i;
      return d;
    };
    // Per content line: the collections with an entry starting on it, and its last entry.
    const info = new Map<number, { outer: Container; inner: Container; lastPos: number; last: LastEntry }>();
    type LastEntry = { container: Container; p: Container['positioned'][number] };
    docContainers.forEach((containers) => {
      for (const c of containers) {
        if (c.column < 0) continue;
        for (const p of c.positioned) {
          if (p.entry.kind === 'comment') continue;
          const at = p.at ?? p.pos;
          const line = lineOf(at) - 1;
          const known = info.get(line);
          if (!known) {
            info.set(line, { outer: c, inner: c, lastPos: at, last: { container: c, p } });
            continue;
          }
          if (c.depth < known.outer.depth) known.outer = c;
          if (c.depth > known.inner.depth) known.inner = c;
          if (at > known.lastPos || (at === known.lastPos && c.depth > known.last.container.depth)) {
            known.lastPos = at;
            known.last = { container: c, p };
          }
        }
      }
    });
    // A file that ends in whitespace without a final newline: the writer drops that last line.
    let end = lines.length;
    if (end > 0 && lines[end - 1]!.trim() === '') end--;
    /** Whether a line holds only `-` (its value starts below): no node on it takes a comment. */
    const dashOnly = (l: number) => {
      const at = info.get(l)?.last;
      return (
        at !== undefined &&
        at.p.entry.kind !== 'pair' &&
        (at.p.empty === true || (at.p.child !== undefined && at.p.child.column >= 0))
      );
    };
    /** The line whose first key takes a foot comment that reaches line `l` (past `-`-only lines). */
    const keyLineFrom = (l: number) => {
      let k = l;
      while (dashOnly(k)) {
        do k++;
        while (k < end && !info.has(k));
      }
      return k;
    };
    // yaml.v3 gives `-` no end-of-line comment: a comment after a `-` whose value starts below is
    // the first line of the comment run that follows (its owner stays the list, as sops has it).
    const dashComment = new Map<number, number>();
    for (const c of allComments) {
      const line = lineOf(c.offset) - 1;
      if (!commentAt.has(line) && dashOnly(line)) dashComment.set(line, c.offset - starts[line]!);
    }
    for (let i = 0; i < end; i++) {
      // A run of comment and blank lines [from, to], or one that starts after a `-` line's comment.
      const dashed = dashComment.get(i);
      if (!commentAt.has(i) && dashed === undefined) continue;
      let from = dashed === undefined ? i : i + 1;
      while (dashed === undefined && from > 0 && isGapLine(from - 1)) from--;
      let to = from - 1;
      while (to + 1 < end && isGapLine(to + 1)) to++;
      const doc = docOf(starts[i]!);
      i = Math.max(i, to);
      const containers = docContainers[doc];
      if (!containers) continue;
      const docStartLine = lineOf(docStarts[doc]!) - 1;
      const isMarker = (l: number) => /^(---|\.\.\.)(\s|$)/.test(lines[l] ?? '');
      // The previous content line (none at the start of a document).
      let prev: GapPrevious<Container> | undefined;
      if (from > 0 && from - 1 >= docStartLine && !isMarker(from - 1)) {
        let entryLine = from - 1;
        while (entryLine >= docStartLine && !info.has(entryLine)) entryLine--;
        const p = info.get(entryLine);
        if (!p) continue;
        const entry = p.last.p;
        prev = { endLine: from - 1, inner: p.inner, last: 'node' };
        if (entry.child && entry.child.column < 0) {
          prev.last = 'flow';
          prev.flow = entry.child;
          const first = p.last.container.positioned.find((q) => q.entry.kind !== 'comment');
          prev.keyHasFoot = entry.entry.kind === 'pair' && first === entry && keyFoot.has(entryLine);
        } else if (entry.empty || entry.child) prev.last = entry.entry.kind === 'pair' ? 'value' : 'entry';
      }
      // The next content line; a document end (or the `sops:` key) is a root key at column 0.
      let next: GapNext<Container> | undefined;
      if (to + 1 < end && !isMarker(to + 1)) {
        const n = info.get(to + 1);
        if (n) next = { column: n.outer.column, outer: n.outer };
        else if (!/^sops:/.test(lines[to + 1]!)) continue;
      }
      const gap: GapLine[] = dashed === undefined ? [] : [{ line: from - 1, column: dashed }];
      for (let l = from; l <= to; l++) {
        const c = commentAt.get(l);
        gap.push({ line: l, column: c ? c.offset - starts[l]! : -1 });
      }
      const placed = placeGapComments(prev, next, containers[0]!, gap);
      if (placed.nextKeyFoot) keyFoot.add(keyLineFrom(to + 1));
      gap.forEach((g, k) => {
        const c = commentAt.get(g.line);
        const owner = placed.owners[k];
        if (c && owner) owners.set(c.offset, owner);
      });
    }
    return owners;
  }

  // Assign each comment to the innermost collection whose span holds it, in file order; a
  // comment trailing an entry's line goes before that entry, as yaml.v3 attaches it.
  for (const comment of allComments) {
    const offset = comment.offset;
    if (sopsRanges.some(([a, b]) => offset >= a && offset < b)) continue;
    let docIndex = 0;
    for (let i = 0; i < docStarts.length; i++) if (offset >= docStarts[i]!) docIndex = i;
    const containers = docContainers[docIndex];
    if (!containers) continue;
    let best = containers[0]!;
    for (const c of containers) {
      if (offset >= c.spanStart && offset < c.spanEnd && c.depth >= best.depth) best = c;
    }
    const ls = lineStart(offset);
    const trailing = text.slice(ls, offset).trim() !== '';
    const pos = trailing ? ls - 0.5 : offset;
    // A whole-line comment in block context: the collection yaml.v3 gives it. (Without an answer,
    // a line model the rule cannot read, the comment stays in the innermost collection around it.)
    const gapOwner = trailing || best.column < 0 ? undefined : gapOwners.get(offset);
    if (gapOwner) best = gapOwner;
    const entry: TreeComment = {
      kind: 'comment',
      text: comment.source.slice(1),
      pointer: best.pointer,
      update(update: LeafUpdate) {
        if (update.kind === 'comment') comment.source = `#${update.text}`;
        else if (update.kind === 'encrypted') comment.source = `#${update.envelope}`;
      },
    };
    best.positioned.push({ pos, entry });
  }
  for (const containers of docContainers) {
    for (const c of containers) {
      c.positioned.sort((a, b) => a.pos - b.pos);
      (c.tree.entries as unknown[]).push(...c.positioned.map((p) => p.entry));
    }
  }

  const parsed: ParsedYamlFile = {
    format: mode,
    branches,
    metadataRaw,
    documents,
    lineCounter,
    render(metadata) {
      // Drop the existing sops block(s); the metadata is re-rendered at the end of each document.
      documents.forEach((doc) => {
        const root = doc.contents;
        if (!isMap(root)) return;
        const rootTok = root.srcToken as CST.BlockMap | CST.FlowCollection | undefined;
        if (!rootTok || !('items' in rootTok)) return;
        for (const item of rootTok.items as Array<CST.BlockMap['items'][number]>) {
          const k = item.key as CST.FlowScalar | undefined;
          if (k && 'source' in k && CST.resolveAsScalar(k)?.value === 'sops' && 'sep' in item) {
            // Dropping the tokens is enough: CST.stringify skips a missing key, separator and value.
            const mutable = item as { key?: unknown; sep?: unknown; value?: unknown };
            mutable.key = undefined;
            mutable.sep = undefined;
            mutable.value = undefined;
            if (rootTok.type === 'flow-collection') blankTokens(item.start.filter((s) => s.type === 'comma'));
          }
        }
      });
      const indent = detectIndent(text);
      if (json) return renderJson(tokens, metadata, detectJsonIndent(text));
      const metaText = metadata ? renderYamlMetadata(metadata, indent) : '';
      let docIndex = -1;
      let out = '';
      for (const token of tokens) {
        let piece = CST.stringify(token);
        if (token.type === 'document') {
          docIndex++;
          if (metadata) {
            if (rootFlow[docIndex]) {
              // A flow-style root ({...}) cannot take a block `sops:` key: render it in block style.
              const doc = documents[docIndex]!;
              const root = doc.contents as YAMLMap;
              root.flow = false;
              piece = root.items.length === 0 ? '' : doc.toString({ indent, lineWidth: 0 });
            }
            piece = piece.replace(/\s*$/, (ws) => (ws.includes('\n') ? ws.replace(/[^\n]*$/, '') : '\n'));
            if (piece.trim() === '' || /^---\s*$/.test(piece.trim())) piece = piece.replace(/\n*$/, '\n');
            if (piece === '\n') piece = '';
            piece += metaText;
          }
        }
        out += piece;
      }
      // A file with no document at all (empty, or comments only) still gets its metadata.
      if (metadata && docIndex < 0) out = `${out}${out === '' || out.endsWith('\n') ? '' : '\n'}${metaText}`;
      if (!metadata) out = out.replace(/\n[ \t\n]*$/, '\n');
      return out;
    },
  };
  return parsed;
}

/** A value with no source text (`key:` or `-` alone): yaml.v3 has no token for it. */
function isEmptyValue(node: unknown): boolean {
  if (node === null || node === undefined) return true;
  if (!isScalar(node)) return false;
  const tok = node.srcToken as CST.FlowScalar | undefined;
  return !tok || (tok.type === 'scalar' && tok.source === '');
}

function resolveJsonScalar(node: Scalar, text: string): PlainValue | null {
  if (node.type === 'QUOTE_DOUBLE') return { type: 'str', text };
  if (text === 'null') return null;
  if (text === 'true' || text === 'false') return { type: 'bool', text: text === 'true' ? 'True' : 'False' };
  // sops 3.10+ decodes JSON numbers as json.Number: an int when Int64() succeeds, else a float.
  if (/^-?\d+$/.test(text)) {
    const n = BigInt(text);
    if (n >= -(2n ** 63n) && n < 2n ** 63n) return { type: 'int', text: n.toString() };
  }
  return { type: 'float', text: formatGoFloat(Number(text)) };
}

function jsonSourceOf(value: PlainValue): string {
  switch (value.type) {
    case 'int':
    case 'float':
      return /^-?\d+(\.\d+)?$/.test(value.text) ? value.text : JSON.stringify(value.text);
    case 'bool':
      return value.text === 'True' ? 'true' : 'false';
    default:
      return JSON.stringify(value.text);
  }
}

/** One indentation level of a JSON text: spaces, or a tab as sops writes JSON. */
function detectJsonIndent(text: string): string {
  const m = /\n(\t|[ ]+)"/.exec(text);
  return m ? m[1]! : '    ';
}

function renderJson(tokens: CST.Token[], metadata: Record<string, unknown> | null, indent: string): string {
  let out = tokens.map((t) => CST.stringify(t)).join('');
  if (!metadata) return out.replace(/,?\s*}\s*$/, '\n}\n');
  const close = out.lastIndexOf('}');
  const before = out.slice(0, close).replace(/\s+$/, '');
  const pad = indent;
  const metaJson = JSON.stringify(metadata, null, indent).replace(/\n/g, `\n${pad}`);
  const sep = before.endsWith('{') ? '' : ',';
  out = `${before}${sep}\n${pad}"sops": ${metaJson}\n}${out.slice(close + 1)}`;
  return out.endsWith('\n') ? out : `${out}\n`;
}

/** Removes the top-level `sops` pair from composed documents (for callers that read values). */
export function dropSopsKey(documents: Document[]): void {
  for (const doc of documents) {
    const root = doc.contents;
    if (!isMap(root)) continue;
    root.items = root.items.filter((p) => !(isScalar(p.key) && p.key.value === 'sops'));
  }
}

/**
 * Which block collection a whole-line YAML comment belongs to, as sops decides it: sops reads a
 * file with yaml.v3 (go.yaml.in/yaml/v3), which splits every run of comment lines into foot and
 * head comments while scanning (scannerc.go, yaml_parser_scan_comments), places the end of each
 * closing block among them (yaml_parser_unroll_indent), and hands the pieces to the next event
 * that takes comments (parserc.go, decode.go); sops then stores each comment in the collection of
 * the node that got it, and that collection's path is the comment's AAD. This module replays
 * those steps on a line model of the gap between two content lines. Both YAML parsers (the CST
 * path and the fast path) build that model and call it, so they place comments identically.
 * Checked against sops' own code: test/interop/sops/comment-path-oracle.test.ts.
 */

/** A block collection as the rule sees it (flow collections have column -1). */
export interface CommentBlock {
  kind: 'map' | 'seq';
  column: number;
  parent?: CommentBlock | undefined;
}

/** The content line before a run of comment lines. */
export interface GapPrevious<B extends CommentBlock> {
  /** 0-based index of its last line (a block scalar's last body line). */
  endLine: number;
  /** The innermost block collection holding the line's last entry. */
  inner: B;
  /**
   * What the line ends with: a scalar; a flow collection (`flow`); `key:` with nothing after it
   * (a null value, or a block that opens on the next line); or `-` alone.
   */
  last: 'node' | 'flow' | 'value' | 'entry';
  /** The flow collection the line ends with. */
  flow?: B;
  /**
   * The flow collection is the value of the first key of its mapping, and that key got a foot
   * comment from the gap before its line (placeGapComments' `nextKeyFoot` there, passed on over
   * lines that hold only `-`): decode.go then leaves the collection's own foot comment on it, so
   * it lands inside the collection.
   */
  keyHasFoot?: boolean;
}

/** The content line after the run: its column and the outermost collection with an entry on it. */
export interface GapNext<B extends CommentBlock> {
  column: number;
  outer: B;
}

/**
 * One line of the gap: a whole-line comment at `column`, or a blank line (`column` -1). The first
 * may be on the previous content line: the comment after a `-` that has its value below.
 */
export interface GapLine {
  line: number;
  column: number;
}

// Positions are line * LINE + column (columns here are indentations, far below LINE).
const LINE = 2 ** 24;

interface Group {
  /** Indexes into the gap's lines (comments only). */
  members: number[];
  startLine: number;
  startColumn: number;
  /** Where yaml.v3 unfolds it: 'prior' (the previous line's last token) or a position. */
  mark: 'prior' | number;
  /** Start of the scan that produced it, and where it ended (for unroll_indent's search). */
  scanStart: number;
  end: number;
  /** The last part of a run that is not split off as a foot: a head comment of what follows. */
  head: boolean;
}

/**
 * The owner of each comment line in `lines` (undefined for blank lines), replaying yaml.v3.
 * `next` undefined is the end of the document: in a file llmcm writes, the `sops:` key stands
 * there (a root key at column 0), and `sops decrypt` reads the comments with it in place.
 */
export function placeGapComments<B extends CommentBlock>(
  prev: GapPrevious<B> | undefined,
  next: GapNext<B> | undefined,
  root: B,
  lines: readonly GapLine[],
): GapPlacement<B> {
  const owners: Array<B | undefined> = new Array(lines.length);
  // Before the first content line: the document's head comment, or the first key's (the root).
  if (!prev) {
    for (let i = 0; i < lines.length; i++) if (lines[i]!.column >= 0) owners[i] = root;
    return { owners, nextKeyFoot: false };
  }
  // The scanner's indentation stack at the previous line, innermost first. A sequence whose
  // dashes stand at its parent mapping's column (`key:\n- x`) is "indentless": not on the stack.
  const stack: B[] = [];
  for (let b: CommentBlock | undefined = prev.inner; b; b = b.parent) {
    if (b.column < 0) continue;
    if (b.kind === 'seq' && b.parent && b.parent.kind === 'map' && b.parent.column === b.column) continue;
    stack.push(b as B);
  }
  const nextIndent = stack.length > 0 ? stack[0]!.column : 0;
  const nextColumn = next ? next.column : 0;
  // The usual case, one comment line after a value: the steps below reduce to a foot of that
  // value when the next line is less indented than the block and than the comment, and to a head
  // comment of the next line otherwise (no block end can stand after it). Same answer, less work.
  if (lines.length === 1 && lines[0]!.column >= 0 && (prev.last === 'node' || prev.last === 'flow')) {
    const column = lines[0]!.column;
    if (nextColumn < nextIndent && nextColumn !== column) {
      owners[0] = prev.last === 'flow' && prev.keyHasFoot && prev.flow ? prev.flow : prev.inner;
    } else owners[0] = next ? next.outer : root;
    return { owners, nextKeyFoot: false };
  }
  const nextLine = lines.length > 0 ? lines[lines.length - 1]!.line + 1 : prev.endLine + 1;
  const prevEnd = prev.endLine * LINE + (LINE - 1);
  // yaml_parser_scan_comments: the foot line is the one right after the content (none when the
  // content is on the first line), and a blank line before the first comment clears first_empty.
  // A first line on the content line itself: the comment after a `-` whose value starts below,
  // which yaml.v3 scans as a comment run rather than an end-of-line comment (there the foot line
  // is one further down: no line break was read before it).
  const sameLine = lines.length > 0 && lines[0]!.line === prev.endLine;
  const footLine = prev.endLine > 0 ? prev.endLine + (sameLine ? 2 : 1) : -1;
  const firstComment = lines.findIndex((l) => l.column >= 0);
  if (firstComment < 0) return { owners, nextKeyFoot: false };
  let firstEmpty = true;
  for (let i = 0; i < firstComment; i++) if (lines[i]!.column < 0) firstEmpty = false;
  let recentEmpty = false;
  const groups: Group[] = [];
  let tokenMark: 'prior' | number = 'prior';
  let scanStart = prevEnd;
  let text: number[] = [];
  let startLine = -1;
  let startColumn = -1;
  const pushFoot = (mark: 'prior' | number, end: number) => {
    groups.push({ members: text, startLine, startColumn, mark, scanStart, end, head: false });
    scanStart = end;
    tokenMark = end;
    text = [];
  };
  for (let i = firstComment; i <= lines.length; i++) {
    const l = lines[i];
    if (l && l.column < 0) {
      // A line break that ends an empty line (a comment line's own break is skipped).
      if (!recentEmpty) {
        if (
          firstEmpty &&
          text.length > 0 &&
          ((startLine === footLine && prev.last !== 'value') || startColumn < nextIndent)
        ) {
          // Dedented: unrelated to the prior token, so it goes with what follows.
          pushFoot(startColumn < nextIndent ? startLine * LINE + startColumn : tokenMark, l.line * LINE);
        }
      }
      firstEmpty = false;
      recentEmpty = true;
      continue;
    }
    const column = l ? l.column : nextColumn;
    const position = l ? l.line * LINE + column : nextLine * LINE + column;
    if (text.length > 0 && column < nextIndent && column !== startColumn) {
      // A line at another, smaller indentation: what came before is a foot of the prior data.
      pushFoot(tokenMark, position);
    }
    if (!l) break;
    if (text.length === 0) {
      startLine = l.line;
      startColumn = column;
    }
    recentEmpty = false;
    text.push(i);
  }
  if (text.length > 0) {
    groups.push({
      members: text,
      startLine,
      startColumn,
      mark: startLine * LINE + startColumn,
      scanStart,
      end: nextLine * LINE - 1,
      head: true,
    });
  }
  // yaml_parser_unroll_indent: each closing block's end token goes before the first comment group
  // at that block's column (searching only after the previous block's end), else after the content.
  const ends: Array<{ block: B; position: number }> = [];
  let blockMark = prevEnd - 1;
  for (const block of stack) {
    if (block.column <= nextColumn) break;
    let stop = blockMark;
    for (let g = groups.length - 1; g >= 0; g--) {
      const group = groups[g]!;
      if (group.end < stop) break;
      if (group.startColumn === block.column) blockMark = group.startLine * LINE + group.startColumn;
      stop = group.scanStart;
    }
    ends.push({ block, position: blockMark });
  }
  // The event that takes a group: the prior scalar or flow collection (its foot moves to its key,
  // in the collection that holds it), a closing mapping's end
  // (a sequence's end takes no comments), or the next line's first node.
  let nextKeyFoot = false;
  const forward = (from: number, foot: boolean): B => {
    // Unfolded when the first end token at or after `from` is read; from then on the next event
    // that takes comments gets it, wherever its token stands (a block's end can be placed before
    // an inner one's, at an earlier comment at its column).
    const at = ends.findIndex((end) => end.position >= from);
    if (at >= 0) {
      for (const end of ends.slice(at)) if (end.block.kind === 'map') return end.block;
    }
    // A foot comment that reaches the next line's first node: its key keeps it (see keyHasFoot).
    if (foot) nextKeyFoot = true;
    return next ? next.outer : root;
  };
  for (const group of groups) {
    const foot = !group.head;
    let owner: B;
    if (group.mark !== 'prior') owner = forward(group.mark, foot);
    else if (prev.last === 'node') owner = prev.inner;
    else if (prev.last === 'flow') owner = prev.keyHasFoot && prev.flow ? prev.flow : prev.inner;
    else owner = forward(Number.NEGATIVE_INFINITY, foot);
    for (const m of group.members) owners[m] = owner;
  }
  return { owners, nextKeyFoot };
}

/** Each gap line's owner (undefined for blank lines), and whether the next key got a foot comment. */
export interface GapPlacement<B> {
  owners: Array<B | undefined>;
  nextKeyFoot: boolean;
}

import type { PlainValue } from './values.js';

/**
 * A format-neutral view of a sops document, shaped like sops' own TreeBranch: mappings and
 * sequences hold comments as entries in file order, so the walk below can reproduce sops'
 * path, comment-stack and MAC rules exactly. Each leaf carries a setter back into the source
 * representation (YAML CST, JSON text, dotenv lines), which is what keeps the file's layout.
 */
export type TreeNode = TreeMap | TreeSeq | TreeScalar | TreeNull;

export interface TreeMap {
  kind: 'map';
  entries: Array<TreeComment | TreePair>;
}

export interface TreePair {
  kind: 'pair';
  key: string;
  value: TreeNode;
}

export interface TreeSeq {
  kind: 'seq';
  entries: Array<TreeComment | TreeNode>;
}

export interface TreeNull {
  kind: 'null';
}

/** What a leaf is rewritten to. */
export type LeafUpdate =
  | { kind: 'encrypted'; envelope: string }
  | { kind: 'plain'; value: PlainValue }
  | { kind: 'comment'; text: string };

export interface TreeScalar {
  kind: 'scalar';
  /** The value as stored in the file (for an encrypted value: the envelope string, type str). */
  value: PlainValue;
  /** Full JSON-pointer path, sequence indices included (for reporting; never the AAD). */
  pointer: (string | number)[];
  /** 1-based line of the value in the source, when known. */
  line?: number;
  update(update: LeafUpdate): void;
}

export interface TreeComment {
  kind: 'comment';
  /** The comment text without `#` (leading space kept). */
  text: string;
  pointer: (string | number)[];
  update(update: LeafUpdate): void;
}

/** The six ways to select what gets encrypted (exactly one is active per file). */
export type SelectionKey =
  | 'unencrypted_suffix'
  | 'encrypted_suffix'
  | 'unencrypted_regex'
  | 'encrypted_regex'
  | 'unencrypted_comment_regex'
  | 'encrypted_comment_regex';

export const selectionKeys: readonly SelectionKey[] = [
  'unencrypted_suffix',
  'encrypted_suffix',
  'unencrypted_regex',
  'encrypted_regex',
  'unencrypted_comment_regex',
  'encrypted_comment_regex',
];

export interface Selection {
  key: SelectionKey;
  value: string;
}

/** A leaf as the walk sees it: its AAD path, the comment stack, and whether it is selected. */
export interface VisitedLeaf {
  leaf: TreeScalar | TreeComment;
  path: string[];
  commentsStack: string[][];
}

/**
 * Walks the branches in sops order (sops.go walkBranch / walkSlice): comments are pushed onto the
 * current level's stack before they are visited, the level is cleared after each non-comment value,
 * null values are skipped, sequence indices are not part of the path.
 */
export function walkBranches(branches: readonly TreeMap[], visit: (v: VisitedLeaf) => void): void {
  for (const branch of branches) walkMap(branch, [], [], visit);
}

function walkMap(map: TreeMap, path: string[], stack: string[][], visit: (v: VisitedLeaf) => void): void {
  const levels = [...stack, []] as string[][];
  const top = levels.length - 1;
  for (const entry of map.entries) {
    if (entry.kind === 'comment') {
      levels[top] = [...levels[top]!, entry.text];
      visit({ leaf: entry, path, commentsStack: levels.slice() });
      continue;
    }
    walkValue(entry.value, [...path, entry.key], levels, visit);
    levels[top] = [];
  }
}

function walkSeq(seq: TreeSeq, path: string[], stack: string[][], visit: (v: VisitedLeaf) => void): void {
  const levels = [...stack, []] as string[][];
  const top = levels.length - 1;
  for (const entry of seq.entries) {
    if (entry.kind === 'comment') {
      levels[top] = [...levels[top]!, entry.text];
      visit({ leaf: entry, path, commentsStack: levels.slice() });
      continue;
    }
    walkValue(entry, path, levels, visit);
    levels[top] = [];
  }
}

function walkValue(node: TreeNode, path: string[], stack: string[][], visit: (v: VisitedLeaf) => void): void {
  switch (node.kind) {
    case 'map':
      walkMap(node, path, stack, visit);
      return;
    case 'seq':
      walkSeq(node, path, stack, visit);
      return;
    case 'scalar':
      // A snapshot of the levels is enough: the walk replaces a level's array, never mutates it.
      visit({ leaf: node, path, commentsStack: stack.slice() });
      return;
    case 'null':
      return;
  }
}

/** sops' AAD for a path: each mapping key followed by `:`. */
export function aadOf(path: readonly string[]): string {
  return `${path.join(':')}:`;
}

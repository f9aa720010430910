import {
  Composer,
  CST,
  type Document,
  isMap,
  isScalar,
  isSeq,
  Parser,
  parseAllDocuments,
  stringify as stringifyYaml,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import { LlmcmError } from '../core/errors.js';
import { parseJsonInput } from '../core/json-input.js';
import type { SopsFormat } from './formats/types.js';
import { detectIndent } from './formats/yaml-format.js';

/** A path into a document: mapping keys and sequence indices. */
export type TreePath = (string | number)[];

/** Parses sops' `--extract` / set path syntax: `["a"]["b"][0]`. */
export function parseTreePath(text: string): TreePath {
  const path: TreePath = [];
  const re = /\[\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(-?\d+))\s*\]/y;
  let i = 0;
  const src = text.trim();
  while (i < src.length) {
    re.lastIndex = i;
    const m = re.exec(src);
    if (!m) {
      throw new LlmcmError(`invalid path '${text}': expected segments like ["key"] or [0]`, {
        code: 'SOPS_BAD_PATH',
        kind: 'usage',
        hint: `example: '["models"]["default"]'`,
      });
    }
    if (m[3] !== undefined) path.push(Number(m[3]));
    else
      path.push(JSON.parse(`"${(m[1] ?? m[2] ?? '').replace(/"/g, '\\"').replace(/\\'/g, "'")}"`) as string);
    i = re.lastIndex;
  }
  if (path.length === 0)
    throw new LlmcmError(`empty path '${text}'`, { code: 'SOPS_BAD_PATH', kind: 'usage' });
  return path;
}

function pathError(path: TreePath, message: string): LlmcmError {
  return new LlmcmError(`${message} at ${JSON.stringify(path)}`, {
    code: 'SOPS_PATH_NOT_FOUND',
    kind: 'input',
  });
}

/**
 * Refuses a set whose path cannot be applied the way sops applies it: a step into a string or
 * number (which would turn it into a map, or crash), a key on a list or an index on a map, and a
 * list index beyond the end (index == length appends; sops refuses anything further). Null steps
 * are replaced. Messages name the path only, never a value.
 */
function assertSettablePath(root: unknown, path: TreePath): void {
  const fail = (message: string) =>
    new LlmcmError(`cannot set ${JSON.stringify(path)}: ${message}`, {
      code: 'SOPS_BAD_PATH',
      kind: 'input',
      hint: 'sops semantics: a list index may be at most the list length (which appends)',
    });
  let cursor: unknown = root;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const parent = JSON.stringify(path.slice(0, i));
    if (cursor === undefined || cursor === null) {
      // Missing from here on: it will be created; a new list can only start at index 0.
      if (typeof seg === 'number' && seg !== 0)
        throw fail(`list index ${seg} is out of range (a new list starts at 0)`);
      cursor = undefined;
      continue;
    }
    if (Array.isArray(cursor)) {
      if (typeof seg !== 'number') throw fail(`${parent} is a list, not a map`);
      if (seg < 0 || seg > cursor.length)
        throw fail(`list index ${seg} is out of range (the list has ${cursor.length} item(s))`);
      cursor = cursor[seg];
      continue;
    }
    if (typeof cursor === 'object' && !(cursor instanceof Date)) {
      if (typeof seg !== 'string') throw fail(`${parent} is a map, not a list`);
      cursor = Object.hasOwn(cursor, seg) ? (cursor as Record<string, unknown>)[seg] : undefined;
      continue;
    }
    throw fail(`${parent} is a scalar, not a map or list`);
  }
}

function isScalarValue(v: unknown): boolean {
  return v === null || ['string', 'number', 'boolean', 'bigint'].includes(typeof v);
}

function yamlScalarSource(value: unknown): {
  source: string;
  type: 'PLAIN' | 'QUOTE_DOUBLE' | 'BLOCK_LITERAL';
} {
  const text = stringifyYaml(value, { lineWidth: 0 }).replace(/\n$/, '');
  if (text.startsWith('"')) return { source: JSON.parse(text) as string, type: 'QUOTE_DOUBLE' };
  if (text.startsWith('|')) return { source: String(value), type: 'BLOCK_LITERAL' };
  return { source: text, type: 'PLAIN' };
}

function lineStartOf(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function lineEndOf(text: string, offset: number): number {
  const i = text.indexOf('\n', offset);
  return i < 0 ? text.length : i + 1;
}

/** Renders `key: value` as block YAML indented to `column`. */
function renderPairAt(key: string, value: unknown, column: number, indent: number): string {
  const doc = stringifyYaml({ [key]: value }, { indent, indentSeq: true, lineWidth: 0 });
  const pad = ' '.repeat(column);
  return doc
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => pad + l)
    .join('\n')
    .concat('\n');
}

function parseWithTokens(text: string): { tokens: CST.Token[]; docs: Document[] } {
  const tokens = Array.from(new Parser().parse(text));
  const docs = Array.from(
    new Composer({ keepSourceTokens: true }).compose(tokens, true, text.length),
  ) as Document[];
  return { tokens, docs };
}

function setInYaml(text: string, path: TreePath, value: unknown): string {
  const { tokens, docs } = parseWithTokens(text);
  if (!Array.isArray(docs) || docs.length === 0) throw pathError(path, 'empty document');
  const doc = docs[0]!;
  // Walk as far as the path exists.
  let node: unknown = doc.contents;
  let depth = 0;
  while (depth < path.length) {
    const seg = path[depth]!;
    if (isMap(node) && typeof seg === 'string') {
      const next = (node as YAMLMap).get(seg, true);
      if (next === undefined) break;
      node = next;
    } else if (isSeq(node) && typeof seg === 'number') {
      const next = (node as YAMLSeq).get(seg, true);
      if (next === undefined) break;
      node = next;
    } else break;
    depth++;
  }
  // Case 1: an existing scalar replaced by a scalar: rewrite that token only.
  if (depth === path.length && isScalar(node) && isScalarValue(value) && node.srcToken) {
    const { source, type } = yamlScalarSource(value);
    CST.setScalarValue(node.srcToken as CST.FlowScalar, source, { type, afterKey: true });
    return tokens.map((t) => CST.stringify(t)).join('');
  }
  // Case 2: a new key appended to an existing non-empty block mapping: insert text after its last entry.
  if (
    depth === path.length - 1 &&
    isMap(node) &&
    !(node as YAMLMap).flow &&
    typeof path[depth] === 'string'
  ) {
    const map = node as YAMLMap;
    const first = map.items[0];
    const firstKey = first?.key as { range?: number[] } | undefined;
    if (firstKey?.range && map.range) {
      const column = firstKey.range[0]! - lineStartOf(text, firstKey.range[0]!);
      const insertAt = lineEndOf(text, Math.max(map.range[1] - 1, firstKey.range[0]!));
      const prefix = insertAt > 0 && text[insertAt - 1] !== '\n' ? '\n' : '';
      return (
        text.slice(0, insertAt) +
        prefix +
        renderPairAt(path[depth] as string, value, column, detectIndent(text)) +
        text.slice(insertAt)
      );
    }
  }
  // Otherwise let the yaml Document API restructure this document. A null on the way is replaced
  // by the new branch (the yaml API would refuse to descend into it).
  if (depth > 0 && depth < path.length && isScalar(node) && node.value == null) {
    let branch: unknown = value;
    for (let i = path.length - 1; i >= depth; i--) {
      const seg = path[i]!;
      branch = typeof seg === 'number' ? [branch] : { [seg]: branch };
    }
    doc.setIn(path.slice(0, depth), branch);
  } else doc.setIn(path, value);
  return replaceDocument(
    text,
    docs,
    doc,
    doc.toString({ indent: detectIndent(text), indentSeq: true, lineWidth: 0 }),
  );
}

function replaceDocument(text: string, docs: Document[], doc: Document, rendered: string): string {
  const index = docs.indexOf(doc);
  const start = doc.contents?.range?.[0] ?? 0;
  const end = docs[index + 1]?.range?.[0] ?? text.length;
  let tail = text.slice(end);
  if (index + 1 < docs.length && !/^---/.test(tail)) tail = `---\n${tail}`;
  const head = text.slice(0, start);
  return head + rendered.replace(/^---\n/, '') + tail;
}

function unsetInYaml(text: string, path: TreePath): string {
  const docs = parseAllDocuments(text, { keepSourceTokens: true }) as Document[];
  const doc = docs[0];
  if (!doc?.hasIn(path)) throw pathError(path, 'no value');
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  const last = path[path.length - 1]!;
  if (isMap(parent) && !(parent as YAMLMap).flow) {
    const map = parent as YAMLMap;
    const index = map.items.findIndex((p) => isScalar(p.key) && String(p.key.value) === String(last));
    const pair = map.items[index];
    const keyRange = (pair?.key as { range?: number[] } | undefined)?.range;
    const valueRange = (pair?.value as { range?: number[] } | null | undefined)?.range ?? keyRange;
    if (pair && keyRange && valueRange && map.items.length > 1) {
      const start = lineStartOf(text, keyRange[0]!);
      const next = map.items[index + 1]?.key as { range?: number[] } | undefined;
      const end = next?.range
        ? lineStartOf(text, next.range[0]!)
        : lineEndOf(text, Math.max(valueRange[1]! - 1, keyRange[0]!));
      return text.slice(0, start) + text.slice(end);
    }
  }
  if (isSeq(parent) && !(parent as YAMLSeq).flow && typeof last === 'number') {
    const seq = parent as YAMLSeq;
    const item = seq.items[last] as { range?: number[] } | undefined;
    if (item?.range && seq.items.length > 1) {
      const start = lineStartOf(text, item.range[0]!);
      const next = seq.items[last + 1] as { range?: number[] } | undefined;
      const end = next?.range
        ? lineStartOf(text, next.range[0]!)
        : lineEndOf(text, Math.max(item.range[1]! - 1, item.range[0]!));
      return text.slice(0, start) + text.slice(end);
    }
  }
  doc.deleteIn(path);
  return replaceDocument(
    text,
    docs,
    doc,
    doc.toString({ indent: detectIndent(text), indentSeq: true, lineWidth: 0 }),
  );
}

/** One indentation level of a JSON text: spaces, or a tab as sops writes JSON. */
function jsonIndent(text: string): string {
  const m = /\n(\t|[ ]+)"/.exec(text);
  return m ? m[1]! : '    ';
}

function editJson(
  text: string,
  path: TreePath,
  mutate: (parent: Record<string, unknown> | unknown[], key: string | number) => void,
): string {
  const root = parseJsonInput(text, { code: 'SOPS_BAD_JSON' });
  let cursor = root as Record<string | number, unknown>;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i]!;
    if (cursor[seg] === undefined || cursor[seg] === null || typeof cursor[seg] !== 'object') {
      cursor[seg] = typeof path[i + 1] === 'number' ? [] : {};
    }
    cursor = cursor[seg] as Record<string | number, unknown>;
  }
  mutate(cursor as Record<string, unknown>, path[path.length - 1]!);
  return `${JSON.stringify(root, null, jsonIndent(text))}\n`;
}

function dotenvKey(path: TreePath): string {
  if (path.length !== 1 || typeof path[0] !== 'string') {
    throw new LlmcmError('dotenv files are flat: the path must be a single key like ["NAME"]', {
      code: 'SOPS_BAD_PATH',
      kind: 'usage',
    });
  }
  return path[0];
}

/** Sets a value in plaintext text, changing as little of the text as possible. */
export function setInPlainText(text: string, format: SopsFormat, path: TreePath, value: unknown): string {
  if (format !== 'dotenv') assertSettablePath(readRoot(text, format), path);
  if (format === 'json') {
    return editJson(text, path, (parent, key) => {
      (parent as Record<string | number, unknown>)[key] = value;
    });
  }
  if (format === 'dotenv') {
    const key = dotenvKey(path);
    if (!isScalarValue(value) || value === null) {
      throw new LlmcmError('dotenv values must be strings or numbers', {
        code: 'SOPS_BAD_VALUE',
        kind: 'usage',
      });
    }
    const line = `${key}=${String(value).replace(/\n/g, '\\n')}`;
    const lines = text.split('\n');
    const index = lines.findIndex((l) => l.startsWith(`${key}=`));
    if (index >= 0) lines[index] = line;
    else {
      if (lines[lines.length - 1] === '') lines.pop();
      lines.push(line, '');
    }
    return lines.join('\n');
  }
  return setInYaml(text, path, value);
}

/** Removes a value from plaintext text; throws when the path does not exist. */
export function unsetInPlainText(text: string, format: SopsFormat, path: TreePath): string {
  if (format === 'json') {
    return editJson(text, path, (parent, key) => {
      if (Array.isArray(parent) && typeof key === 'number' && key < parent.length) parent.splice(key, 1);
      else if (!Array.isArray(parent) && Object.hasOwn(parent, key))
        delete (parent as Record<string, unknown>)[key];
      else throw pathError(path, 'no value');
    });
  }
  if (format === 'dotenv') {
    const key = dotenvKey(path);
    const lines = text.split('\n');
    const index = lines.findIndex((l) => l.startsWith(`${key}=`));
    if (index < 0) throw pathError(path, 'no value');
    lines.splice(index, 1);
    return lines.join('\n');
  }
  return unsetInYaml(text, path);
}

/** The first document of plaintext text as plain JS values. */
function readRoot(text: string, format: SopsFormat): unknown {
  if (format === 'json') return parseJsonInput(text, { code: 'SOPS_BAD_JSON' });
  if (format === 'dotenv') {
    return Object.fromEntries(
      text
        .split('\n')
        .filter((l) => l && !l.startsWith('#') && l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).replace(/\\n/g, '\n')]),
    );
  }
  const docs = parseAllDocuments(text) as Document[];
  return docs[0]?.toJS({ maxAliasCount: -1 });
}

/** Reads the value at a path from plaintext text (for --extract). */
export function extractFromPlainText(text: string, format: SopsFormat, path: TreePath): unknown {
  const root = readRoot(text, format);
  let cursor = root;
  for (const seg of path) {
    if (cursor === null || typeof cursor !== 'object' || !(seg in (cursor as object)))
      throw pathError(path, 'no value');
    cursor = (cursor as Record<string | number, unknown>)[seg];
  }
  return cursor;
}

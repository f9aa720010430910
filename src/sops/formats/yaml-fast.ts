import type { LeafUpdate, TreeMap, TreeNode } from '../tree.js';
import { resolveYamlV3Plain } from '../values.js';
import type { ParsedFile } from './types.js';
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
 * Thrown by a fast-path leaf update that only the full CST parser can write (a multi-line
 * string becoming a block scalar, a value that decrypts to a comment). Callers redo the whole
 * operation with parseYamlFile; nothing has been written at that point.
 */
export class FastPathUnsupported extends Error {
  constructor() {
    super('the fast YAML path cannot write this value');
    this.name = 'FastPathUnsupported';
  }
}

// What the fast path accepts: block mappings of plain keys and one-line plain values, no
// comments, quotes, sequences, flow collections, tags, anchors, documents markers, tabs or CR.
// That is the shape of most config files and of everything sops writes for them; anything else
// goes to the yaml package's CST parser. Why: that parser costs ~35 ms cold on a 1,000-key file.
const keyLinePattern = /^( *)([A-Za-z_][A-Za-z0-9_.-]*):(.*)$/;
const valueStart = /^(?:[A-Za-z0-9_./+=~$^(\\]|-[^ ])/;
// Characters the YAML lexer treats specially anywhere in a file (breaks, BOM, controls, tab).
const unsafeChars = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff#]/;

interface FastLeaf {
  line: number;
  column: number;
  length: number;
}

interface OpenMap {
  indent: number;
  tree: TreeMap;
  pointer: string[];
  keys: Set<string>;
}

/**
 * Parses a YAML text of the simple shape above into the same branches, metadata and rendering
 * as parseYamlFile gives for it, or returns null when the text is outside that shape (the caller
 * then uses parseYamlFile, which also produces the right error for bad input).
 */
export function parseSimpleYaml(text: string, hooks: SimpleYamlHooks = {}): ParsedFile | null {
  if (text === '' || unsafeChars.test(text)) return null;
  const lines = text.split('\n');
  const root: TreeMap = { kind: 'map', entries: [] };
  const stack: OpenMap[] = [{ indent: 0, tree: root, pointer: [], keys: new Set() }];
  const leaves: FastLeaf[] = [];
  const replaced = new Map<number, string>();
  // A key with no value waits here until the next line tells whether it opens a map or is null.
  let pending: { map: OpenMap; key: string; pointer: string[] } | undefined;
  let sopsLine = -1;
  let keyCount = 0;

  const closePending = () => {
    if (pending) pending.map.tree.entries.push({ kind: 'pair', key: pending.key, value: { kind: 'null' } });
    pending = undefined;
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const m = keyLinePattern.exec(line);
    if (!m) return null;
    const indent = m[1]!.length;
    const key = m[2]!;
    const rest = m[3]!;
    if (indent === 0 && key === 'sops') {
      // The metadata block must be the last top-level entry, with no inline value.
      if (rest.trim() !== '' || stack[0]!.keys.has('sops')) return null;
      // Blank lines after the block attach to the data in the CST: keep that case on the CST path.
      if (/\n[ ]*\n[ \n]*$/.test(text)) return null;
      for (let j = i + 1; j < lines.length; j++) {
        const l = lines[j]!;
        if (l.trim() !== '' && !l.startsWith(' ')) return null;
      }
      closePending();
      sopsLine = i;
      break;
    }
    let map: OpenMap;
    if (pending && indent > pending.map.indent) {
      map = { indent, tree: { kind: 'map', entries: [] }, pointer: pending.pointer, keys: new Set() };
      pending.map.tree.entries.push({ kind: 'pair', key: pending.key, value: map.tree });
      pending = undefined;
      stack.push(map);
    } else {
      closePending();
      while (stack.length > 1 && stack[stack.length - 1]!.indent > indent) stack.pop();
      map = stack[stack.length - 1]!;
      if (map.indent !== indent) return null;
    }
    if (map.keys.has(key)) return null;
    map.keys.add(key);
    if (resolveYamlV3Plain(key)?.type !== 'str') return null;
    keyCount++;
    const pointer = [...map.pointer, key];
    if (rest.trim() === '') {
      pending = { map, key, pointer };
      continue;
    }
    if (rest[0] !== ' ') return null;
    const value = rest.trim();
    if (!valueStart.test(value) || value.includes(': ') || value.endsWith(':')) return null;
    const resolved = resolveYamlV3Plain(value);
    if (resolved === null) {
      map.tree.entries.push({ kind: 'pair', key, value: { kind: 'null' } });
      continue;
    }
    const leaf: FastLeaf = {
      line: i,
      column: line.length - rest.length + (rest.length - rest.trimStart().length),
      length: value.length,
    };
    leaves.push(leaf);
    const node: TreeNode = {
      kind: 'scalar',
      value: resolved,
      pointer,
      line: i + 1,
      update(update: LeafUpdate) {
        let source: string;
        if (update.kind === 'encrypted') source = update.envelope;
        else if (update.kind === 'plain') {
          const style = plainStyle(update.value, false);
          if (style.type === 'QUOTE_DOUBLE') source = yamlDoubleQuoted(style.text);
          else if (style.type === 'PLAIN') source = style.text;
          else throw new FastPathUnsupported();
        } else throw new FastPathUnsupported();
        const original = lines[leaf.line]!;
        replaced.set(
          leaf.line,
          `${original.slice(0, leaf.column)}${source}${original.slice(leaf.column + leaf.length)}`,
        );
      },
    };
    map.tree.entries.push({ kind: 'pair', key, value: node });
  }
  closePending();
  if (keyCount === 0) return null;

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
  const dataLines = sopsLine >= 0 ? sopsLine : lines.length;

  return {
    format: 'yaml',
    branches: [root],
    metadataRaw,
    render(metadata) {
      let out = '';
      for (let i = 0; i < dataLines; i++) {
        out += replaced.get(i) ?? lines[i]!;
        if (i < lines.length - 1) out += '\n';
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

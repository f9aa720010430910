import { looksEncrypted, readEnvelopeType } from './envelope-type.js';
import type { EnvelopeType } from './types.js';
import { escapePointerSegment, type SourcePosition, type YamlTree } from './yaml-source.js';

/**
 * A fast reader for the plain block-style YAML that sops and people write in config repos: block maps
 * and sequences, plain / single-quoted / simple double-quoted scalars, one-line flow sequences, and `|`
 * block scalars (the age stanzas). It returns exactly what `readYamlTree` over the `yaml` package
 * returns, or `undefined` as soon as it meets anything else (anchors, tags, escapes, multi-line plain
 * scalars, duplicate or non-string keys...), and the caller falls back to the full parser. A
 * differential test holds the two to the same output.
 */
export function readFastYamlTree(text: string, prefix = ''): YamlTree | undefined {
  if (text.includes('\r') || text.includes('\t') || text.charCodeAt(0) === 0xfeff) return undefined;
  const raw = text.split('\n');
  // Content lines only: [line number, indent, content without trailing comment-free spaces].
  const lines: { no: number; indent: number; text: string }[] = [];
  for (let i = 0; i < raw.length; i++) {
    const line = raw[i]!;
    let indent = 0;
    while (indent < line.length && line.charCodeAt(indent) === 32) indent++;
    if (indent === line.length) continue;
    if (line.charCodeAt(indent) === 35 /* # */) continue;
    if (indent === 0 && (line.startsWith('---') || line.startsWith('...') || line.startsWith('%')))
      return undefined;
    lines.push({ no: i + 1, indent, text: line.slice(indent).replace(/ +$/, '') });
  }
  const positions = new Map<string, SourcePosition>();
  const encrypted = new Map<string, EnvelopeType>();
  let hasSopsMetadata = false;
  let i = 0;
  let failed = false;
  const fail = (): undefined => {
    failed = true;
    return undefined;
  };

  const setPos = (pointer: string, line: number, column: number, keyLine: number, keyColumn: number) =>
    positions.set(pointer, { line, column, keyLine, keyColumn });

  // Parses the block starting at lines[i] with exactly `indent`; returns its value.
  const parseBlock = (
    indent: number,
    pointer: string,
    keyLine: number,
    keyColumn: number,
    depth: number,
  ): unknown => {
    const first = lines[i]!;
    setPos(pointer, first.no, first.indent + 1, keyLine, keyColumn);
    if (first.text === '-' || first.text.startsWith('- ')) return parseSeq(indent, pointer, depth);
    return parseMap(indent, pointer, depth);
  };

  const parseMap = (indent: number, pointer: string, depth: number): unknown => {
    const out: Record<string, unknown> = {};
    const seen = new Set<string>();
    while (i < lines.length && !failed) {
      const line = lines[i]!;
      if (line.indent < indent) break;
      if (line.indent > indent) return fail();
      const entry = splitKey(line.text);
      if (!entry) return fail();
      const { key, rest, restOffset } = entry;
      if (seen.has(key) || key === '__proto__') return fail();
      seen.add(key);
      const keyColumn = line.indent + 1;
      i++;
      if (depth === 0 && key === 'sops') {
        hasSopsMetadata = true;
        while (i < lines.length && lines[i]!.indent > 0) i++;
        continue;
      }
      const child = `${pointer}/${escapePointerSegment(key)}`;
      out[key] = parseValue(
        rest,
        line.no,
        line.indent + restOffset + 1,
        indent,
        child,
        line.no,
        keyColumn,
        depth + 1,
        true,
      );
    }
    return out;
  };

  const parseSeq = (indent: number, pointer: string, depth: number): unknown => {
    const out: unknown[] = [];
    while (i < lines.length && !failed) {
      const line = lines[i]!;
      if (line.indent < indent) break;
      if (line.indent > indent || !(line.text === '-' || line.text.startsWith('- '))) {
        if (line.indent === indent) break;
        return fail();
      }
      const child = `${pointer}/${out.length}`;
      if (line.text === '-') return fail();
      let offset = 2;
      while (line.text.charCodeAt(offset) === 32) offset++;
      const rest = line.text.slice(offset);
      const column = line.indent + offset + 1;
      // `- key: value` opens a map whose keys sit at the column after the dash.
      if (splitKey(rest) && !rest.startsWith('[') && !rest.startsWith("'") && !rest.startsWith('"')) {
        lines[i] = { no: line.no, indent: line.indent + offset, text: rest };
        setPos(child, line.no, column, line.no, column);
        out.push(parseMap(line.indent + offset, child, depth + 1));
        continue;
      }
      i++;
      out.push(parseValue(rest, line.no, column, indent, child, line.no, column, depth + 1, false));
    }
    return out;
  };

  const parseValue = (
    rest: string,
    lineNo: number,
    column: number,
    parentIndent: number,
    pointer: string,
    keyLine: number,
    keyColumn: number,
    depth: number,
    inMap: boolean,
  ): unknown => {
    if (rest === '') {
      const next = lines[i];
      const nested =
        next &&
        (next.indent > parentIndent ||
          (inMap && next.indent === parentIndent && (next.text === '-' || next.text.startsWith('- '))));
      if (!nested) return fail(); // An empty value is null; its position rules differ, so let the full parser do it.
      return parseBlock(next.indent, pointer, keyLine, keyColumn, depth);
    }
    if (rest === '|' || rest === '|-') {
      setPos(pointer, lineNo, column, keyLine, keyColumn);
      return readLiteral(parentIndent, rest === '|-');
    }
    // A scalar value may not continue on the next lines (multi-line plain scalars are left to yaml).
    const next = lines[i];
    if (next && next.indent > parentIndent) return fail();
    setPos(pointer, lineNo, column, keyLine, keyColumn);
    if (rest.startsWith('[')) return parseFlowSeq(rest, lineNo, column, pointer);
    if (rest === '{}' || /^\{\} +#/.test(rest)) return {};
    const scalar = readScalar(rest);
    if (scalar === undefined) return fail();
    if (typeof scalar.value === 'string' && looksEncrypted(scalar.value)) {
      const type = readEnvelopeType(scalar.value);
      if (!type) return fail();
      encrypted.set(pointer, type);
    }
    return scalar.value;
  };

  const readLiteral = (parentIndent: number, strip: boolean): unknown => {
    const startLine = lines[i - 1]!.no; // the line holding `|`
    let blockIndent = -1;
    let endLine = startLine;
    while (i < lines.length && lines[i]!.indent > parentIndent) {
      if (blockIndent < 0) blockIndent = lines[i]!.indent;
      if (lines[i]!.indent < blockIndent) return fail();
      endLine = lines[i]!.no;
      i++;
    }
    if (blockIndent < 0) return fail();
    // Comment-looking lines inside the block are content: re-read the raw lines of the block.
    const body: string[] = [];
    for (let n = startLine; n < endLine; n++) {
      const l = raw[n]!;
      if (l.trim() !== '' && (l.length < blockIndent || l.slice(0, blockIndent).trim() !== '')) return fail();
      body.push(l.slice(blockIndent));
    }
    const textValue = `${body.join('\n')}\n`;
    return strip ? textValue.replace(/\n+$/, '') : textValue;
  };

  const parseFlowSeq = (rest: string, lineNo: number, column: number, pointer: string): unknown => {
    const close = rest.indexOf(']');
    if (close < 0 || rest.slice(close + 1).replace(/^ +#.*$/, '') !== '') return fail();
    const inner = rest.slice(1, close);
    if (/[[\]{}'"#&*!|>%@`]/.test(inner)) return fail();
    if (inner.trim() === '') return [];
    const out: unknown[] = [];
    let offset = 1;
    for (const part of inner.split(',')) {
      const lead = part.length - part.trimStart().length;
      const item = part.trim();
      if (item === '' || item.includes(': ') || item.endsWith(':') || item.includes(' ')) return fail();
      const scalar = readScalar(item);
      if (scalar === undefined) return fail();
      setPos(`${pointer}/${out.length}`, lineNo, column + offset + lead, lineNo, column + offset + lead);
      out.push(scalar.value);
      offset += part.length + 1;
    }
    return out;
  };

  let value: unknown = null;
  if (lines.length === 0) setPos(prefix, 1, 1, 1, 1);
  else {
    if (lines[0]!.indent !== 0) return undefined;
    value = parseBlock(0, prefix, 1, 1, 0);
    if (i < lines.length) return undefined;
  }
  if (failed) return undefined;
  return { value, positions, encrypted, hasSopsMetadata };
}

/** Splits `key: rest` (plain or quoted key); undefined when the line is not a simple mapping entry. */
function splitKey(textLine: string): { key: string; rest: string; restOffset: number } | undefined {
  let key: string;
  let after: number;
  const c = textLine[0];
  if (c === "'" || c === '"') {
    const end = textLine.indexOf(c, 1);
    if (end < 0) return undefined;
    key = textLine.slice(1, end);
    if (c === '"' && key.includes('\\')) return undefined;
    if (c === "'" && textLine[end + 1] === "'") return undefined;
    after = end + 1;
    if (textLine[after] !== ':') return undefined;
  } else {
    const colon = textLine.search(/:( |$)/);
    if (colon <= 0) return undefined;
    key = textLine.slice(0, colon);
    if (!isSafePlain(key) || resolvePlain(key) !== key) return undefined;
    after = colon;
  }
  let restOffset = after + 1;
  while (textLine.charCodeAt(restOffset) === 32) restOffset++;
  let rest = textLine.slice(restOffset);
  if (rest.startsWith('#')) rest = '';
  return { key, rest, restOffset };
}

function isSafePlain(s: string): boolean {
  if (s === '' || /^[?:,[\]{}#&*!|>'"%@`]/.test(s) || (s[0] === '-' && !/^-[0-9.]/.test(s))) return false;
  return !s.includes(' #') && !s.includes(': ') && !s.endsWith(':') && !/[\x00-\x1f]/.test(s);
}

/** Reads a one-line scalar (plain, single- or double-quoted), dropping a trailing comment. */
function readScalar(rest: string): { value: unknown } | undefined {
  const c = rest[0];
  if (c === "'") {
    let out = '';
    let k = 1;
    for (;;) {
      const q = rest.indexOf("'", k);
      if (q < 0) return undefined;
      out += rest.slice(k, q);
      if (rest[q + 1] === "'") {
        out += "'";
        k = q + 2;
        continue;
      }
      k = q + 1;
      break;
    }
    return trailingOk(rest.slice(k)) ? { value: out } : undefined;
  }
  if (c === '"') {
    const q = rest.indexOf('"', 1);
    if (q < 0) return undefined;
    const body = rest.slice(1, q);
    if (body.includes('\\')) return undefined;
    return trailingOk(rest.slice(q + 1)) ? { value: body } : undefined;
  }
  const hash = rest.indexOf(' #');
  const plain = hash >= 0 ? rest.slice(0, hash).replace(/ +$/, '') : rest;
  if (!isSafePlain(plain)) return undefined;
  const value = resolvePlain(plain);
  return typeof value === 'symbol' ? undefined : { value };
}

function trailingOk(tail: string): boolean {
  return tail === '' || /^ +#/.test(tail) || /^ +$/.test(tail);
}

/** YAML 1.2 core schema resolution, as the `yaml` package does it by default. */
function resolvePlain(s: string): unknown {
  if (s === '~' || s === 'null' || s === 'Null' || s === 'NULL') return null;
  if (s === 'true' || s === 'True' || s === 'TRUE') return true;
  if (s === 'false' || s === 'False' || s === 'FALSE') return false;
  if (/^[-+]?[0-9]+$/.test(s)) {
    const n = Number(s);
    return Number.isSafeInteger(n) ? n : Symbol('unsafe');
  }
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(s)) return Number(s);
  if (/^0[ox]/i.test(s) || /^[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)$/.test(s) || /^\.(?:nan|NaN|NAN)$/.test(s))
    return Symbol('special');
  return s;
}

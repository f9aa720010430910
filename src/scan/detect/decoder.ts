/**
 * gitleaks' recursive decoding (detect/codec): percent, unicode-escape, hex and base64 segments are
 * decoded in place, pass after pass, and findings inside decoded text are mapped back to where the
 * encoded text was. A port of codec/*.go; offsets here are UTF-16 throughout (consistently, so they
 * map back to the same lines), where Go uses bytes.
 */
import { compileGoRegex, findAllIndex, findSubmatch, forEachMatchGo } from '../re2/translate.js';

interface Span {
  start: number;
  end: number;
}

const overlaps = (s: Span, o: Span): boolean => o.start <= s.end && o.end >= s.start;
const contains = (s: Span, o: Span): boolean => s.start <= o.start && o.end <= s.end;
const merge = (s: Span, o: Span): Span => ({
  start: Math.min(s.start, o.start),
  end: Math.max(s.end, o.end),
});
const sub = (s: Span, o: Span): Span => ({ start: s.start - o.start, end: s.end - o.end });
const add = (s: Span, o: Span): Span => ({ start: s.start + o.start, end: s.end + o.end });
const overflow = (s: Span, o: Span): Span => sub(merge(s, o), s);

/** A piece of text that was decoded in some pass. */
export interface EncodedSegment {
  predecessors: EncodedSegment[];
  original: Span;
  encoded: Span;
  decoded: Span;
  decodedValue: string;
  encodings: number;
  depth: number;
}

const PERCENT = 1;
const UNICODE = 2;
const HEX = 4;
const BASE64 = 8;
const NAMES: [number, string][] = [
  [PERCENT, 'percent'],
  [UNICODE, 'unicode'],
  [HEX, 'hex'],
  [BASE64, 'base64'],
];

const printable = (c: number): boolean => c > 0x08 && c < 0x7f;
const isPrintableAscii = (b: Uint8Array): boolean => b.every(printable);

function hexNibble(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

function decodePercent(value: string): string {
  let out = '';
  let i = 0;
  while (i < value.length) {
    if (value[i] === '%' && i + 2 < value.length) {
      const n1 = hexNibble(value.charCodeAt(i + 1));
      const n2 = hexNibble(value.charCodeAt(i + 2));
      if (n1 >= 0 && n2 >= 0) {
        const b = (n1 << 4) | n2;
        if (!printable(b)) return '';
        out += String.fromCharCode(b);
        i += 3;
        continue;
      }
    }
    out += value[i];
    i++;
  }
  return out;
}

function decodeHex(value: string): string {
  if (value.length % 2 !== 0 || !/[0-9]/.test(value)) return '';
  let out = '';
  for (let i = 0; i < value.length; i += 2) {
    const n1 = hexNibble(value.charCodeAt(i));
    const n2 = hexNibble(value.charCodeAt(i + 1));
    if (n1 < 0 || n2 < 0) return '';
    const b = (n1 << 4) | n2;
    if (!printable(b)) return '';
    out += String.fromCharCode(b);
  }
  return out;
}

const STD_B64 = /^[A-Za-z0-9+/]*$/;
const URL_B64 = /^[A-Za-z0-9_-]*$/;

/** Go's base64.StdEncoding (padded) then RawURLEncoding, both strict about their alphabet and padding. */
function decodeBase64(value: string): string {
  if (!/[0-9+/_-]/.test(value)) return '';
  const body = value.replace(/={1,2}$/, '');
  const pad = value.length - body.length;
  if (value.length % 4 === 0 && STD_B64.test(body) && (pad === 0 || body.length % 4 === 4 - pad)) {
    const bytes = Buffer.from(value, 'base64');
    if (isPrintableAscii(bytes)) return bytes.toString('latin1');
  }
  if (pad === 0 && URL_B64.test(value) && value.length % 4 !== 1) {
    const bytes = Buffer.from(value, 'base64url');
    if (isPrintableAscii(bytes)) return bytes.toString('latin1');
  }
  return '';
}

const unicodeMultiCodePoint = compileGoRegex(String.raw`(?:U\+[a-fA-F0-9]{4}(?:\s|$))+`);
const unicodeEscape = compileGoRegex(String.raw`(?i)\\{1,2}u([a-fA-F0-9]{4})`);
const unicodeMultiEscape = compileGoRegex(String.raw`(?i)(?:\\{1,2}u[a-fA-F0-9]{4})+`);

function matchesAll(re: RegExp, text: string): string[] {
  return findAllIndex(re, text).map(([s, e]) => text.slice(s, e));
}

/**
 * codec/unicode.go decodeUnicode. Values reaching it matched the unicode encoding pattern, so one of
 * the two multi-sequence forms always applies; Go's per-code-point fallback is unreachable here.
 */
function decodeUnicode(valueIn: string): string {
  let value = valueIn;
  const multi = matchesAll(unicodeMultiCodePoint, value);
  if (multi.length > 0) {
    for (const m of multi) {
      const cps = m
        .split(/[\t\n\v\f\r \u0085\u00a0]+/)
        .filter((f) => f.startsWith('U+') && f.length >= 6)
        .map((f) => Number.parseInt(f.slice(2), 16))
        .filter((n) => !Number.isNaN(n));
      const decoded = cps.length > 0 ? String.fromCodePoint(...cps) : m;
      if (decoded !== '' && decoded !== m) value = value.replace(m, () => decoded);
    }
    return value;
  }
  const escapes = matchesAll(unicodeMultiEscape, value);
  if (escapes.length > 0) {
    for (const m of escapes) {
      const cps = findAllIndex(unicodeEscape, m).map(([s, e]) =>
        Number.parseInt(findSubmatch(unicodeEscape, m.slice(s, e))![1]!, 16),
      );
      const decoded = cps.length > 0 ? String.fromCodePoint(...cps) : m;
      if (decoded !== '' && decoded !== m) value = value.replace(m, () => decoded);
    }
    return value;
  }
  return value;
}

const encodings: { kind: number; pattern: string; decode: (v: string) => string }[] = [
  { kind: PERCENT, pattern: '%[0-9A-Fa-f]{2}(?:.*%[0-9A-Fa-f]{2})?', decode: decodePercent },
  {
    kind: UNICODE,
    pattern: String.raw`(?:(?:U\+[a-fA-F0-9]{4}(?:\s|$))+|(?i)(?:\\{1,2}u[a-fA-F0-9]{4})+)`,
    decode: decodeUnicode,
  },
  { kind: HEX, pattern: '[0-9A-Fa-f]{32,}', decode: decodeHex },
  { kind: BASE64, pattern: String.raw`[\w\/+-]{16,}={0,2}`, decode: decodeBase64 },
];
const precedence = new Map(encodings.map((e, i) => [e.kind, encodings.length - i]));
const encodingsRe = compileGoRegex(encodings.map((e) => `(${e.pattern})`).join('|'));
interface EncodingMatch extends Span {
  kind: number;
  decode: (v: string) => string;
}

/** codec.findEncodingMatches: one combined pattern, Go FindAll rules, lower precedence loses overlaps. */
function findEncodingMatches(data: string): EncodingMatch[] {
  const all: EncodingMatch[] = [];
  forEachMatchGo(encodingsRe, data, (m) => {
    const start = m.index;
    const end = start + m[0].length;
    encodings.forEach((enc, j) => {
      if (m[j + 1] !== undefined) all.push({ start, end, kind: enc.kind, decode: enc.decode });
    });
  });
  if (all.length === 1) return all;
  return all.filter((m, i) => {
    const prev = all[i - 1];
    if (prev && overlaps(m, prev) && precedence.get(prev.kind)! > precedence.get(m.kind)!) return false;
    const next = all[i + 1];
    if (next && overlaps(m, next) && precedence.get(next.kind)! > precedence.get(m.kind)!) return false;
    return true;
  });
}

function toOriginal(predecessors: EncodedSegment[], decoded: Span): Span {
  if (predecessors.length === 0) return decoded;
  let encoded: Span = { start: 0, end: 0 };
  for (const p of predecessors) {
    if (!overlaps(p.decoded, decoded)) continue;
    if (contains(p.decoded, decoded)) return p.original;
    const e = add(p.encoded, overflow(p.decoded, decoded));
    encoded = encoded.end === 0 ? e : merge(encoded, e);
  }
  if (encoded.end === 0) return decoded;
  return toOriginal(predecessors[0]!.predecessors, encoded);
}

/** One decoding pass over `data`: the new text and the segments it decoded. */
export class Decoder {
  private readonly cache = new Map<string, string>();

  decode(data: string, predecessors: EncodedSegment[]): { text: string; segments: EncodedSegment[] } {
    const segments = this.findSegments(data, predecessors);
    if (segments.length === 0) return { text: data, segments };
    let out = '';
    let at = 0;
    for (const s of segments) {
      out += data.slice(at, s.encoded.start) + s.decodedValue;
      at = s.encoded.end;
    }
    return { text: out + data.slice(at), segments };
  }

  private findSegments(data: string, predecessors: EncodedSegment[]): EncodedSegment[] {
    if (data.length === 0) return [];
    let shift = 0;
    const out: EncodedSegment[] = [];
    for (const m of findEncodingMatches(data)) {
      const encodedValue = data.slice(m.start, m.end);
      let decodedValue = this.cache.get(encodedValue);
      if (decodedValue === undefined) {
        decodedValue = m.decode(encodedValue);
        if (this.cache.size >= 10_000) this.cache.clear(); // shared by every fragment of a scan
        this.cache.set(encodedValue, decodedValue);
      }
      if (decodedValue.length === 0) continue;
      const segment: EncodedSegment = {
        predecessors,
        original: toOriginal(predecessors, { start: m.start, end: m.end }),
        encoded: { start: m.start, end: m.end },
        decoded: { start: m.start + shift, end: m.start + shift + decodedValue.length },
        decodedValue,
        encodings: m.kind,
        depth: 1,
      };
      shift += decodedValue.length - encodedValue.length;
      if (predecessors.length > 0) {
        segment.depth = 1 + predecessors[0]!.depth;
        for (const p of predecessors)
          if (overlaps(segment.encoded, p.decoded)) segment.encodings |= p.encodings;
      }
      out.push(segment);
    }
    return out;
  }
}

/** Segments whose decoded range overlaps a match (none: the match was already seen undecoded). */
export function segmentsOverlapping(
  segments: EncodedSegment[],
  start: number,
  end: number,
): EncodedSegment[] {
  return segments.filter((s) => overlaps(s.decoded, { start, end }));
}

/** Maps a match in the decoded text back to the original text. */
export function adjustMatchIndex(segments: EncodedSegment[], start: number, end: number): [number, number] {
  const o = toOriginal(segments, { start, end });
  return [o.start, o.end];
}

/** gitleaks' tags for decoded findings: `decoded:<kind>`… and `decode-depth:<n>`. */
export function decodeTags(segments: EncodedSegment[]): string[] {
  if (segments.length === 0) return [];
  let kinds = 0;
  for (const s of segments) kinds |= s.encodings;
  const tags = NAMES.filter(([k]) => (kinds & k) !== 0).map(([, n]) => `decoded:${n}`);
  tags.push(`decode-depth:${segments[0]!.depth}`);
  return tags;
}

/** The decoded line(s) around the segments (gitleaks' CurrentLine, newline quirk included). */
export function currentLine(segments: EncodedSegment[], raw: string): string {
  if (segments.length === 0) return raw;
  let decoded = segments[0]!.decoded;
  for (const s of segments.slice(1)) decoded = merge(decoded, s.decoded);
  let start = 0;
  let end = raw.length;
  for (let i = Math.min(decoded.start, raw.length - 1); i > -1; i--) {
    if (raw[i] === '\n') {
      start = i;
      break;
    }
  }
  for (let i = decoded.end; i < end; i++) {
    if (raw[i] === '\n') {
      end = i;
      break;
    }
  }
  return raw.slice(start, end);
}

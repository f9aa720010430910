import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';

/**
 * Go RE2 (regexp/syntax, Perl flags) → JavaScript RegExp translation.
 *
 * gitleaks configs are written in Go's dialect. About half of real-world patterns either do not
 * compile as JS (`(?i)` mid-pattern, `(?i:…)`, `\z`, `(?P<n>…)`) or compile but mean something else
 * (`[[:alnum:]]`, `[^]]`, `\s`, `.` around `\r`). We parse the Go syntax into a small tree and emit
 * an equivalent JS pattern with the `u` flag, never the `i`/`s`/`m` flags: case folding, dot and
 * line anchors are resolved per node, so flags that change mid-pattern keep Go's meaning.
 * See https://pkg.go.dev/regexp/syntax for the dialect being reproduced.
 */

/** A pattern that is not valid Go RE2, or that has no JS equivalent. */
export class RegexTranslationError extends Error {
  readonly pattern: string;
  readonly offset: number;
  constructor(message: string, pattern: string, offset: number) {
    super(message);
    this.name = 'RegexTranslationError';
    this.pattern = pattern;
    this.offset = offset;
  }
}

type Range = [number, number];

type Node =
  | { t: 'lit'; cp: number; fold: boolean }
  | { t: 'class'; negated: boolean; ranges: Range[]; props: string[]; complements?: ClassTerm[] }
  | { t: 'assert'; js: string }
  | { t: 'group'; capture: boolean; body: Node }
  | { t: 'alt'; alts: Node[] }
  | { t: 'concat'; items: Node[] }
  | { t: 'repeat'; min: number; max: number; greedy: boolean; body: Node }
  | { t: 'empty' };

/**
 * Part of a class that is the complement of a set JS can only write as a class of its own:
 * (?i)\P{Lu} inside brackets is "not (Lu or its fold partners)", [^\p{Lu}...], which a single
 * bracket class cannot union with other members. A class node matches ranges ∪ props ∪ every
 * complement (then negated if `negated`).
 */
interface ClassTerm {
  ranges: Range[];
  props: string[];
}

/** A class escape (\d, \pL, ...): ranges ∪ props, complemented when `negated`. */
interface ClassEscape {
  negated: boolean;
  ranges: Range[];
  props: string[];
}

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  U: boolean;
}

const MAX_RUNE = 0x10ffff;
const MAX_REPEAT = 1000;

const perlClasses: Record<string, Range[]> = {
  d: [[0x30, 0x39]],
  s: [
    [0x09, 0x0a],
    [0x0c, 0x0d],
    [0x20, 0x20],
  ],
  w: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x5f, 0x5f],
    [0x61, 0x7a],
  ],
};

const posixClasses: Record<string, Range[]> = {
  alnum: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  alpha: [
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  ascii: [[0x00, 0x7f]],
  blank: [
    [0x09, 0x09],
    [0x20, 0x20],
  ],
  cntrl: [
    [0x00, 0x1f],
    [0x7f, 0x7f],
  ],
  digit: [[0x30, 0x39]],
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [
    [0x21, 0x2f],
    [0x3a, 0x40],
    [0x5b, 0x60],
    [0x7b, 0x7e],
  ],
  space: [
    [0x09, 0x0d],
    [0x20, 0x20],
  ],
  upper: [[0x41, 0x5a]],
  word: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x5f, 0x5f],
    [0x61, 0x7a],
  ],
  xdigit: [
    [0x30, 0x39],
    [0x41, 0x46],
    [0x61, 0x66],
  ],
};

/**
 * Go's unicode.Categories keys (Go 1.25+ also has Cn and LC). regexp/syntax looks names up after
 * canonicalName (see canonicalGoName), and every key here is already canonical.
 */
const goCategories = new Set([
  'C',
  'Cc',
  'Cf',
  'Cn',
  'Co',
  'Cs',
  'L',
  'Ll',
  'Lm',
  'Lo',
  'Lt',
  'Lu',
  'M',
  'Mc',
  'Me',
  'Mn',
  'N',
  'Nd',
  'Nl',
  'No',
  'P',
  'Pc',
  'Pd',
  'Pe',
  'Pf',
  'Pi',
  'Po',
  'Ps',
  'S',
  'Sc',
  'Sk',
  'Sm',
  'So',
  'Z',
  'Zl',
  'Zp',
  'Zs',
]);

/**
 * The keys of Go's unicode.Scripts (Unicode 15.0.0) that regexp/syntax can reach: since Go 1.25 it
 * looks names up after canonicalName, which drops underscores and lowercases all but the first
 * letter, so `\p{Old_Italic}` or `\p{SignWriting}` no longer name anything in Go and are
 * rejected there (the interop test checks this list against the Go toolchain).
 */
const goScripts = new Set(
  (
    'Adlam Ahom Arabic Armenian Avestan Balinese Bamum Batak Bengali Bhaiksuki Bopomofo Brahmi ' +
    'Braille Buginese Buhid Carian Chakma Cham Cherokee Chorasmian Common Coptic Cuneiform Cypriot ' +
    'Cyrillic Deseret Devanagari Dogra Duployan Elbasan Elymaic Ethiopic Georgian Glagolitic Gothic ' +
    'Grantha Greek Gujarati Gurmukhi Han Hangul Hanunoo Hatran Hebrew Hiragana Inherited Javanese ' +
    'Kaithi Kannada Katakana Kawi Kharoshthi Khmer Khojki Khudawadi Lao Latin Lepcha Limbu Lisu ' +
    'Lycian Lydian Mahajani Makasar Malayalam Mandaic Manichaean Marchen Medefaidrin Miao Modi ' +
    'Mongolian Mro Multani Myanmar Nabataean Nandinagari Newa Nko Nushu Ogham Oriya Osage Osmanya ' +
    'Palmyrene Phoenician Rejang Runic Samaritan Saurashtra Sharada Shavian Siddham Sinhala Sogdian ' +
    'Soyombo Sundanese Syriac Tagalog Tagbanwa Takri Tamil Tangsa Tangut Telugu Thaana Thai Tibetan ' +
    'Tifinagh Tirhuta Toto Ugaritic Vai Vithkuqi Wancho Yezidi Yi'
  ).split(' '),
);

/** Go's unicode.CategoryAliases, keyed by canonicalName as regexp/syntax looks them up. */
const goCategoryAliases: Record<string, string> = {
  Casedletter: 'LC',
  Closepunctuation: 'Pe',
  Cntrl: 'Cc',
  Combiningmark: 'M',
  Connectorpunctuation: 'Pc',
  Control: 'Cc',
  Currencysymbol: 'Sc',
  Dashpunctuation: 'Pd',
  Decimalnumber: 'Nd',
  Digit: 'Nd',
  Enclosingmark: 'Me',
  Finalpunctuation: 'Pf',
  Format: 'Cf',
  Initialpunctuation: 'Pi',
  Letter: 'L',
  Letternumber: 'Nl',
  Lineseparator: 'Zl',
  Lowercaseletter: 'Ll',
  Mark: 'M',
  Mathsymbol: 'Sm',
  Modifierletter: 'Lm',
  Modifiersymbol: 'Sk',
  Nonspacingmark: 'Mn',
  Number: 'N',
  Openpunctuation: 'Ps',
  Other: 'C',
  Otherletter: 'Lo',
  Othernumber: 'No',
  Otherpunctuation: 'Po',
  Othersymbol: 'So',
  Paragraphseparator: 'Zp',
  Privateuse: 'Co',
  Punct: 'P',
  Punctuation: 'P',
  Separator: 'Z',
  Spaceseparator: 'Zs',
  Spacingmark: 'Mc',
  Surrogate: 'Cs',
  Symbol: 'S',
  Titlecaseletter: 'Lt',
  Unassigned: 'Cn',
  Uppercaseletter: 'Lu',
};

/**
 * The names with a case-folding table in Go (unicode.FoldCategory and unicode.FoldScript): under
 * (?i) only these classes grow by their fold partners. Every other class is used unfolded, even
 * where folding would add something (\p{LC} has no table, so (?i)\p{LC} does not match U+0345).
 */
const goFoldableNames = new Set(['L', 'Ll', 'Lt', 'Lu', 'M', 'Mn', 'Common', 'Greek', 'Inherited']);

/** regexp/syntax's canonicalName: drop ' ', '_' and '-', uppercase the first letter, lowercase the rest. */
function canonicalGoName(name: string): string {
  let out = '';
  let first = true;
  for (const ch of name) {
    if (ch === '_' || ch === '-' || ch === ' ') continue;
    if (first) {
      out += ch >= 'a' && ch <= 'z' ? ch.toUpperCase() : ch;
      first = false;
    } else {
      out += ch >= 'A' && ch <= 'Z' ? ch.toLowerCase() : ch;
    }
  }
  return out;
}

/** A Go Unicode class name resolved to a JS property escape (or plain ranges), as unicodeTable does. */
interface GoUnicodeClass {
  /** `\p{..}` for JS (u flag), or undefined when `ranges` is the whole class. */
  js: string | undefined;
  ranges: Range[];
  /** The table is inverted (Go's "Assigned" is "not Cn"). */
  invert: boolean;
  /** Go has a fold table for it: (?i) adds the case partners. */
  fold: boolean;
}

/**
 * Known gap: the JS property escapes follow the Unicode version of Node's ICU (17.0 on Node 20.20),
 * Go's tables are 15.0.0, so code points assigned since then (new CJK ideographs, Garay, ...) are in
 * JS's \p{L} or \p{Han} but not in Go's, and in Go's \p{Cn} but not JS's. Case folding is not
 * affected: it uses Go's own orbits (GO_FOLD_EDGES).
 */
function resolveGoUnicodeClass(rawName: string): GoUnicodeClass | undefined {
  const name = canonicalGoName(rawName);
  switch (name) {
    case 'Any':
      return { js: undefined, ranges: [[0, MAX_RUNE]], invert: false, fold: false };
    case 'Assigned':
      return { js: '\\p{Cn}', ranges: [], invert: true, fold: false };
    case 'Ascii':
      return { js: undefined, ranges: [[0, 0x7f]], invert: false, fold: true };
    case 'Lc':
      return { js: '\\p{LC}', ranges: [], invert: false, fold: false };
  }
  const category = goCategories.has(name) ? name : goCategoryAliases[name];
  if (category !== undefined) {
    return { js: `\\p{${category}}`, ranges: [], invert: false, fold: goFoldableNames.has(category) };
  }
  if (goScripts.has(name)) {
    return { js: `\\p{Script=${name}}`, ranges: [], invert: false, fold: goFoldableNames.has(name) };
  }
  return undefined;
}

/**
 * Go's simple case folding orbits (unicode.SimpleFold, Unicode 15.0.0), which Go's (?i) uses for
 * literals, ranges and Unicode classes. JS case mappings give different orbits (µ Μ μ, Σ ς σ,
 * Ǆ ǅ ǆ, ß ẞ, ı, Cyrillic ᲀ.., newer Unicode pairs), so the table is embedded rather than derived.
 * Each entry links an orbit's smallest member to another member: "start[:count|.count]+delta" in
 * base 36, ':' stepping by 2 and '.' by 1. The interop test (go-regexp.test.ts) compares every code
 * point with the Go toolchain and prints a regenerated table when Go's data changes.
 */
const GO_FOLD_EDGES = [
  '74:o+1 8i:3+1 8p:8+1 96:n+1 ah:3+1 aq:2+1 av+1 az+1 b5+1 bc+1 bk:3+1 br+1 bw+1 bz+1 c3:2+1 c8+1',
  'cc+1 ck+1 cn+1 cq+1 ct:8+1 da:9+1 dt+1 dw+1 e0:k+1 f6:9+1 fv+1 g1+1 g6:5+1 og:2+1 om+1 rc:c+1',
  's7+1 sa+1 v4:h+1 wa:r+1 xt:7+1 y8:1c+1 5xc:23+1 61s:1c+1 6mb+1 8rk+1 8rr:3+1 8s2+1 8s5+1',
  '8sg:1e+1 8vf:2+1 8vm+1 wu8:5+1 wuk:h+1 ww0:e+1 x0i:7+1 x0y:v+1 x2x:2+1 x32:5+1 x3f+1 x3k:2+1',
  'x3q:a+1 x4k:8+1 x53:2+1 x5c+1 x5i:2+1 x6d+1 ck+2 cn+2 cq+2 dt+2 s2+7 6at+7 r3+8 3xs.6+8 64g.8+8',
  '64w.6+8 65c.8+8 65s.8+8 668.6+8 66p:4+8 674.8+8 680.8+8 68g.8+8 68w.8+8 69c.2+8 6a8.2+8 6ao.2+8',
  '69f+9 69v+9 6b7+9 xs+f 6lc.g+g 792.q+q 6k2+s pv+v 1t.q+w 5c.n+w 60.7+w pd.8+w pm.2+w pp.5+w',
  'pv.9+w sw.w+w 1ee9.q+w 1jfk.w+w 20cg.w+w 2olc.y+y p4.3+11 p2+12 1fn4.b+13 1fng.f+13 1fnw.7+13',
  '1fo4.2+13 1fcw.14+14 1fhs.10+14 py+1b 10x.12+1c 8ow.1c+1c x3o+1c ps+1i cf+1k pk+1l 600+1n pe+1q',
  'pa.2+1r p8+1s 1h1c.1f+1s g4+1x g5+1z 67k.2+22 b2+27 pt+28 sg.g+28 n9+2c pm+2e 67m.4+2e pk+2k',
  'ph+2o b9+2p 67q.2+2s 67u.2+34 n9+38 ov+38 73+3d 67w.2+3i 67s.2+3k bi+3m or.3+3m be+4j ao+5f',
  'b3+5m b4+5n ax.2+5p b7+5p au+5q b8+5r bb+5t ap+5u ba+5v bg+5v bh+5x bj+5y c1.2+61 bq+62 bt+62',
  'by+62 c7+63 2b+8c 51+kn 51+lj x4j+ps 3bk.17+2bk 3ct.3+2bk 5tp+2xy v6+4rp tm+4t8 td.2+4te te+4tf',
  'ta+4tg t0+4tp sy+4tq 3a8.12+5ls 3bb+5ls 3bh+5ls n9+5mh q1+5tp 67+5vj 5h+6ee 23+6hr hp+89z h7+8af',
  'hd+8al gh+8bg gi+8bi gg+8bj fy+8bs fu+8bv fz.2+8cf 5mw+r7m 5mw+r7n 5tl+r9g 5u6+raw 3vk.28+tzk',
  'im+wlu il+wlx h1+wmg hz+wmi h8+wn5 hu+wn7 h2+wn8 h6+wn8 gx+wnf gs+wnj',
].join(' ');

/** Code point → its orbit (sorted, shared: never mutate), for code points with fold partners. */
let goFoldTable: Map<number, readonly number[]> | undefined;

function foldTable(): Map<number, readonly number[]> {
  if (goFoldTable) return goFoldTable;
  const orbits = new Map<number, number[]>();
  for (const run of GO_FOLD_EDGES.split(' ')) {
    const m = /^([0-9a-z]+)(?:([:.])([0-9a-z]+))?\+([0-9a-z]+)$/.exec(run)!;
    const start = Number.parseInt(m[1]!, 36);
    const stride = m[2] === ':' ? 2 : 1;
    const count = m[3] === undefined ? 1 : Number.parseInt(m[3], 36);
    const delta = Number.parseInt(m[4]!, 36);
    for (let k = 0; k < count; k++) {
      const smallest = start + k * stride;
      let orbit = orbits.get(smallest);
      if (!orbit) {
        orbit = [smallest];
        orbits.set(smallest, orbit);
      }
      orbit.push(smallest + delta);
    }
  }
  goFoldTable = new Map();
  for (const orbit of orbits.values()) {
    orbit.sort((a, b) => a - b);
    for (const cp of orbit) goFoldTable.set(cp, orbit);
  }
  return goFoldTable;
}

/** ASCII orbits, so that the common ASCII-only (?i) patterns never decode the full table. */
const asciiOrbits: (readonly number[])[] = [];
for (let cp = 0; cp < 0x80; cp++) asciiOrbits.push([cp]);
for (let upper = 0x41; upper <= 0x5a; upper++) {
  const orbit =
    upper === 0x4b ? [0x4b, 0x6b, 0x212a] : upper === 0x53 ? [0x53, 0x73, 0x17f] : [upper, upper + 0x20];
  asciiOrbits[upper] = orbit;
  asciiOrbits[upper + 0x20] = orbit;
}

/** Simple case folding orbit of a code point (itself included, sorted), as Go's unicode.SimpleFold walks it. */
export function foldOrbit(cp: number): readonly number[] {
  if (cp < 0x80) return asciiOrbits[cp]!;
  return foldTable().get(cp) ?? [cp];
}

function normalizeRanges(ranges: Range[]): Range[] {
  const sorted = ranges.map((r) => [r[0], r[1]] as Range).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push(r);
  }
  return out;
}

function negateRanges(ranges: Range[]): Range[] {
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of normalizeRanges(ranges)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_RUNE) out.push([next, MAX_RUNE]);
  return out;
}

/** Case folding applies to letters only; beyond this code point no scripts have case pairs. */
const FOLD_SCAN_LIMIT = 0x1e943;

/** Every code point with a non-trivial fold orbit, paired with each partner (built once, lazily). */
let foldPairs: [number, number][] | undefined;

function allFoldPairs(): [number, number][] {
  if (foldPairs) return foldPairs;
  foldPairs = [];
  for (const [cp, orbit] of foldTable()) for (const f of orbit) if (f !== cp) foldPairs.push([cp, f]);
  return foldPairs;
}

function inRanges(ranges: Range[], cp: number): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const [a, b] = ranges[mid]!;
    if (cp < a) hi = mid - 1;
    else if (cp > b) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Folded classes by their ranges: gitleaks' rules repeat the same few classes under (?i) hundreds of times. */
const foldedClasses = new Map<string, Range[]>();

function foldRanges(rangesIn: Range[]): Range[] {
  const key = rangesIn.map((r) => `${r[0]}-${r[1]}`).join(',');
  let folded = foldedClasses.get(key);
  if (!folded) {
    folded = computeFoldRanges(rangesIn);
    foldedClasses.set(key, folded);
  }
  return folded.map((r) => [r[0], r[1]] as Range);
}

/**
 * Code points that case mappings can produce are letters, marks (U+0345), letter numbers (Roman
 * numerals) and symbols (circled letters); the unit tests check this against every code point.
 */
const CASE_TARGET = /[\p{L}\p{M}\p{Nl}\p{So}]/u;

/** True when the code points missing from `ranges` (normalized) are few and none is a case-mapping target. */
function complementIsCaseless(ranges: Range[]): boolean {
  let checked = 0;
  for (const [lo, hi] of negateRanges(ranges)) {
    if (lo > FOLD_SCAN_LIMIT) continue;
    const top = Math.min(hi, FOLD_SCAN_LIMIT);
    checked += top - lo + 1;
    if (checked > 4096) return false;
    for (let cp = lo; cp <= top; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      if (CASE_TARGET.test(String.fromCodePoint(cp))) return false;
    }
  }
  return true;
}

/** Exported for the unit test of complementIsCaseless's premise: every fold partner is a CASE_TARGET. */
export function isCaseTarget(cp: number): boolean {
  return CASE_TARGET.test(String.fromCodePoint(cp));
}

function computeFoldRanges(rangesIn: Range[]): Range[] {
  const ranges = normalizeRanges(rangesIn);
  const out: Range[] = [...ranges];
  let size = 0;
  for (const [lo, hi] of ranges) size += Math.min(hi, FOLD_SCAN_LIMIT) - lo + 1;
  if (size > 4096) {
    // Big sets such as (?i)[\S]: when what they leave out cannot be reached by case folding (no
    // letters or other case-mapping targets), folding adds nothing. This avoids walking every code
    // point's case mapping (allFoldPairs, ~15-30 ms at start-up) for the common negated classes.
    if (complementIsCaseless(ranges)) return ranges;
    // Other big sets: walk the case pairs instead of every code point.
    for (const [cp, partner] of allFoldPairs()) if (inRanges(ranges, cp)) out.push([partner, partner]);
    return normalizeRanges(out);
  }
  for (const [lo, hi] of ranges) {
    const top = Math.min(hi, FOLD_SCAN_LIMIT);
    for (let cp = lo; cp <= top; cp++) {
      // Fast path for ASCII: only letters (and k/s for their non-ASCII partners) fold.
      if (cp < 0x80 && !((cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a))) continue;
      for (const f of foldOrbit(cp)) if (f !== cp) out.push([f, f]);
    }
  }
  return normalizeRanges(out);
}

/** Fold partners of JS property classes, by property escape (see foldPropertyExtras). */
const propertyFolds = new Map<string, Range[]>();

/** Gaps of at most this many code points between fold partners are bridged through the class itself. */
const BRIDGE_GAP = 64;

/**
 * What Go's fold table adds to a Unicode class under (?i): every code point outside the property
 * whose fold orbit meets it (for \p{Lu}, the lower and title case partners of upper case letters).
 * Members of the property are free to include as well (the result is always used together with the
 * property), so runs such as U+0100..U+017F collapse into one range where the partners alternate
 * with members: about 100 ranges for Lu or Ll instead of 1,400 code points.
 */
function foldPropertyExtras(js: string): Range[] {
  const known = propertyFolds.get(js);
  if (known) return known;
  const re = new RegExp(`^${js}$`, 'u');
  const inProperty = (cp: number): boolean => re.test(String.fromCodePoint(cp));
  const partners: number[] = [];
  for (const [cp, orbit] of foldTable()) if (!inProperty(cp) && orbit.some(inProperty)) partners.push(cp);
  partners.sort((a, b) => a - b);
  const out: Range[] = [];
  for (const cp of partners) {
    const last = out[out.length - 1];
    if (last && cp - last[1] <= BRIDGE_GAP) {
      let bridged = true;
      for (let x = last[1] + 1; x < cp && bridged; x++) bridged = inProperty(x);
      if (bridged) {
        last[1] = cp;
        continue;
      }
    }
    out.push([cp, cp]);
  }
  propertyFolds.set(js, out);
  return out;
}

class Parser {
  private pos = 0;
  private captures = 0;
  readonly names: (string | undefined)[] = [];
  /** Constructs whose JS meaning can differ from Go's (reported, not dropped). */
  readonly warnings: string[] = [];

  constructor(private readonly src: string) {}

  fail(message: string, at = this.pos): never {
    throw new RegexTranslationError(`${message} at offset ${at}`, this.src, at);
  }

  parse(): { node: Node; captures: number } {
    const node = this.parseAlternation({ i: false, m: false, s: false, U: false }, 0);
    if (this.pos < this.src.length) this.fail('unexpected )');
    return { node, captures: this.captures };
  }

  private peek(): string | undefined {
    return this.src[this.pos];
  }

  /** Reads one code point (patterns may contain astral characters). */
  private nextRune(): number {
    const cp = this.src.codePointAt(this.pos);
    if (cp === undefined) this.fail('unexpected end of pattern');
    this.pos += cp > 0xffff ? 2 : 1;
    return cp;
  }

  private parseAlternation(flagsIn: Flags, depth: number): Node {
    const flags = { ...flagsIn };
    const alts: Node[] = [];
    let items: Node[] = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === ')') break;
      if (c === '|') {
        this.pos++;
        alts.push(concat(items));
        items = [];
        continue;
      }
      const atom = this.parseAtom(flags, depth);
      if (atom === null) continue; // a flag group like (?i): changes flags only
      items.push(this.parseRepeats(atom, flags));
    }
    alts.push(concat(items));
    return alts.length === 1 ? alts[0]! : { t: 'alt', alts };
  }

  private parseRepeats(atomIn: Node, flags: Flags): Node {
    let atom = atomIn;
    let repeated = false;
    for (;;) {
      const start = this.pos;
      const c = this.peek();
      let min: number;
      let max: number;
      if (c === '*') {
        min = 0;
        max = -1;
        this.pos++;
      } else if (c === '+') {
        min = 1;
        max = -1;
        this.pos++;
      } else if (c === '?') {
        min = 0;
        max = 1;
        this.pos++;
      } else if (c === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos));
        if (!m) return atom; // Go treats a `{` that is not a repetition as a literal
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] === '' ? -1 : Number(m[3]);
        if (min > MAX_REPEAT || max > MAX_REPEAT || (max !== -1 && max < min)) {
          this.fail(`invalid repeat count ${m[0]}`, start);
        }
        this.pos += m[0].length;
      } else {
        return atom;
      }
      if (repeated) this.fail(`invalid nested repetition operator ${this.src.slice(start, this.pos)}`, start);
      let greedy = true;
      if (this.peek() === '?') {
        this.pos++;
        greedy = false;
      }
      if (flags.U) greedy = !greedy;
      if (atom.t === 'empty') this.fail('missing argument to repetition operator', start);
      if (isNullable(atom)) {
        // Go accepts an iteration that matched empty (and stops looping); JS rejects it and backtracks
        // into the iteration instead, so matches and captures can differ. Report it, keep the rule.
        this.warnings.push(
          `a repeated or optional group that can match the empty string (${this.src.slice(Math.max(0, start - 20), this.pos)}) may match differently than in Go when it matches empty`,
        );
      }
      atom = { t: 'repeat', min, max, greedy, body: atom };
      repeated = true;
    }
  }

  /** Returns null for a bare flag group, which only changes `flags` in place. */
  private parseAtom(flags: Flags, depth: number): Node | null {
    const start = this.pos;
    const c = this.peek()!;
    switch (c) {
      case '(':
        return this.parseGroup(flags, depth);
      case '[':
        return this.parseClass(flags);
      case '.':
        this.pos++;
        return flags.s
          ? { t: 'class', negated: false, ranges: [[0, MAX_RUNE]], props: [] }
          : { t: 'class', negated: true, ranges: [[0x0a, 0x0a]], props: [] };
      case '^':
        this.pos++;
        return { t: 'assert', js: flags.m ? '(?<![^\\n])' : '^' };
      case '$':
        this.pos++;
        return { t: 'assert', js: flags.m ? '(?![^\\n])' : '$' };
      case '*':
      case '+':
      case '?':
        this.fail(`missing argument to repetition operator ${c}`, start);
        break;
      case '\\':
        return this.parseEscapeAtom(flags);
      default: {
        const cp = this.nextRune();
        return { t: 'lit', cp, fold: flags.i };
      }
    }
  }

  private parseGroup(flags: Flags, depth: number): Node | null {
    const start = this.pos;
    this.pos++; // (
    let capture = true;
    let groupFlags = flags;
    if (this.src.startsWith('?P<', this.pos) || this.src.startsWith('?<', this.pos)) {
      const open = this.src.indexOf('<', this.pos);
      const close = this.src.indexOf('>', open);
      if (close < 0) this.fail('invalid named capture', start);
      const name = this.src.slice(open + 1, close);
      if (!/^[A-Za-z0-9_]+$/.test(name)) this.fail(`invalid named capture ${name}`, start);
      this.pos = close + 1;
      this.captures++;
      this.names[this.captures] = name;
    } else if (this.peek() === '?') {
      // Flag group: (?flags) or (?flags:re)
      const m = /^\?([imsU]*)(?:-([imsU]*))?([:)])/.exec(this.src.slice(this.pos));
      if (!m) this.fail(`invalid or unsupported Perl syntax ${this.src.slice(start, start + 4)}`, start);
      if (m[2] === '' || (m[1] === '' && m[2] === undefined && m[3] === ')')) {
        this.fail(`invalid or unsupported Perl syntax ${m[0]}`, start);
      }
      const next = { ...flags };
      for (const f of m[1]!) next[f as keyof Flags] = true;
      for (const f of m[2] ?? '') next[f as keyof Flags] = false;
      this.pos += m[0].length;
      if (m[3] === ')') {
        // Applies to the rest of the enclosing group.
        Object.assign(flags, next);
        return null;
      }
      capture = false;
      groupFlags = next;
    } else {
      this.captures++;
    }
    const body = this.parseAlternation(groupFlags, depth + 1);
    if (this.peek() !== ')') this.fail('missing closing )', start);
    this.pos++;
    return { t: 'group', capture, body };
  }

  private parseEscapeAtom(flags: Flags): Node {
    const start = this.pos;
    const c = this.src[this.pos + 1];
    if (c === undefined) this.fail('trailing backslash at end of expression', start);
    switch (c) {
      case 'A':
        this.pos += 2;
        return { t: 'assert', js: '^' };
      case 'z':
        this.pos += 2;
        return { t: 'assert', js: '$' };
      case 'b':
        this.pos += 2;
        return { t: 'assert', js: '\\b' };
      case 'B':
        this.pos += 2;
        return { t: 'assert', js: '\\B' };
      case 'Q': {
        this.pos += 2;
        let end = this.src.indexOf('\\E', this.pos);
        if (end < 0) end = this.src.length;
        const text = this.src.slice(this.pos, end);
        this.pos = Math.min(this.src.length, end + 2);
        const items: Node[] = [...text].map((ch) => ({ t: 'lit', cp: ch.codePointAt(0)!, fold: flags.i }));
        // `\Qab\E*` repeats only the last character, as in Go.
        if (items.length === 0) return { t: 'empty' };
        if (items.length === 1) return items[0]!;
        const last = items.pop()!;
        const repeated = this.parseRepeats(last, flags);
        return { t: 'concat', items: [...items, repeated] };
      }
      case 'C':
        this.fail('\\C (any byte) has no JavaScript equivalent', start);
        break;
      case 'd':
      case 'D':
      case 's':
      case 'S':
      case 'w':
      case 'W':
      case 'p':
      case 'P': {
        const cls = this.parseClassEscape(flags);
        return { t: 'class', negated: cls.negated, ranges: cls.ranges, props: cls.props };
      }
    }
    const cp = this.parseCharEscape();
    return { t: 'lit', cp, fold: flags.i };
  }

  /** A single-character escape (shared by atoms and classes). */
  private parseCharEscape(): number {
    const start = this.pos;
    this.pos++; // backslash
    const c = this.src[this.pos];
    if (c === undefined) this.fail('trailing backslash at end of expression', start);
    this.pos++;
    switch (c) {
      case 'a':
        return 0x07;
      case 'f':
        return 0x0c;
      case 't':
        return 0x09;
      case 'n':
        return 0x0a;
      case 'r':
        return 0x0d;
      case 'v':
        return 0x0b;
      case 'x': {
        if (this.peek() === '{') {
          const close = this.src.indexOf('}', this.pos);
          const hex = this.src.slice(this.pos + 1, close);
          if (close < 0 || !/^[0-9A-Fa-f]+$/.test(hex)) this.fail('invalid escape sequence \\x{', start);
          const v = Number.parseInt(hex, 16);
          if (v > MAX_RUNE) this.fail('invalid escape sequence (rune out of range)', start);
          this.pos = close + 1;
          return v;
        }
        const hex = this.src.slice(this.pos, this.pos + 2);
        if (!/^[0-9A-Fa-f]{2}$/.test(hex)) this.fail('invalid escape sequence \\x', start);
        this.pos += 2;
        return Number.parseInt(hex, 16);
      }
    }
    if (c >= '0' && c <= '7') {
      // \1-\7 alone are backreferences (unsupported in RE2); \0 and \1x.. are octal.
      const next = this.src[this.pos];
      if (c !== '0' && (next === undefined || next < '0' || next > '7')) {
        this.fail(`invalid escape sequence \\${c} (backreferences are not supported)`, start);
      }
      let digits = c;
      while (digits.length < 3 && this.src[this.pos] !== undefined && /[0-7]/.test(this.src[this.pos]!)) {
        digits += this.src[this.pos];
        this.pos++;
      }
      return Number.parseInt(digits, 8);
    }
    const code = c.codePointAt(0)!;
    if (code < 0x80 && !/[A-Za-z0-9]/.test(c)) return code;
    this.fail(`invalid escape sequence \\${c}`, start);
  }

  /** \d \s \w (and negations) and \p{..}: ranges, or a JS property escape. */
  private parseClassEscape(flags: Flags): ClassEscape {
    const start = this.pos;
    const c = this.src[this.pos + 1]!;
    this.pos += 2;
    const lower = c.toLowerCase();
    if (lower === 'd' || lower === 's' || lower === 'w') {
      let ranges = perlClasses[lower]!;
      if (flags.i) ranges = foldRanges(ranges);
      return { negated: c !== lower, ranges, props: [] };
    }
    // \pN, \p{Name}, \p{^Name}, \PN
    let name: string;
    if (this.peek() === '{') {
      const close = this.src.indexOf('}', this.pos);
      if (close < 0) this.fail('invalid character class range \\p{', start);
      name = this.src.slice(this.pos + 1, close);
      this.pos = close + 1;
    } else {
      const n = this.peek();
      if (n === undefined) this.fail('invalid character class range \\p', start);
      name = n;
      this.pos++;
    }
    let negated = c === 'P';
    if (name.startsWith('^')) {
      negated = !negated;
      name = name.slice(1);
    }
    const cls = resolveGoUnicodeClass(name);
    if (!cls) this.fail(`invalid character class range \\p{${name}}`, start);
    if (cls.invert) negated = !negated;
    // Go (parseUnicodeClass) adds the fold table to the class first and negates after: (?i)\P{Lu}
    // is "neither Lu nor a case partner of Lu", so it matches neither 'A' nor 'a'.
    const fold = flags.i && cls.fold;
    if (cls.js === undefined)
      return { negated, ranges: fold ? foldRanges(cls.ranges) : cls.ranges, props: [] };
    try {
      new RegExp(cls.js, 'u');
    } catch {
      this.fail(`invalid character class range \\p{${name}} (no JavaScript equivalent)`, start);
    }
    return { negated, ranges: fold ? foldPropertyExtras(cls.js) : [], props: [cls.js] };
  }

  private parseClass(flags: Flags): Node {
    const start = this.pos;
    this.pos++; // [
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.pos++;
    }
    let ranges: Range[] = [];
    // \d \w \s and POSIX classes, already folded (then negated) as Go's appendGroup does: folding
    // them again would add the case partners of what a negated group contains ((?i)[\W] would
    // match 'I', through U+0131).
    const groups: Range[] = [];
    const props: string[] = [];
    const complements: ClassTerm[] = [];
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.fail('missing closing ]', start);
      if (c === ']' && !first) break;
      first = false;
      // POSIX class [:name:] / [:^name:]
      if (c === '[' && this.src[this.pos + 1] === ':') {
        const m = /^\[:(\^?)([a-z]+):\]/.exec(this.src.slice(this.pos));
        if (m) {
          const cls = posixClasses[m[2]!];
          if (!cls) this.fail(`invalid character class range ${m[0]}`, this.pos);
          let r = flags.i ? foldRanges(cls) : cls;
          if (m[1] === '^') r = negateRanges(r);
          groups.push(...r);
          this.pos += m[0].length;
          continue;
        }
      }
      if (c === '\\') {
        const n = this.src[this.pos + 1];
        if (n !== undefined && 'dDsSwWpP'.includes(n)) {
          const cls = this.parseClassEscape(flags);
          if (cls.props.length === 0) {
            groups.push(...(cls.negated ? negateRanges(cls.ranges) : cls.ranges));
          } else if (!cls.negated) {
            // Already folded (its fold partners are in cls.ranges): the class does not fold it again.
            props.push(...cls.props);
            groups.push(...cls.ranges);
          } else if (cls.ranges.length === 0) {
            // A negated property inside a class: \P{x} / \p{^x}
            for (const p of cls.props) props.push(p.replace('\\p', '\\P'));
          } else {
            complements.push({ ranges: cls.ranges, props: cls.props });
          }
          continue;
        }
      }
      const lo = this.parseClassChar();
      let hi = lo;
      if (this.peek() === '-' && this.src[this.pos + 1] !== ']' && this.src[this.pos + 1] !== undefined) {
        this.pos++;
        hi = this.parseClassChar();
        if (hi < lo) this.fail('invalid character class range', start);
      }
      ranges.push([lo, hi]);
    }
    this.pos++; // ]
    ranges = normalizeRanges(ranges);
    if (flags.i) ranges = foldRanges(ranges);
    if (groups.length > 0) ranges = normalizeRanges([...ranges, ...groups]);
    return complements.length > 0
      ? { t: 'class', negated, ranges, props, complements }
      : { t: 'class', negated, ranges, props };
  }

  private parseClassChar(): number {
    if (this.peek() === '\\') return this.parseCharEscape();
    return this.nextRune();
  }
}

/** Can the node match the empty string? */
function isNullable(node: Node): boolean {
  switch (node.t) {
    case 'lit':
    case 'class':
      return false;
    case 'assert':
    case 'empty':
      return true;
    case 'group':
      return isNullable(node.body);
    case 'alt':
      return node.alts.some(isNullable);
    case 'concat':
      return node.items.every(isNullable);
    case 'repeat':
      return node.min === 0 || isNullable(node.body);
  }
}

function concat(items: Node[]): Node {
  if (items.length === 0) return { t: 'empty' };
  if (items.length === 1) return items[0]!;
  return { t: 'concat', items };
}

/**
 * Emission target. 'unicode': exact Go semantics with the `u` flag. 'ascii': a flagless form that
 * is only used on ASCII-only text, where both agree; V8 can run flagless patterns on its linear-time
 * engine after excessive backtracking, which the `u` form cannot (Node 20).
 */
let emitMode: 'unicode' | 'ascii' = 'unicode';

/** Thrown while emitting the ASCII form of a pattern that has none (properties, astral literals). */
class NoAsciiForm extends Error {}

function emitCodePoint(cp: number): string {
  if ((cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a)) {
    return String.fromCharCode(cp);
  }
  if (emitMode === 'ascii') {
    if (cp > 0xffff) throw new NoAsciiForm();
    return `\\u${cp.toString(16).padStart(4, '0')}`;
  }
  return `\\u{${cp.toString(16)}}`;
}

/** The ASCII part of a class, as a positive set (only ASCII text is ever matched in this form). */
function emitAsciiClass(negated: boolean, ranges: Range[], props: string[]): string {
  if (props.length > 0) throw new NoAsciiForm();
  const set = negated ? negateRanges(ranges) : normalizeRanges(ranges);
  const ascii: Range[] = [];
  for (const [lo, hi] of set) if (lo <= 0x7f) ascii.push([lo, Math.min(hi, 0x7f)]);
  if (ascii.length === 1 && ascii[0]![0] === 0 && ascii[0]![1] === 0x7f) return '[\\s\\S]';
  return `[${emitRanges(ascii)}]`;
}

function emitRanges(ranges: Range[]): string {
  let out = '';
  for (const [lo, hi] of ranges) {
    out += lo === hi ? emitCodePoint(lo) : `${emitCodePoint(lo)}-${emitCodePoint(hi)}`;
  }
  return out;
}

/** Emitted classes by mode and content: rule sets repeat the same (folded) classes many times. */
const emittedClasses = new Map<string, string>();

function rangesKey(ranges: Range[]): string {
  return ranges.map((r) => `${r[0]}-${r[1]}`).join(',');
}

function emitClass(
  negatedIn: boolean,
  rangesIn: Range[],
  props: string[],
  complements: ClassTerm[] = [],
): string {
  let key = `${emitMode}${negatedIn ? '^' : ''}${props.join('')}:${rangesKey(rangesIn)}`;
  for (const c of complements) key += `/${c.props.join('')}:${rangesKey(c.ranges)}`;
  const known = emittedClasses.get(key);
  if (known !== undefined) return known;
  // NoAsciiForm propagates uncached: it is rare and the caller handles it.
  const out =
    complements.length > 0
      ? emitClassWithComplements(negatedIn, rangesIn, props, complements)
      : emitClassUncached(negatedIn, rangesIn, props);
  emittedClasses.set(key, out);
  return out;
}

/**
 * A class with complemented members (see ClassTerm), which one JS class (u flag, no v flag) cannot
 * write: positive, an alternation of single-code-point classes, (?:[base]|[^c1]|...); negated, the
 * complement of that union, a lookahead excluding all but one member before the last one's
 * complement, (?:(?![base]|[^c2])[c1]). Both match exactly one code point and are atomic groups.
 */
function emitClassWithComplements(
  negated: boolean,
  ranges: Range[],
  props: string[],
  complements: ClassTerm[],
): string {
  if (emitMode === 'ascii') throw new NoAsciiForm();
  const base = emitRanges(normalizeRanges(ranges)) + props.join('');
  const sets = complements.map((c) => emitRanges(normalizeRanges(c.ranges)) + c.props.join(''));
  if (!negated) {
    const parts = sets.map((c) => `[^${c}]`);
    if (base !== '') parts.unshift(`[${base}]`);
    return parts.length === 1 ? parts[0]! : `(?:${parts.join('|')})`;
  }
  const [first, ...rest] = sets;
  const excluded = rest.map((c) => `[^${c}]`);
  if (base !== '') excluded.unshift(`[${base}]`);
  return excluded.length === 0 ? `[${first}]` : `(?:(?!${excluded.join('|')})[${first}])`;
}

/** Does the class node emit a lookahead (see emitClassWithComplements)? */
function classHasLookahead(node: Extract<Node, { t: 'class' }>): boolean {
  const complements = node.complements?.length ?? 0;
  return (
    node.negated && complements > 0 && (complements > 1 || node.ranges.length > 0 || node.props.length > 0)
  );
}

function emitClassUncached(negatedIn: boolean, rangesIn: Range[], props: string[]): string {
  if (emitMode === 'ascii') return emitAsciiClass(negatedIn, rangesIn, props);
  let negated = negatedIn;
  let ranges = normalizeRanges(rangesIn);
  if (props.length === 0) {
    // Prefer the shorter of a class and its complement: [^\n] rather than 2 big ranges.
    const last = ranges[ranges.length - 1];
    if (ranges.length > 0 && ranges[0]![0] === 0 && last![1] === MAX_RUNE) {
      ranges = negateRanges(ranges);
      negated = !negated;
    }
    if (!negated && ranges.length === 0) return '[]';
    if (negated && ranges.length === 0) return '[\\s\\S]';
  }
  return `[${negated ? '^' : ''}${emitRanges(ranges)}${props.join('')}]`;
}

function isAtomic(node: Node): boolean {
  return node.t === 'lit' || node.t === 'class' || (node.t === 'group' && node.capture);
}

function emit(node: Node): string {
  switch (node.t) {
    case 'empty':
      return '';
    case 'lit': {
      if (node.fold) {
        const orbit = foldOrbit(node.cp);
        if (orbit.length > 1)
          return emitClass(
            false,
            orbit.map((c) => [c, c] as Range),
            [],
          );
      }
      return emitCodePoint(node.cp);
    }
    case 'class':
      return emitClass(node.negated, node.ranges, node.props, node.complements);
    case 'assert':
      return node.js;
    case 'group':
      return node.capture ? `(${emit(node.body)})` : `(?:${emit(node.body)})`;
    case 'alt':
      return node.alts.map(emit).join('|');
    case 'concat':
      return node.items.map((n) => (n.t === 'alt' ? `(?:${emit(n)})` : emit(n))).join('');
    case 'repeat': {
      const body = emit(node.body);
      const atom = isAtomic(node.body) ? body : `(?:${body})`;
      let q: string;
      if (node.min === 0 && node.max === -1) q = '*';
      else if (node.min === 1 && node.max === -1) q = '+';
      else if (node.min === 0 && node.max === 1) q = '?';
      else if (node.max === -1) q = `{${node.min},}`;
      else if (node.min === node.max) q = `{${node.min}}`;
      else q = `{${node.min},${node.max}}`;
      return `${atom}${q}${node.greedy ? '' : '?'}`;
    }
  }
}

/** The result of translating one Go pattern. */
export interface TranslatedRegex {
  /** The JS source (use with the `u` flag, plus `g`/`y` as needed). */
  source: string;
  /** Number of capture groups (Go's NumSubexp). */
  groups: number;
  /** Names of capture groups by index (Go's SubexpNames). */
  names: (string | undefined)[];
  /** The same pattern without the `u` flag, valid on ASCII-only text (undefined when impossible). */
  asciiSource: string | undefined;
  /** Constructs that may match differently than in Go (see docs/scan.md). */
  warnings: string[];
  /**
   * True when the ASCII form also gives Go's matches on non-ASCII text once every non-ASCII code
   * point is masked to one DEL (see maskNonAscii): no character node tells a non-ASCII code point
   * from DEL or from another non-ASCII code point.
   */
  maskable: boolean;
  /** True when the pattern has a lookaround (`(?m)^`/`(?m)$`): V8's linear-time engine cannot run it. */
  lookaround: boolean;
}

/**
 * Translates a Go RE2 pattern to JS RegExp source with identical matches. Throws
 * RegexTranslationError when the pattern is not valid RE2 or has no JS equivalent; callers report
 * it with the rule id, never drop the rule.
 */
export function translateGoRegex(pattern: string): TranslatedRegex {
  const known = translations.get(pattern);
  if (known) return known;
  const stored = preloaded.get(pattern);
  const result = stored ? fromStored(stored) : translateUncached(pattern);
  translations.set(pattern, result);
  return result;
}

const translations = new Map<string, TranslatedRegex>();

/** A translation as the on-disk cache keeps it (see translation-cache.ts). */
export interface StoredTranslation {
  source: string;
  groups: number;
  names: (string | null)[];
  warnings: string[];
  ascii: string | null;
  maskable: boolean;
  lookaround: boolean;
}

/** Translations read from the on-disk cache, used instead of translating again. */
const preloaded = new Map<string, StoredTranslation>();

/** Makes stored translations available to translateGoRegex (they were made by this same translator). */
export function preloadTranslations(entries: Map<string, StoredTranslation>): void {
  for (const [pattern, stored] of entries) preloaded.set(pattern, stored);
}

/** The cacheable form of translated patterns (the ASCII forms are emitted now if not yet). */
export function exportTranslations(patterns: Iterable<string>): Map<string, StoredTranslation> {
  const out = new Map<string, StoredTranslation>();
  for (const pattern of patterns) {
    const t = translateGoRegex(pattern);
    out.set(pattern, {
      source: t.source,
      groups: t.groups,
      names: t.names.map((n) => n ?? null),
      warnings: t.warnings,
      ascii: t.asciiSource ?? null,
      maskable: t.maskable,
      lookaround: t.lookaround,
    });
  }
  return out;
}

function fromStored(s: StoredTranslation): TranslatedRegex {
  return {
    source: s.source,
    groups: s.groups,
    names: s.names.map((n) => n ?? undefined),
    warnings: s.warnings,
    asciiSource: s.ascii ?? undefined,
    maskable: s.maskable,
    lookaround: s.lookaround,
  };
}

let version: string | undefined;

/**
 * Set by the CLI bundle build (scripts/bundle-cli.mjs) to the sha256 of the bundle file this code
 * is in; not defined in the plain module build.
 */
declare const __LLMCM_BUNDLE_SHA256__: string | undefined;

/**
 * Identifies this translator's behaviour for the on-disk cache: a hash of the code file it lives
 * in (the module, or the CLI bundle or chunk) and of the V8 version whose RegExp syntax it targets.
 * A bundle's hash is stamped into it at build time: hashing the 1 MB scan bundle cost ~1.5 ms of
 * every scan's start-up.
 */
export function translatorVersion(): string {
  if (version === undefined) {
    const hash = createHash('sha256').update(process.versions.v8);
    try {
      hash.update(
        typeof __LLMCM_BUNDLE_SHA256__ === 'string'
          ? `bundle:${__LLMCM_BUNDLE_SHA256__}`
          : readFileSync(fileURLToPath(import.meta.url)),
      );
    } catch {
      // Not loaded from a file: a per-process version, so nothing is ever read back.
      hash.update(`${process.pid}:${Date.now()}:${Math.random()}`);
    }
    version = hash.digest('hex');
  }
  return version;
}

function translateUncached(pattern: string): TranslatedRegex {
  const parser = new Parser(pattern);
  const { node, captures } = parser.parse();
  const source = emit(node);
  try {
    new RegExp(source, 'u');
  } catch (error) {
    throw new RegexTranslationError(`no JavaScript equivalent (${(error as Error).message})`, pattern, 0);
  }
  // The ASCII form is emitted on first use: most rules of a big config never run on a given repo
  // (their keywords do not occur), so translating their twins up front is wasted start-up time.
  let asciiSource: string | undefined | null = null;
  return {
    source,
    groups: captures,
    names: parser.names,
    warnings: parser.warnings,
    maskable: isMaskable(node),
    lookaround: hasLookaround(node),
    get asciiSource(): string | undefined {
      if (asciiSource === null) asciiSource = emitAscii(node);
      return asciiSource;
    },
  };
}

/** The placeholder every non-ASCII code point becomes in masked text. */
const MASK = 0x7f;

/**
 * Does `set` (normalized ranges) treat every non-ASCII code point and DEL alike: all of them in, or
 * none? Only then can masked text stand in for the original in this class.
 */
function treatsMaskUniformly(set: Range[]): boolean {
  let anyNonAscii = false;
  let allNonAscii = false;
  for (const [lo, hi] of set) {
    if (hi >= 0x80) anyNonAscii = true;
    if (lo <= 0x80 && hi === MAX_RUNE) allNonAscii = true;
  }
  const hasMask = inRanges(set, MASK);
  return anyNonAscii ? allNonAscii && hasMask : !hasMask;
}

/**
 * Can the ASCII form run on masked text? Go's \w \d \s, \b and the POSIX classes are ASCII-only,
 * `.` and negated ASCII classes match every non-ASCII code point and DEL, positive ASCII classes
 * match none of them. Non-ASCII literals, (?i) k/s (folded to U+212A and U+017F), \p{..} and
 * classes naming DEL or part of the non-ASCII range can tell them apart, so they are excluded.
 */
function isMaskable(node: Node): boolean {
  switch (node.t) {
    case 'lit': {
      const cps = node.fold ? foldOrbit(node.cp) : [node.cp];
      return cps.every((cp) => cp < MASK);
    }
    case 'class':
      if (node.props.length > 0 || node.complements) return false;
      return treatsMaskUniformly(node.negated ? negateRanges(node.ranges) : normalizeRanges(node.ranges));
    case 'assert':
    case 'empty':
      return true;
    case 'group':
    case 'repeat':
      return isMaskable(node.body);
    case 'alt':
      return node.alts.every(isMaskable);
    case 'concat':
      return node.items.every(isMaskable);
  }
}

function hasLookaround(node: Node): boolean {
  switch (node.t) {
    case 'assert':
      return node.js.startsWith('(?');
    case 'class':
      return classHasLookahead(node);
    case 'group':
    case 'repeat':
      return hasLookaround(node.body);
    case 'alt':
      return node.alts.some(hasLookaround);
    case 'concat':
      return node.items.some(hasLookaround);
    default:
      return false;
  }
}

function emitAscii(node: Node): string | undefined {
  try {
    emitMode = 'ascii';
    const out = emit(node);
    new RegExp(out);
    return out;
  } catch {
    return undefined;
  } finally {
    emitMode = 'unicode';
  }
}

/**
 * A compiled Go pattern: the exact unicode form, plus the ASCII-only form when there is one, and
 * whether that form is also exact on masked non-ASCII text.
 */
export type GoRegExp = RegExp & {
  groupCount: number;
  ascii: RegExp | undefined;
  maskable: boolean;
  lookaround: boolean;
};

/** Compiles a Go pattern to a global, unicode JS RegExp (and its ASCII-only twin). */
export function compileGoRegex(pattern: string): GoRegExp {
  const t = translateGoRegex(pattern);
  const re = new RegExp(t.source, 'gu') as GoRegExp;
  re.groupCount = t.groups;
  re.maskable = t.maskable;
  re.lookaround = t.lookaround;
  let ascii: RegExp | undefined | null = null;
  Object.defineProperty(re, 'ascii', {
    enumerable: true,
    get(): RegExp | undefined {
      if (ascii === null) {
        const source = t.asciiSource;
        ascii = source === undefined ? undefined : new RegExp(source, 'g');
      }
      return ascii;
    },
  });
  return re;
}

const NON_ASCII = /[^\x00-\x7f]/;

/** True when `text` is pure ASCII (the ASCII form of a pattern may then be used). */
export function isAsciiText(text: string): boolean {
  return !NON_ASCII.test(text);
}

const NON_ASCII_G = /[^\x00-\x7f]/g;
const SURROGATE = /[\ud800-\udfff]/;

/** Text with every non-ASCII code point replaced by one DEL, and where each masked offset came from. */
export interface MaskedText {
  text: string;
  /**
   * Original UTF-16 offset of each masked offset (length text.length + 1); undefined when they are
   * equal (no astral characters, each non-ASCII code point was one code unit).
   */
  offsets: Uint32Array | undefined;
}

/**
 * Masks non-ASCII text for the ASCII form of a maskable pattern (see isMaskable): one DEL per code
 * point, so repetition counts stay Go's (an astral character is one rune, not two code units).
 */
export function maskNonAscii(text: string): MaskedText {
  if (!SURROGATE.test(text)) return { text: text.replace(NON_ASCII_G, '\x7f'), offsets: undefined };
  const parts: string[] = [];
  const offsets = new Uint32Array(text.length + 1);
  let n = 0;
  for (let i = 0; i < text.length; ) {
    const code = text.charCodeAt(i);
    offsets[n++] = i;
    if (code < 0x80) {
      parts.push(text[i]!);
      i++;
    } else {
      parts.push('\x7f');
      const next = text.charCodeAt(i + 1);
      i += code >= 0xd800 && code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff ? 2 : 1;
    }
  }
  offsets[n] = text.length;
  return { text: parts.join(''), offsets: offsets.subarray(0, n + 1) };
}

/**
 * V8's linear-time fallback for regexes that backtrack excessively (flagless patterns only): a
 * crafted input then costs a bounded time instead of stalling a check. Process-wide; the CLI
 * turns it on for scans.
 */
export function enableBacktrackingFallback(): void {
  v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
}

/**
 * True when offset `i` falls between the two halves of a surrogate pair. V8 can report a match that
 * starts there for a unicode pattern beginning with a lookahead ((?m)$ is (?![^\n])): scanning on from
 * a failed position, it tries the trail surrogate. Go never starts a match inside a rune.
 */
function splitsSurrogatePair(text: string, i: number): boolean {
  if (i <= 0 || i >= text.length) return false;
  const lead = text.charCodeAt(i - 1);
  const trail = text.charCodeAt(i);
  return lead >= 0xd800 && lead <= 0xdbff && trail >= 0xdc00 && trail <= 0xdfff;
}

/** re.exec from `from`, skipping matches that start inside a surrogate pair (see splitsSurrogatePair). */
function execAtRuneStart(re: RegExp, text: string, from: number): RegExpExecArray | null {
  re.lastIndex = from;
  let m = re.exec(text);
  while (m && splitsSurrogatePair(text, m.index) && (re.global || re.sticky)) {
    re.lastIndex = m.index + 1;
    m = re.exec(text);
  }
  return m;
}

/**
 * Go's FindAll iteration: every non-overlapping match of `re` (global or sticky) in order, where an
 * empty match right after the previous match is dropped (JS would report it) and an empty match
 * moves on by one character (a whole surrogate pair, as Go moves by a rune).
 */
export function forEachMatchGo(re: RegExp, text: string, visit: (match: RegExpExecArray) => void): void {
  let pos = 0;
  let prevEnd = -1;
  while (pos <= text.length) {
    const m = execAtRuneStart(re, text, pos);
    if (!m) break;
    const start = m.index;
    const end = start + m[0].length;
    let accept = true;
    if (end === pos) {
      if (start === prevEnd) accept = false;
      const code = text.charCodeAt(pos);
      pos += code >= 0xd800 && code <= 0xdbff && pos + 1 < text.length ? 2 : 1;
    } else {
      pos = end;
    }
    prevEnd = end;
    if (accept) visit(m);
  }
}

/** All non-overlapping matches as [start, end] UTF-16 offsets, with Go's FindAll rules. */
export function findAllIndex(re: RegExp, text: string): [number, number][] {
  const out: [number, number][] = [];
  forEachMatchGo(re, text, (m) => {
    out.push([m.index, m.index + m[0].length]);
  });
  return out;
}

/** Go's FindStringSubmatch: the leftmost match with its groups ('' for unmatched groups). */
export function findSubmatch(re: RegExp, text: string): string[] | null {
  const m = execAtRuneStart(re, text, 0);
  if (!m) return null;
  return Array.from(m, (g) => g ?? '');
}

/** Go's MatchString. */
export function matchesGo(re: RegExp, text: string): boolean {
  return execAtRuneStart(re, text, 0) !== null;
}

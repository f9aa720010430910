import { monotonicMs } from '../../core/clock.js';
import type { Allowlist, RequiredRule, Rule, ScanConfig } from '../config/types.js';
import {
  findAllIndex,
  findSubmatch,
  type GoRegExp,
  isAsciiText,
  type MaskedText,
  maskNonAscii,
  matchesGo,
} from '../re2/translate.js';
import {
  adjustMatchIndex,
  Decoder,
  currentLine as decodedCurrentLine,
  decodeTags,
  type EncodedSegment,
  segmentsOverlapping,
} from './decoder.js';
import { shannonEntropy } from './entropy.js';
import { runWithDeadline } from './guarded-match.js';
import { KeywordPrefilter } from './keyword-prefilter.js';
import { StopwordIndex } from './stopword-index.js';

const ALLOW_SIGNATURE = 'gitleaks:allow';

/** A piece of text to scan: a file chunk, the added lines of a hunk, or stdin. */
export interface Fragment {
  raw: string;
  /** Slash-separated path ('' for stdin). */
  filePath: string;
  /** Commit SHA in git modes, '' otherwise. */
  commit: string;
  /** Line number of the fragment's first line (1-based). */
  startLine: number;
}

/**
 * A finding as gitleaks models it, including the plaintext secret. It lives only in memory inside
 * the scan pipeline: reports turn it into a redacted, fingerprinted form before anything is printed.
 */
export interface RawFinding {
  ruleId: string;
  description: string;
  startLine: number;
  endLine: number;
  startColumn: number;
  endColumn: number;
  line: string;
  match: string;
  secret: string;
  file: string;
  commit: string;
  /** float32, as gitleaks stores it. */
  entropy: number;
  tags: string[];
  author: string;
  email: string;
  date: string;
  message: string;
  /** gitleaks' location fingerprint `[commit:]file:rule-id:start-line`. */
  fingerprint: string;
}

/** A rule that exceeded its time budget on a file (reported as a warning, never silently). */
export interface RuleBudgetWarning {
  ruleId: string;
  file: string;
  commit: string;
  elapsedMs: number;
}

/** Detector behaviour switches (gitleaks flags) and the rule time budget. */
export interface DetectorOptions {
  /** Ignore inline `gitleaks:allow` markers (gitleaks --ignore-gitleaks-allow). */
  ignoreGitleaksAllow?: boolean;
  /** Per rule and file, in milliseconds; a rule over budget stops running on that file. Default 2000. */
  ruleBudgetMs?: number;
  /** Recursive decoding passes (base64, hex, percent, unicode escapes); gitleaks' default is 5, 0 turns it off. */
  maxDecodeDepth?: number;
  /** Files the scan must skip (the config file itself, the baseline). */
  skipPaths?: Iterable<string>;
  /**
   * Run maskable patterns' ASCII forms on masked non-ASCII text (default true). Off only in the
   * equivalence test, which compares both paths.
   */
  maskNonAscii?: boolean;
  onBudgetExceeded?: (warning: RuleBudgetWarning) => void;
}

const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');

interface Location {
  startLine: number;
  endLine: number;
  startColumn: number;
  endColumn: number;
  startLineIndex: number;
  endLineIndex: number;
}

/**
 * gitleaks' detect/location.go, reproduced with its quirks (columns after the first line count the
 * preceding newline; `Line` starts at that newline). Offsets are UTF-16 here; columns are converted
 * to UTF-8 bytes because gitleaks reports byte columns and baselines compare them.
 */
export function locateMatch(newlines: number[], raw: string, start: number, end: number): Location {
  let prevNewLine = 0;
  let lineSet = false;
  let lastLineNum = 0;
  const loc: Location = {
    startLine: 0,
    endLine: 0,
    startColumn: 0,
    endColumn: 0,
    startLineIndex: 0,
    endLineIndex: 0,
  };
  const indices = newlines.length === 0 ? [raw.length] : newlines;
  for (let lineNum = 0; lineNum < indices.length; lineNum++) {
    lastLineNum = lineNum;
    const nl = indices[lineNum]!;
    if (prevNewLine <= start && start < nl) {
      lineSet = true;
      loc.startLine = lineNum;
      loc.endLine = lineNum;
      loc.startColumn = utf8Length(raw.slice(prevNewLine, start)) + 1;
      loc.startLineIndex = prevNewLine;
      loc.endLineIndex = nl;
    }
    if (prevNewLine < end && end <= nl) {
      loc.endLine = lineNum;
      loc.endColumn = utf8Length(raw.slice(prevNewLine, end));
      loc.endLineIndex = nl;
    }
    prevNewLine = nl;
  }
  if (!lineSet) {
    loc.startColumn = utf8Length(raw.slice(prevNewLine, start)) + 1;
    loc.endColumn = utf8Length(raw.slice(prevNewLine, end));
    loc.startLine = lastLineNum + 1;
    loc.endLine = lastLineNum + 1;
    let i = 0;
    while (end + i < raw.length) {
      const c = raw.charCodeAt(end + i);
      if (c === 10 || c === 13) break;
      i++;
    }
    loc.endLineIndex = end + i;
  }
  return loc;
}

function newlineIndices(raw: string): number[] {
  const out: number[] = [];
  let i = raw.indexOf('\n');
  while (i !== -1) {
    out.push(i);
    i = raw.indexOf('\n', i + 1);
  }
  return out;
}

function trimNewlines(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s.charCodeAt(a) === 10) a++;
  while (b > a && s.charCodeAt(b - 1) === 10) b--;
  return s.slice(a, b);
}

function commitAllowed(a: Allowlist, commit: string): boolean {
  return commit !== '' && a.commits.size > 0 && a.commits.has(commit.toLowerCase());
}

/** Path regex results per regex and path: a history scan asks about the same few paths thousands of times. */
const pathResults = new WeakMap<RegExp, Map<string, boolean>>();

function matchesPath(re: RegExp, path: string): boolean {
  let results = pathResults.get(re);
  if (!results) {
    results = new Map();
    pathResults.set(re, results);
  }
  let hit = results.get(path);
  if (hit === undefined) {
    hit = matchesGo(re, path);
    if (results.size >= 50_000) results.clear(); // bounded memory on huge trees
    results.set(path, hit);
  }
  return hit;
}

function pathAllowed(a: Allowlist, path: string): boolean {
  return path !== '' && a.paths !== undefined && matchesPath(a.paths, path);
}

function regexAllowed(a: Allowlist, target: string): boolean {
  return target !== '' && a.regexes !== undefined && matchesGo(a.regexes, target);
}

/** Lists shorter than this are searched word by word (an index would cost more than it saves). */
const MIN_INDEXED_STOPWORDS = 32;
const stopwordIndexes = new WeakMap<Allowlist, StopwordIndex>();

function containsStopword(a: Allowlist, secret: string): boolean {
  if (secret === '' || a.stopwords.length === 0) return false;
  const lower = secret.toLowerCase();
  if (a.stopwords.length < MIN_INDEXED_STOPWORDS) return a.stopwords.some((w) => lower.includes(w));
  let index = stopwordIndexes.get(a);
  if (index === undefined) {
    index = new StopwordIndex(a.stopwords);
    stopwordIndexes.set(a, index);
  }
  return index.containsAny(lower);
}

/** gitleaks checkCommitOrPathAllowed: may the whole fragment be skipped? */
export function isFragmentAllowed(fragment: Fragment, allowlists: readonly Allowlist[]): boolean {
  if (fragment.filePath === '' && fragment.commit === '') return false;
  for (const a of allowlists) {
    const c = commitAllowed(a, fragment.commit);
    const p = pathAllowed(a, fragment.filePath);
    if (a.condition === 'AND') {
      // Regexes and stopwords are checked per finding.
      if (a.regexCount > 0 || a.stopwords.length > 0) continue;
      const checks: boolean[] = [];
      if (a.commits.size > 0) checks.push(c);
      if (a.pathCount > 0) checks.push(p);
      if (checks.every(Boolean)) return true;
    } else if (c || p) {
      return true;
    }
  }
  return false;
}

/** gitleaks checkFindingAllowed. */
function isFindingAllowed(
  finding: RawFinding,
  fragment: Fragment,
  currentLine: string,
  allowlists: readonly Allowlist[],
): boolean {
  for (const a of allowlists) {
    const target =
      a.regexTarget === 'match' ? finding.match : a.regexTarget === 'line' ? currentLine : finding.secret;
    const r = regexAllowed(a, target);
    const s = containsStopword(a, finding.secret);
    if (a.condition === 'AND') {
      const checks: boolean[] = [];
      if (a.commits.size > 0) checks.push(commitAllowed(a, fragment.commit));
      if (a.pathCount > 0) checks.push(pathAllowed(a, fragment.filePath));
      if (a.regexCount > 0) checks.push(r);
      if (a.stopwords.length > 0) checks.push(s);
      if (checks.every(Boolean)) return true;
    } else if (r || s) {
      return true;
    }
  }
  return false;
}

/** Float32 rounding, as gitleaks stores Entropy. */
const toFloat32 = Math.fround;

/**
 * The detection core: gitleaks' Detector.DetectContext/detectRule for one fragment, without the
 * decoding passes. Deterministic and free of I/O, so every source (files, diffs, history, stdin)
 * shares it.
 */
export class Detector {
  readonly config: ScanConfig;
  private readonly prefilter: KeywordPrefilter;
  /** Rule indexes by keyword index (a keyword the prefilter does not hold never runs its rules). */
  private readonly rulesByKeyword: number[][];
  /** Rules without keywords: they run on every fragment. */
  private readonly keywordless: number[] = [];
  private decoder: Decoder | undefined;
  /** Scratch marks for rulesToRun. */
  private readonly ruleMarks: Uint8Array;
  private readonly rules: Rule[];
  private readonly skipPaths: Set<string>;
  private readonly budgetMs: number;
  /** Whether the text of the current pass is pure ASCII (set per pass, read by detectRule). */
  private asciiPass = false;
  /** The current pass's text masked for ASCII forms (built on first use in a non-ASCII pass). */
  private maskedPass: MaskedText | undefined;
  private readonly useMask: boolean;
  /** Rules that blew their budget, per `commit\0file`: they stop running on that file. */
  private readonly overBudget = new Map<string, Set<string>>();

  constructor(
    config: ScanConfig,
    private readonly options: DetectorOptions = {},
  ) {
    this.config = config;
    this.rules = config.orderedRuleIds.map((id) => config.rules.get(id)!).filter(Boolean);
    this.prefilter = new KeywordPrefilter(this.rules.flatMap((r) => r.keywords));
    // Each rule's keywords as prefilter indexes (a keyword the prefilter does not hold, such as one
    // with capitals, can never be found, as before).
    const index = new Map(this.prefilter.keywords.map((k, i) => [k, i]));
    this.rulesByKeyword = this.prefilter.keywords.map(() => []);
    this.rules.forEach((rule, r) => {
      if (rule.keywords.length === 0) this.keywordless.push(r);
      for (const k of new Set(rule.keywords)) {
        const at = index.get(k);
        if (at !== undefined) this.rulesByKeyword[at]!.push(r);
      }
    });
    this.ruleMarks = new Uint8Array(this.rules.length);
    this.skipPaths = new Set(options.skipPaths ?? []);
    this.budgetMs = options.ruleBudgetMs ?? 2000;
    this.useMask = options.maskNonAscii ?? true;
  }

  /**
   * Indexes of the rules that run on `text`, in rule order: those without keywords, and those with
   * a keyword that occurs (a fragment usually holds none or a few of the hundreds of keywords, so
   * this looks only at the rules of the keywords found).
   */
  private rulesToRun(text: string): number[] {
    const found = this.prefilter.foundKeywords(text.toLowerCase());
    if (found.length === 0) return this.keywordless;
    const marks = this.ruleMarks;
    const out = [...this.keywordless];
    for (const k of this.keywordless) marks[k] = 1;
    for (const k of found) {
      for (const r of this.rulesByKeyword[k]!) {
        if (marks[r] === 0) {
          marks[r] = 1;
          out.push(r);
        }
      }
    }
    for (const r of out) marks[r] = 0;
    return out.length > 1 ? out.sort((a, b) => a - b) : out;
  }

  /** All findings in one fragment (before .gitleaksignore and baseline filtering). */
  detect(fragment: Fragment): RawFinding[] {
    if (fragment.filePath !== '' && this.skipPaths.has(fragment.filePath)) return [];
    if (isFragmentAllowed(fragment, this.config.allowlists)) return [];
    const findings: RawFinding[] = [];
    const cache: { newlines?: number[] } = {};
    const maxDepth = this.options.maxDecodeDepth ?? 5;
    let currentRaw = fragment.raw;
    let segments: EncodedSegment[] = [];
    // gitleaks' ScanLoop: scan, decode what looks encoded, scan the decoded text again.
    for (let depth = 0; ; ) {
      this.asciiPass = isAsciiText(currentRaw);
      this.maskedPass = undefined;
      const toRun = this.rulesToRun(currentRaw);
      for (let i = 0; i < toRun.length; i++) {
        const found = this.detectRule(fragment, currentRaw, segments, this.rules[toRun[i]!]!, cache, false);
        if (found.length > 0) findings.push(...found);
      }
      depth++;
      if (depth > maxDepth) break;
      // One decoder for every fragment: its cache of decoded values is pure (same input, same output).
      this.decoder ??= new Decoder();
      const next = this.decoder.decode(currentRaw, segments);
      if (next.segments.length === 0) break;
      currentRaw = next.text;
      segments = next.segments;
    }
    return filterGeneric(findings);
  }

  private detectRule(
    fragment: Fragment,
    currentRaw: string,
    segments: EncodedSegment[],
    rule: Rule,
    cache: { newlines?: number[] },
    inherited: boolean,
  ): RawFinding[] {
    const findings: RawFinding[] = [];
    if (rule.skipReport && !inherited) return findings;
    if (isFragmentAllowed(fragment, rule.allowlists)) return findings;
    if (rule.path) {
      const pathMatches = matchesPath(rule.path, fragment.filePath);
      if (!rule.regex && segments.length === 0) {
        if (pathMatches) {
          findings.push({
            ...emptyFinding(rule, fragment),
            match: `file detected: ${fragment.filePath}`,
          });
        }
        return findings;
      }
      if (!pathMatches) return findings;
    }
    if (!rule.regex) return findings;
    const budgetKey = `${fragment.commit}\0${fragment.filePath}`;
    if (this.overBudget.get(budgetKey)?.has(rule.id)) return findings;

    const started = monotonicMs();
    const { matches, rerun } = this.findMatches(rule.regex, currentRaw);
    const elapsed = monotonicMs() - started;
    if (matches === undefined || elapsed > this.budgetMs) this.exceedBudget(fragment, rule.id, elapsed);
    if (matches === undefined) return findings;
    if (matches.length === 0) return findings;
    cache.newlines ??= newlineIndices(fragment.raw);
    const newlines = cache.newlines;

    for (const [matchStart, rawEnd] of matches) {
      const secretText = trimNewlines(currentRaw.slice(matchStart, rawEnd));
      let start = matchStart;
      let end: number;
      let metaTags: string[] = [];
      let decodedLine = '';
      if (segments.length > 0) {
        // A later decoding pass: only matches touching freshly decoded text are new.
        const touched = segmentsOverlapping(segments, matchStart, rawEnd);
        if (touched.length === 0) continue;
        [start, end] = adjustMatchIndex(touched, matchStart, rawEnd);
        metaTags = decodeTags(touched);
        decodedLine = decodedCurrentLine(touched, currentRaw);
      } else {
        // gitleaks keeps the start and shortens the end by what Trim removed (issue #1352).
        end = start + secretText.length;
      }
      const loc = locateMatch(newlines, fragment.raw, start, end);
      if (end > loc.endLineIndex) loc.endLineIndex = end;
      const finding: RawFinding = {
        ...emptyFinding(rule, fragment),
        startLine: fragment.startLine + loc.startLine,
        endLine: fragment.startLine + loc.endLine,
        startColumn: loc.startColumn,
        endColumn: loc.endColumn,
        line: fragment.raw.slice(loc.startLineIndex, loc.endLineIndex),
        match: secretText,
        secret: secretText,
        tags: [...rule.tags, ...metaTags],
      };
      if (!this.options.ignoreGitleaksAllow && finding.line.includes(ALLOW_SIGNATURE)) continue;
      const currentLine = decodedLine === '' ? finding.line : decodedLine;
      // gitleaks re-runs the rule on the trimmed match to pick the secret group.
      const groups = this.findGroups(rule.regex, rerun, finding.secret, fragment, rule.id);
      if (groups && groups.length >= 2) {
        if (rule.secretGroup > 0) {
          if (groups.length <= rule.secretGroup) continue;
          finding.secret = groups[rule.secretGroup]!;
        } else {
          const firstNonEmpty = groups.slice(1).find((g) => g.length > 0);
          if (firstNonEmpty !== undefined) finding.secret = firstNonEmpty;
        }
      }
      const entropy = shannonEntropy(finding.secret);
      finding.entropy = toFloat32(entropy);
      if (rule.entropy !== 0 && entropy <= rule.entropy) continue;
      if (isFindingAllowed(finding, fragment, currentLine, this.config.allowlists)) continue;
      if (isFindingAllowed(finding, fragment, currentLine, rule.allowlists)) continue;
      findings.push(finding);
    }
    if (inherited || rule.required.length === 0) return findings;
    return this.applyRequired(fragment, currentRaw, segments, rule, cache, findings);
  }

  /**
   * One rule's matches on the pass text, by the fastest exact path: the ASCII form on ASCII text,
   * or on masked text for maskable patterns (both can use V8's linear-time fallback); otherwise the
   * unicode form under a hard deadline of the rule budget. `matches` is undefined when the deadline
   * stopped the pass; `rerun` is the form to pick groups with (undefined: the unicode form).
   */
  private findMatches(
    regex: GoRegExp,
    text: string,
  ): { matches: [number, number][] | undefined; rerun: RegExp | undefined } {
    if (regex.lookaround) {
      // V8's linear-time engine does not run lookarounds: these always get the deadline.
    } else if (this.asciiPass) {
      const ascii = regex.ascii;
      if (ascii) return { matches: findAllIndex(ascii, text), rerun: ascii };
    } else if (this.useMask && regex.maskable) {
      const ascii = regex.ascii;
      if (ascii) {
        this.maskedPass ??= maskNonAscii(text);
        const masked = this.maskedPass;
        const matches = findAllIndex(ascii, masked.text);
        const offsets = masked.offsets;
        if (offsets) {
          for (const m of matches) {
            m[0] = offsets[m[0]]!;
            m[1] = offsets[m[1]]!;
          }
        }
        return { matches, rerun: undefined };
      }
    }
    const guarded = runWithDeadline(() => findAllIndex(regex, text), this.budgetMs);
    return { matches: guarded.timedOut ? undefined : guarded.value, rerun: undefined };
  }

  /** The groups of the rule's leftmost match in the secret (gitleaks' re-run on the trimmed match). */
  private findGroups(
    regex: GoRegExp,
    rerun: RegExp | undefined,
    secret: string,
    fragment: Fragment,
    ruleId: string,
  ): string[] | null {
    if (rerun) return findSubmatch(rerun, secret);
    if (regex.ascii && isAsciiText(secret)) return findSubmatch(regex.ascii, secret);
    // Group texts must come from the original text, so a non-ASCII secret needs the unicode form.
    const guarded = runWithDeadline(() => findSubmatch(regex, secret), this.budgetMs);
    if (!guarded.timedOut) return guarded.value;
    this.exceedBudget(fragment, ruleId, this.budgetMs);
    return null;
  }

  /** Records a rule over budget on a file: warned once, and it no longer runs on that file. */
  private exceedBudget(fragment: Fragment, ruleId: string, elapsed: number): void {
    const budgetKey = `${fragment.commit}\0${fragment.filePath}`;
    const set = this.overBudget.get(budgetKey) ?? new Set<string>();
    if (set.has(ruleId)) return;
    set.add(ruleId);
    this.overBudget.set(budgetKey, set);
    this.options.onBudgetExceeded?.({
      ruleId,
      file: fragment.filePath,
      commit: fragment.commit,
      elapsedMs: Math.round(elapsed),
    });
  }

  /** Composite rules: keep a primary finding only if every required rule matched near it. */
  private applyRequired(
    fragment: Fragment,
    currentRaw: string,
    segments: EncodedSegment[],
    rule: Rule,
    cache: { newlines?: number[] },
    primaries: RawFinding[],
  ): RawFinding[] {
    if (primaries.length === 0) return primaries;
    const byRule = new Map<string, RawFinding[]>();
    for (const req of rule.required) {
      const r = this.config.rules.get(req.ruleId);
      if (r) byRule.set(req.ruleId, this.detectRule(fragment, currentRaw, segments, r, cache, true));
    }
    return primaries.filter((primary) => {
      const seen = new Set<string>();
      for (const req of rule.required) {
        for (const f of byRule.get(req.ruleId) ?? []) {
          if (withinProximity(primary, f, req)) seen.add(f.ruleId);
        }
      }
      return seen.size > 0 && rule.required.every((r) => seen.has(r.ruleId));
    });
  }
}

function withinProximity(primary: RawFinding, required: RawFinding, req: RequiredRule): boolean {
  if (req.withinLines === undefined && req.withinColumns === undefined) return true;
  if (req.withinLines !== undefined && Math.abs(primary.startLine - required.startLine) > req.withinLines) {
    return false;
  }
  if (
    req.withinColumns !== undefined &&
    Math.abs(primary.startColumn - required.startColumn) > req.withinColumns
  ) {
    return false;
  }
  return true;
}

function emptyFinding(rule: Rule, fragment: Fragment): RawFinding {
  return {
    ruleId: rule.id,
    description: rule.description,
    startLine: 0,
    endLine: 0,
    startColumn: 0,
    endColumn: 0,
    line: '',
    match: '',
    secret: '',
    file: fragment.filePath,
    commit: fragment.commit,
    entropy: 0,
    tags: [...rule.tags],
    author: '',
    email: '',
    date: '',
    message: '',
    fingerprint: '',
  };
}

/**
 * gitleaks' filter(): a finding of a rule whose id contains "generic" is dropped when a specific
 * rule found a secret containing it on the same line.
 */
export function filterGeneric(findings: RawFinding[]): RawFinding[] {
  return findings.filter((f) => {
    if (!f.ruleId.toLowerCase().includes('generic')) return true;
    return !findings.some(
      (g) =>
        f.startLine === g.startLine &&
        f.commit === g.commit &&
        f.ruleId !== g.ruleId &&
        g.secret.includes(f.secret) &&
        !g.ruleId.toLowerCase().includes('generic'),
    );
  });
}

/** gitleaks' fingerprint: `file:rule-id:start-line`, prefixed by `commit:` in git modes. */
export function gitleaksFingerprint(f: Pick<RawFinding, 'commit' | 'file' | 'ruleId' | 'startLine'>): string {
  return f.commit
    ? `${f.commit}:${f.file}:${f.ruleId}:${f.startLine}`
    : `${f.file}:${f.ruleId}:${f.startLine}`;
}

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, parse as parseYaml } from 'yaml';
import { LlmcmError } from '../core/errors.js';
import { selectionKeys } from '../sops/tree.js';
import type { RawFinding } from './detect/detector.js';
import { shannonEntropy } from './detect/entropy.js';
import { compileGoRegex, matchesGo } from './re2/translate.js';

/** Rule id of SOPS findings: a value that should be encrypted is in clear text. */
export const UNENCRYPTED_SECRET_RULE = 'unencrypted-secret';

const ENC_TOKEN = /ENC\[AES256_GCM,data:[^\]]*\]/g;

/** Which values a SOPS file encrypts (one selection setting per file; sops-format.md §4). */
export interface SopsSelection {
  kind: 'unencrypted_suffix' | 'encrypted_suffix' | 'unencrypted_regex' | 'encrypted_regex' | 'comment_regex';
  value: string;
  regex?: RegExp;
}

/** A `.sops.yaml` creation rule that has a path_regex (the files it names must be encrypted). */
export interface SopsPathRule {
  pathRegex: RegExp;
  pathRegexSource: string;
  selection: SopsSelection;
}

/** The `.sops.yaml` rules, with the directory their path_regex is relative to. */
export interface SopsPolicy {
  file: string;
  /** Slash-separated prefix (relative to the scan root) of the config file's folder; '' at the root. */
  base: string;
  rules: SopsPathRule[];
}

function selectionFrom(raw: Record<string, unknown>, file: string): SopsSelection {
  for (const key of selectionKeys) {
    const value = raw[key];
    if (typeof value !== 'string' || value === '') continue;
    if (key.endsWith('comment_regex')) return { kind: 'comment_regex', value };
    if (key.endsWith('_regex')) {
      try {
        return { kind: key as 'encrypted_regex' | 'unencrypted_regex', value, regex: compileGoRegex(value) };
      } catch (error) {
        throw new LlmcmError(`${key} does not compile: ${(error as Error).message}`, {
          code: 'SOPS_CONFIG_INVALID',
          kind: 'config',
          file,
        });
      }
    }
    return { kind: key as 'encrypted_suffix' | 'unencrypted_suffix', value };
  }
  return { kind: 'unencrypted_suffix', value: '_unencrypted' };
}

/**
 * Reads `.sops.yaml` creation rules. Only rules with a path_regex say "these files must be
 * encrypted"; a catch-all rule only picks keys for `sops encrypt`, so it marks nothing.
 */
export function parseSopsPolicy(text: string, file: string, base: string): SopsPolicy {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new LlmcmError(`invalid .sops.yaml: ${(error as Error).message.split('\n')[0]}`, {
      code: 'SOPS_CONFIG_INVALID',
      kind: 'config',
      file,
    });
  }
  const rules: SopsPathRule[] = [];
  const list = (doc as { creation_rules?: unknown } | null)?.creation_rules;
  if (Array.isArray(list)) {
    for (const raw of list) {
      if (typeof raw !== 'object' || raw === null) continue;
      const r = raw as Record<string, unknown>;
      if (typeof r.path_regex !== 'string' || r.path_regex === '') {
        // First match wins in sops: a catch-all ends the list of must-encrypt rules.
        break;
      }
      let pathRegex: RegExp;
      try {
        pathRegex = compileGoRegex(r.path_regex);
      } catch (error) {
        throw new LlmcmError(`path_regex does not compile: ${(error as Error).message}`, {
          code: 'SOPS_CONFIG_INVALID',
          kind: 'config',
          file,
        });
      }
      rules.push({ pathRegex, pathRegexSource: r.path_regex, selection: selectionFrom(r, file) });
    }
  }
  return { file, base, rules };
}

/** Finds `.sops.yaml` in the scan root (the usual place) and loads it, or undefined. */
export function loadSopsPolicy(root: string): SopsPolicy | undefined {
  for (const name of ['.sops.yaml', '.sops.yml']) {
    const file = join(root, name);
    if (existsSync(file)) return parseSopsPolicy(readFileSync(file, 'utf8'), file, '');
  }
  return undefined;
}

/** The creation rule a file falls under (first match wins), if it must be encrypted. */
export function mustBeEncrypted(policy: SopsPolicy | undefined, filePath: string): SopsPathRule | undefined {
  if (!policy) return undefined;
  let rel = filePath;
  if (policy.base) {
    if (!filePath.startsWith(`${policy.base}/`)) return undefined;
    rel = filePath.slice(policy.base.length + 1);
  }
  return policy.rules.find((r) => matchesGo(r.pathRegex, rel));
}

/** Does the text carry SOPS metadata (YAML/JSON `sops:` block with a mac, or dotenv/INI keys)? */
export function isSopsFile(text: string): boolean {
  if (!text.includes('ENC[AES256_GCM,') && !text.includes('sops')) return false;
  return (
    /^sops:\s*$/m.test(text) ||
    /"sops"\s*:\s*\{/.test(text) ||
    /^sops_mac=/m.test(text) ||
    /^\[sops\]\s*$/m.test(text)
  );
}

/** 1-based line ranges of the SOPS metadata block (never a finding: recipients, wrapped keys, MAC). */
export function sopsMetadataLines(text: string): [number, number][] {
  const lines = text.split('\n');
  const ranges: [number, number][] = [];
  let open = -1;
  let mode: 'yaml' | 'json' | 'ini' | '' = '';
  let depth = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (open < 0) {
      if (/^sops:\s*$/.test(line)) {
        open = i;
        mode = 'yaml';
      } else if (/^\s*"sops"\s*:\s*\{/.test(line)) {
        open = i;
        mode = 'json';
        depth = 0;
      } else if (/^\[sops\]\s*$/.test(line)) {
        open = i;
        mode = 'ini';
      } else if (line.startsWith('sops_')) {
        ranges.push([i + 1, i + 1]);
        continue;
      }
      if (open < 0) continue;
    }
    if (mode === 'yaml' && i > open && /^(?:[^\s#]|---|\.\.\.)/.test(line)) {
      ranges.push([open + 1, i]);
      open = -1;
      i--;
      continue;
    }
    if (mode === 'ini' && i > open && /^\[/.test(line)) {
      ranges.push([open + 1, i]);
      open = -1;
      i--;
      continue;
    }
    if (mode === 'json') {
      for (const ch of line.replace(/"(?:[^"\\]|\\.)*"/g, '""')) {
        if (ch === '{') depth++;
        else if (ch === '}') depth--;
      }
      if (depth <= 0) {
        ranges.push([open + 1, i + 1]);
        open = -1;
      }
    }
  }
  if (open >= 0) ranges.push([open + 1, lines.length]);
  return ranges;
}

/**
 * Drops findings that are SOPS ciphertext (inside ENC[...]) or in the metadata block of a SOPS
 * file. `fileText` is the whole file (metadata lines are counted from its start).
 */
export function dropSopsNoise(findings: RawFinding[], fileText: string | undefined): RawFinding[] {
  if (findings.length === 0) return findings;
  const meta = fileText !== undefined && isSopsFile(fileText) ? sopsMetadataLines(fileText) : [];
  return findings.filter((f) => {
    if (meta.some(([a, b]) => f.startLine >= a && f.startLine <= b)) return false;
    if (f.line.includes('ENC[AES256_GCM,') && f.secret !== '') {
      for (const token of f.line.match(ENC_TOKEN) ?? []) if (token.includes(f.secret)) return false;
      if (f.match.includes('ENC[AES256_GCM,')) return false;
    }
    return true;
  });
}

/** A leaf value of a structured file, with its key path and position. */
interface LeafValue {
  keys: string[];
  value: string;
  line: number;
  column: number;
}

type FileKind = 'yaml' | 'json' | 'dotenv' | 'other';

function kindOf(path: string): FileKind {
  const lower = path.toLowerCase();
  if (/\.(?:ya?ml)$/.test(lower)) return 'yaml';
  if (lower.endsWith('.json')) return 'json';
  if (/(?:^|\/)\.env(?:\.[^/]*)?$/.test(lower) || lower.endsWith('.env')) return 'dotenv';
  return 'other';
}

/** Leaf scalar values of a YAML/JSON/dotenv file, with key paths (sequence indexes are skipped, as in sops' AAD). */
function leafValues(text: string, kind: FileKind): LeafValue[] | undefined {
  if (kind === 'dotenv') {
    const out: LeafValue[] = [];
    text.split('\n').forEach((line, i) => {
      const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*?)\s*$/.exec(line);
      if (!m || line.trimStart().startsWith('#')) return;
      let value = m[2]!;
      if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1);
      out.push({ keys: [m[1]!], value, line: i + 1, column: line.indexOf(m[2]!) + 1 });
    });
    return out;
  }
  if (kind === 'other') return undefined;
  const counter = new LineCounter();
  let docs: ReturnType<typeof parseAllDocuments>;
  try {
    docs = parseAllDocuments(text, { lineCounter: counter });
  } catch {
    return undefined;
  }
  if (!Array.isArray(docs)) return undefined;
  const out: LeafValue[] = [];
  const walk = (node: unknown, keys: string[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        if (keys.length === 0 && key === 'sops') continue;
        walk(pair.value, [...keys, key]);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) walk(item, keys);
    } else if (isScalar(node) && node.range) {
      if (node.value === null || node.value === undefined) return;
      const pos = counter.linePos(node.range[0]);
      out.push({ keys, value: String(node.value), line: pos.line, column: pos.col });
    }
  };
  for (const doc of docs) {
    if (doc.errors.length > 0) return undefined;
    walk(doc.contents, []);
  }
  return out;
}

function isEncryptedBySelection(keys: string[], selection: SopsSelection): boolean {
  switch (selection.kind) {
    case 'unencrypted_suffix':
      return !keys.some((k) => k.endsWith(selection.value));
    case 'encrypted_suffix':
      return keys.some((k) => k.endsWith(selection.value));
    case 'unencrypted_regex':
      return !keys.some((k) => matchesGo(selection.regex!, k));
    case 'encrypted_regex':
      return keys.some((k) => matchesGo(selection.regex!, k));
    default:
      // Comment-driven selection cannot be judged from keys alone: never flag.
      return false;
  }
}

/** The selection written in a SOPS file's own metadata, when it has one. */
function selectionOfSopsFile(text: string): SopsSelection | undefined {
  for (const key of selectionKeys) {
    const m = new RegExp(`(?:^|[\\s"])(?:sops_)?${key}"?\\s*[:=]\\s*"?([^"\\n]+)"?`, 'm').exec(text);
    if (m) {
      return selectionFrom({ [key]: m[1]!.trim() }, '<sops metadata>');
    }
  }
  return undefined;
}

function unencryptedFinding(file: string, leaf: LeafValue, description: string): RawFinding {
  return {
    ruleId: UNENCRYPTED_SECRET_RULE,
    description,
    startLine: leaf.line,
    endLine: leaf.line,
    startColumn: leaf.column,
    endColumn: leaf.column + Buffer.byteLength(leaf.value) - 1,
    line: '',
    match: leaf.value,
    secret: leaf.value,
    file,
    commit: '',
    entropy: Math.fround(shannonEntropy(leaf.value)),
    tags: ['sops'],
    author: '',
    email: '',
    date: '',
    message: '',
    fingerprint: '',
  };
}

const trivialValue = (v: string): boolean => v.trim() === '' || /^(?:true|false|null|~)$/i.test(v);

/**
 * Plaintext values in a file that `.sops.yaml` says must be encrypted: every value when the file is
 * not a SOPS file at all, or the values its selection should have encrypted when it is one.
 */
export function findUnencryptedValues(
  filePath: string,
  text: string,
  policy: SopsPolicy | undefined,
): RawFinding[] {
  const rule = mustBeEncrypted(policy, filePath);
  if (!rule) return [];
  const leaves = leafValues(text, kindOf(filePath));
  if (!leaves) return [];
  const sops = isSopsFile(text);
  const selection = (sops ? selectionOfSopsFile(text) : undefined) ?? rule.selection;
  const description = sops
    ? `value left in clear text in a SOPS file that .sops.yaml (${rule.pathRegexSource}) requires to be encrypted`
    : `plaintext file that .sops.yaml (${rule.pathRegexSource}) requires to be SOPS-encrypted`;
  return leaves
    .filter((leaf) => leaf.keys.length > 0 && !trivialValue(leaf.value) && !leaf.value.startsWith('ENC['))
    .filter((leaf) => isEncryptedBySelection(leaf.keys, selection))
    .map((leaf) => unencryptedFinding(filePath, leaf, description));
}

/** What a SOPS file shows without its key, for telling which one a decrypted copy came from. */
export interface EncryptedShape {
  /**
   * Encrypted key paths (`\0`-joined), each with the plaintext byte lengths of its values: AES-GCM
   * ciphertext is exactly as long as the plaintext, so `data:` gives them away (one per sequence item).
   */
  encrypted: Map<string, number[]>;
  /** Every key path of the file outside its `sops` block, encrypted or not. */
  keys: Set<string>;
}

const ENC_DATA = /^ENC\[AES256_GCM,data:([^,\]]*)/;

/** The encrypted keys, value lengths and key paths of a SOPS file (undefined when it is not one). */
export function encryptedShape(filePath: string, text: string): EncryptedShape | undefined {
  if (!isSopsFile(text)) return undefined;
  const leaves = leafValues(text, kindOf(filePath));
  if (!leaves) return undefined;
  const encrypted = new Map<string, number[]>();
  const keys = new Set<string>();
  for (const leaf of leaves) {
    const path = leaf.keys.join('\0');
    keys.add(path);
    const m = ENC_DATA.exec(leaf.value);
    if (!m) continue;
    const lengths = encrypted.get(path) ?? [];
    lengths.push(Buffer.from(m[1]!, 'base64').length);
    encrypted.set(path, lengths);
  }
  return encrypted.size > 0 ? { encrypted, keys } : undefined;
}

/** How well a plaintext file matches a SOPS file: compared in order, higher is better. */
type MatchScore = [sameLength: number, covered: number, keyOverlap: number];

function scoreCandidate(
  shape: EncryptedShape,
  byPath: ReadonlyMap<string, LeafValue[]>,
): MatchScore | undefined {
  let covered = 0;
  let sameLength = 0;
  for (const [path, lengths] of shape.encrypted) {
    const leaves = byPath.get(path);
    if (!leaves) continue;
    covered++;
    const left = [...lengths];
    for (const leaf of leaves) {
      const i = left.indexOf(Buffer.byteLength(leaf.value));
      if (i >= 0) {
        sameLength++;
        left.splice(i, 1);
      }
    }
  }
  // All encrypted keys present (or nearly: a copy may have been edited a little).
  if (covered < Math.max(1, Math.ceil(shape.encrypted.size * 0.8))) return undefined;
  let shared = 0;
  for (const path of byPath.keys()) if (shape.keys.has(path)) shared++;
  const keyOverlap = shared / (shape.keys.size + byPath.size - shared);
  return [sameLength, covered, keyOverlap];
}

const better = (a: MatchScore, b: MatchScore): boolean => {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return false;
};

/**
 * A plaintext file whose keys cover the encrypted keys of a SOPS file is a decrypted copy
 * committed by mistake (`sops -d secrets.enc.yaml > secrets.yaml`). Each such value is a finding.
 * Sibling SOPS files often share most keys (dev/staging/prod), so every candidate is scored and
 * the best match wins: most values of the same length as the ciphertext, then most encrypted keys
 * present, then the most similar key set.
 */
export function findDecryptedCopies(
  filePath: string,
  text: string,
  encrypted: ReadonlyMap<string, EncryptedShape>,
): RawFinding[] {
  if (encrypted.size === 0 || isSopsFile(text)) return [];
  const kind = kindOf(filePath);
  const leaves = leafValues(text, kind);
  if (!leaves || leaves.length === 0) return [];
  const byPath = new Map<string, LeafValue[]>();
  for (const leaf of leaves) {
    const key = leaf.keys.join('\0');
    byPath.set(key, [...(byPath.get(key) ?? []), leaf]);
  }
  const candidates: { source: string; shape: EncryptedShape; score: MatchScore }[] = [];
  for (const [source, shape] of encrypted) {
    if (source === filePath) continue;
    const score = scoreCandidate(shape, byPath);
    if (score) candidates.push({ source, shape, score });
  }
  // Stable: equal scores keep scan order.
  candidates.sort((a, b) => (better(a.score, b.score) ? -1 : better(b.score, a.score) ? 1 : 0));
  for (const { source, shape } of candidates) {
    const hits: RawFinding[] = [];
    for (const p of shape.encrypted.keys()) {
      for (const leaf of byPath.get(p) ?? []) {
        if (!trivialValue(leaf.value) && !leaf.value.startsWith('ENC[')) {
          hits.push(unencryptedFinding(filePath, leaf, `decrypted copy of SOPS file ${source}`));
        }
      }
    }
    if (hits.length > 0) return hits;
  }
  return [];
}

/** Slash-separated path of `file` relative to `root`. */
export function toScanPath(root: string, file: string): string {
  return relative(resolve(root), resolve(file)).split(sep).join(posix.sep);
}

/** The folder of a `.sops.yaml` relative to the scan root (for nested configs). */
export function policyBase(root: string, configFile: string): string {
  const rel = toScanPath(root, dirname(configFile));
  return rel === '.' ? '' : rel;
}

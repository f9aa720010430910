import * as fs from 'node:fs';
import { join, resolve } from 'node:path';
import { LlmcmError } from '../../core/errors.js';
import type { ScanConfig } from '../config/types.js';
import { type Detector, type Fragment, isFragmentAllowed, type RawFinding } from '../detect/detector.js';
import { matchesGo } from '../re2/translate.js';
import type { ScanOptions, ScanStats } from '../scan-types.js';
import {
  dropSopsNoise,
  type EncryptedShape,
  encryptedShape,
  findDecryptedCopies,
  isSopsFile,
} from '../sops-aware.js';
import { chunkContent, isBinaryContent } from './chunk.js';
import { readIndexBlobs } from './git-index.js';
import {
  blobText,
  type CommitInfo,
  detectRenames,
  diffTrees,
  type FileChange,
  GitReader,
  isomorphicGit,
  listAllTips,
  type RawChange,
  resolveCommit,
  resolveHead,
  walkCommits,
  walkRange,
} from './git-source.js';
import { addedLinesOfBytes, type LineStart } from './line-diff.js';
import { asFragment, STRUCTURED, sopsFindings } from './sops-checks.js';

/**
 * Bounds for history scans of big repositories (memoization is an optimisation, never required).
 * Blob texts are reused right away (a commit's new blob is the next commit's old one), so a small
 * window is enough; a bigger one only keeps strings alive long enough for the garbage collector
 * to copy them (measured: scavenges took 56+ ms of a 5,000-commit scan with every text kept).
 */
const MAX_CACHED_TEXT_BYTES = 2 * 1024 * 1024;
const MAX_MEMO_ENTRIES = 500_000;

interface BlobScan {
  findings: RawFinding[];
}

/** Scans one blob once (per path when rules depend on paths); the memo is the history speed-up. */
class BlobScanner {
  private readonly memo = new Map<string, BlobScan>();
  private readonly pathDependent: boolean;
  readonly texts = new Map<string, string | undefined>();

  constructor(
    private readonly reader: GitReader,
    private readonly detector: Detector,
    private readonly options: ScanOptions,
    private readonly stats: ScanStats,
  ) {
    const c = options.config;
    this.pathDependent = true;
    // Rules and allowlists that look at paths make results path-specific; so do SOPS rules.
    const anyPath =
      [...c.rules.values()].some((r) => r.path || r.allowlists.some((a) => a.pathCount > 0)) ||
      c.allowlists.some((a) => a.pathCount > 0) ||
      options.sopsPolicy !== undefined;
    this.pathDependent = anyPath;
  }

  private textBytes = 0;

  /**
   * A blob as text (undefined when binary), cached within a memory bound (history can be huge).
   * Synchronous: throws MissingObject for the caller's GitReader.retry.
   */
  text(oid: string): string | undefined {
    if (this.texts.has(oid)) return this.texts.get(oid);
    const bytes = this.reader.blobSync(oid);
    const text = blobText(bytes);
    this.textBytes += bytes.length;
    if (this.textBytes > MAX_CACHED_TEXT_BYTES) {
      // Consecutive commits reuse recent blobs: keep nothing older than the bound.
      this.texts.clear();
      this.textBytes = bytes.length;
    }
    this.texts.set(oid, text);
    return text;
  }

  /**
   * Findings of the whole text blob `oid` (whose bytes the caller has already read), once per
   * blob. The bytes are chunked as gitleaks chunks a file, undecoded.
   */
  scan(oid: string, path: string, bytes: Uint8Array): BlobScan {
    const key = this.pathDependent ? `${oid}\0${path}` : oid;
    const hit = this.memo.get(key);
    if (hit) return hit;
    this.stats.blobs++;
    this.stats.bytes += bytes.length;
    let findings = chunkContent(bytes, path).flatMap((f) => this.detector.detect(f));
    if (this.options.sopsAware !== false) {
      const text = decodeUtf8(bytes);
      findings = dropSopsNoise(findings, text);
      findings.push(...this.sops(oid, path, text));
    }
    const result = { findings };
    if (this.memo.size > MAX_MEMO_ENTRIES) this.memo.clear();
    this.memo.set(key, result);
    return result;
  }

  private readonly sopsMemo = new Map<string, RawFinding[]>();

  /** unencrypted-secret findings of a whole blob (cheap: no rules run). */
  private sops(oid: string, path: string, text: string): RawFinding[] {
    const key = `${oid}\0${path}`;
    let found = this.sopsMemo.get(key);
    if (!found) {
      found = sopsFindings(this.detector, path, text, this.options.sopsPolicy);
      this.sopsMemo.set(key, found);
    }
    return found;
  }

  private readonly hunkMemo = new Map<string, RawFinding[]>();

  /**
   * Findings a change introduces. A new file is scanned whole, once per distinct blob. An edit
   * scans each run of added lines as one fragment, exactly what gitleaks scans for that hunk, once
   * per distinct text (cherry-picks, backports and rebased copies cost nothing again).
   */
  scanChange(
    oid: string,
    path: string,
    bytes: Uint8Array,
    added: number[],
    newFile: boolean,
    from?: LineStart,
  ): RawFinding[] {
    if (added.length === 0) return [];
    if (newFile) return attribute(this.scan(oid, path, bytes).findings, added, undefined);
    const lines = new LineCursor(bytes, from);
    const out: RawFinding[] = [];
    let i = 0;
    while (i < added.length) {
      let j = i;
      while (j + 1 < added.length && added[j + 1] === added[j]! + 1) j++;
      const first = added[i]!;
      const raw = lines.slice(first, added[j]!);
      const key = this.pathDependent ? `${path}\0${raw}` : raw;
      let found = this.hunkMemo.get(key);
      if (!found) {
        this.stats.bytes += Buffer.byteLength(raw);
        found = this.detector.detect({ raw, filePath: path, commit: '', startLine: 1 });
        if (this.hunkMemo.size > MAX_MEMO_ENTRIES) this.hunkMemo.clear();
        this.hunkMemo.set(key, found);
      }
      for (const f of found) {
        out.push({
          ...f,
          tags: [...f.tags],
          startLine: f.startLine + first - 1,
          endLine: f.endLine + first - 1,
        });
      }
      i = j + 1;
    }
    if (this.options.sopsAware === false) return out;
    const text = decodeUtf8(bytes);
    const kept = dropSopsNoise(out, text);
    const addedSet = new Set(added);
    for (const f of this.sops(oid, path, text)) if (addedSet.has(f.startLine)) kept.push({ ...f });
    return kept;
  }
}

/** A blob's bytes as UTF-8 text. */
function decodeUtf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString();
}

/**
 * Reads runs of lines (ascending) out of a blob without decoding all of it: a line boundary is a
 * newline byte, so decoding whole lines gives exactly the lines of the decoded text.
 */
class LineCursor {
  private line: number;
  private offset: number;
  private readonly bytes: Buffer;

  /** `from`: a known line start at or before the first line to be read (default: line 1). */
  constructor(bytes: Uint8Array, from: LineStart = { line: 1, offset: 0 }) {
    this.bytes = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.line = from.line;
    this.offset = from.offset;
  }

  private seek(line: number): number {
    while (this.line < line) {
      const nl = this.bytes.indexOf(10, this.offset);
      this.offset = nl === -1 ? this.bytes.length : nl + 1;
      this.line++;
    }
    return this.offset;
  }

  /** Lines `from`..`to` (1-based, inclusive) with their newlines, as splitLines would join them. */
  slice(from: number, to: number): string {
    const start = this.seek(from);
    return this.bytes.toString('utf8', start, this.seek(to + 1));
  }
}

/** Commit-specific allowlists (the memo scanned with no commit): re-check them per commit. */
function allowedForCommit(config: ScanConfig, f: RawFinding, commit: string): boolean {
  const rule = config.rules.get(f.ruleId);
  const lists = [...config.allowlists, ...(rule?.allowlists ?? [])].filter((a) => a.commits.size > 0);
  if (lists.length === 0) return false;
  const fragment: Fragment = { raw: '', filePath: f.file, commit, startLine: 1 };
  if (isFragmentAllowed(fragment, lists)) return true;
  for (const a of lists) {
    if (a.condition !== 'AND' || !a.commits.has(commit.toLowerCase())) continue;
    const target = a.regexTarget === 'match' ? f.match : a.regexTarget === 'line' ? f.line : f.secret;
    const checks: boolean[] = [true];
    if (a.pathCount > 0) checks.push(a.paths !== undefined && matchesGo(a.paths, f.file));
    if (a.regexCount > 0)
      checks.push(target !== '' && a.regexes !== undefined && matchesGo(a.regexes, target));
    if (a.stopwords.length > 0) checks.push(a.stopwords.some((w) => f.secret.toLowerCase().includes(w)));
    if (checks.every(Boolean)) return true;
  }
  return false;
}

/**
 * Keeps the blob findings whose lines were all added by this change, inside one run of added
 * lines (gitleaks scans each hunk's added lines as one fragment), with gitleaks' hunk-relative
 * column quirk applied so fingerprints and baselines agree.
 */
function attribute(findings: RawFinding[], added: number[], info: CommitInfo | undefined): RawFinding[] {
  if (added.length === 0) return [];
  const runStart = new Map<number, number>();
  let start = added[0]!;
  for (let i = 0; i < added.length; i++) {
    const line = added[i]!;
    if (i > 0 && line !== added[i - 1]! + 1) start = line;
    runStart.set(line, start);
  }
  const out: RawFinding[] = [];
  for (const f of findings) {
    if (f.startLine === 0) {
      out.push(withCommit({ ...f }, info));
      continue;
    }
    const runS = runStart.get(f.startLine);
    if (runS === undefined || runStart.get(f.endLine) !== runS) continue;
    const g = withCommit({ ...f, tags: [...f.tags] }, info);
    if (f.startLine === runS && f.startLine > 1 && f.line.startsWith('\n')) {
      g.startColumn -= 1;
      if (f.endLine === f.startLine) g.endColumn -= 1;
      g.line = f.line.slice(1);
    }
    out.push(g);
  }
  return out;
}

function withCommit(f: RawFinding, info: CommitInfo | undefined): RawFinding {
  if (!info) return f;
  f.commit = info.sha;
  f.author = info.author;
  f.email = info.email;
  f.date = info.date;
  f.message = info.message;
  return f;
}

/** `--history` (all refs) and `--base/--head` (a range): lines each commit added, attributed to it. */
export async function scanCommits(
  options: ScanOptions,
  detector: Detector,
  stats: ScanStats,
): Promise<RawFinding[]> {
  // A pull-request range reads a few objects: pack files past a few MB are read entry by entry.
  const reader = new GitReader(
    options.root,
    options.target.kind === 'range' ? { wholePacksUpTo: FEW_OBJECTS_WHOLE_PACKS_UP_TO } : {},
  );
  try {
    return await scanCommitsWith(reader, options, detector, stats);
  } finally {
    reader.close();
  }
}

/** Pack size below which reading the whole file beats reading entries one by one, for scans of a few objects. */
const FEW_OBJECTS_WHOLE_PACKS_UP_TO = 8 * 1024 * 1024;

async function scanCommitsWith(
  reader: GitReader,
  options: ScanOptions,
  detector: Detector,
  stats: ScanStats,
): Promise<RawFinding[]> {
  let tips: string[];
  let exclude: string[] = [];
  if (options.target.kind === 'range') {
    const head = await resolveCommit(reader, options.target.head);
    const base = await resolveCommit(reader, options.target.base);
    tips = [head];
    exclude = [base];
  } else {
    tips = await listAllTips(reader);
  }
  const commits =
    exclude.length > 0 ? await walkRange(reader, tips, exclude) : await walkCommits(reader, tips);
  const blobs = new BlobScanner(reader, detector, options, stats);
  const findings: RawFinding[] = [];
  // Indexed loops on the per-commit path: until V8 optimizes it, a for-of allocates an iterator
  // result per step, and this runs for every commit of a history.
  const progress = options.onProgress;
  for (let c = 0; c < commits.length; c++) {
    const info = commits[c]!;
    stats.commits++;
    if (progress && (c & 63) === 0) progress({ done: c, total: commits.length, unit: 'commits' });
    // Reading is synchronous (GitReader.retry only when an object needs isomorphic-git); the
    // scanning below reads nothing, so a retried read step has no effects to repeat.
    let pending: PendingChange[];
    try {
      pending = collectChanges(reader, blobs, options, info);
    } catch (error) {
      await reader.recover(error);
      pending = await reader.retry(() => collectChanges(reader, blobs, options, info));
    }
    for (let p = 0; p < pending.length; p++) {
      const { change, bytes, added, from } = pending[p]!;
      const introduced = blobs.scanChange(change.newOid, change.path, bytes, added, !change.oldOid, from);
      for (let i = 0; i < introduced.length; i++) {
        const f = withCommit(introduced[i]!, info);
        if (!allowedForCommit(options.config, f, info.sha)) findings.push(f);
      }
    }
  }
  progress?.({ done: commits.length, total: commits.length, unit: 'commits' });
  return findings;
}

const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/** A change of one commit with the lines it adds (and the new blob's bytes, already read). */
interface PendingChange {
  change: FileChange;
  bytes: Uint8Array;
  added: number[];
  /** Where the added lines can start being looked for (see addedLinesOfBytes). */
  from: LineStart;
}

/**
 * Blobs already found to be text or binary (a commit's new blob is the next one's old blob). Keyed
 * by object id, so it holds across scans and repositories: the id names the content.
 */
const binaryByOid = new Map<string, boolean>();
const MAX_BINARY_MEMO = 100_000;

/** A blob's bytes, or undefined when git would treat it as binary (no text diff). */
function textBlob(reader: GitReader, oid: string): Buffer | undefined {
  const bytes = reader.blobSync(oid);
  let binary = binaryByOid.get(oid);
  if (binary === undefined) {
    binary = isBinaryContent(bytes);
    if (binaryByOid.size >= MAX_BINARY_MEMO) binaryByOid.clear();
    binaryByOid.set(oid, binary);
  }
  return binary ? undefined : bytes;
}

/** What one commit adds, per changed text file: tree diff, renames, line diff (reads only). */
function collectChanges(
  reader: GitReader,
  blobs: BlobScanner,
  options: ScanOptions,
  info: CommitInfo,
): PendingChange[] {
  const firstParentTree = info.parents[0] ? reader.commitSync(info.parents[0]).tree : EMPTY_TREE;
  const raw = diffTrees(reader, firstParentTree, info.tree);
  if (raw.length === 0) return [];
  const changes = detectRenames(raw, (oid) => blobs.text(oid));
  const out: PendingChange[] = [];
  for (let c = 0; c < changes.length; c++) {
    const change = changes[c]!;
    if (isFragmentAllowed(asFragment(change.path, info.sha), options.config.allowlists)) continue;
    // Bytes, not decoded text: the line diff decodes only the lines that changed.
    const newBytes = textBlob(reader, change.newOid);
    if (newBytes === undefined) continue;
    const oldBytes = change.oldOid ? textBlob(reader, change.oldOid) : undefined;
    if (change.oldOid && oldBytes === undefined) continue; // binary before: git shows no text diff
    const from: LineStart = { line: 1, offset: 0 };
    let added = addedLinesOfBytes(oldBytes, newBytes, from);
    // A merge introduces only what none of its parents had (like git's combined diff).
    for (let p = 1; p < info.parents.length; p++) {
      const parent = info.parents[p]!;
      if (added.length === 0) break;
      const other = reader.blobAtSync(parent, change.path);
      if (other === change.newOid) {
        added = [];
        break;
      }
      const otherBytes = other ? textBlob(reader, other) : undefined;
      const keep = new Set(addedLinesOfBytes(otherBytes, newBytes));
      added = added.filter((l) => keep.has(l));
    }
    if (added.length > 0) out.push({ change, bytes: newBytes, added, from });
  }
  return out;
}

/** `--staged`: lines the index adds relative to HEAD (what the pre-commit hook checks). */
export async function scanStaged(
  options: ScanOptions,
  detector: Detector,
  stats: ScanStats,
): Promise<RawFinding[]> {
  const reader = new GitReader(options.root, { wholePacksUpTo: FEW_OBJECTS_WHOLE_PACKS_UP_TO });
  try {
    return await scanStagedWith(reader, options, detector, stats);
  } finally {
    reader.close();
  }
}

/**
 * Path → blob id of what the index stages. Read directly (git-index.ts); isomorphic-git's walk only
 * for an index the direct reader declines (a merge in progress, a split or sparse index), and never
 * for an index other than the repository's own, which isomorphic-git cannot read.
 */
async function readStaged(reader: GitReader, indexFile: string | undefined): Promise<Map<string, string>> {
  const file = indexFile ?? join(reader.gitdir, 'index');
  const direct = readIndexBlobs(file);
  if (direct) return direct;
  if (indexFile !== undefined && resolve(indexFile) !== resolve(reader.gitdir, 'index')) {
    throw new LlmcmError(`cannot read the git index ${indexFile} (GIT_INDEX_FILE)`, {
      code: 'SCAN_GIT',
      kind: 'input',
      hint: 'a split or sparse index, or a merge in progress? commit without --all/paths, or scan with `llmcm scan --staged` outside the hook',
    });
  }
  const git = await isomorphicGit();
  const staged = new Map<string, string>();
  await git.walk({
    fs,
    dir: reader.dir,
    cache: reader.cache,
    trees: [git.STAGE()],
    map: async (filepath, [entry]) => {
      if (entry && (await entry.type()) === 'blob') staged.set(filepath, await entry.oid());
      return true;
    },
  });
  return staged;
}

async function scanStagedWith(
  reader: GitReader,
  options: ScanOptions,
  detector: Detector,
  stats: ScanStats,
): Promise<RawFinding[]> {
  const dir = options.root;
  // undefined on an unborn branch: everything staged is new.
  const head = await resolveHead(reader);
  // HEAD's files through the object reader, which also reads alternates (`clone --shared`); an
  // unreadable HEAD commit is an error, never "nothing committed yet" (that would report every
  // committed secret again as staged).
  const headTree = head ? (await reader.commit(head)).tree : undefined;
  const headEntries = new Map<string, string>();
  if (headTree) {
    const files = await reader.retry(() => diffTrees(reader, EMPTY_TREE, headTree));
    for (const file of files) headEntries.set(file.path, file.newOid!);
  }
  const raw: RawChange[] = [];
  const indexFile = options.target.kind === 'staged' ? options.target.indexFile : undefined;
  let staged: Map<string, string>;
  try {
    staged = await readStaged(reader, indexFile);
    for (const [path, oid] of staged) {
      const before = headEntries.get(path);
      if (before !== oid) raw.push({ path, oldOid: before, newOid: oid });
    }
    for (const [path, oid] of headEntries)
      if (!staged.has(path)) raw.push({ path, oldOid: oid, newOid: undefined });
  } catch (error) {
    if (error instanceof LlmcmError) throw error;
    throw new LlmcmError(`cannot read the git index of ${dir}: ${(error as Error).message}`, {
      code: 'SCAN_GIT',
      kind: 'input',
      hint: 'run the staged scan inside a git work tree',
    });
  }
  const blobs = new BlobScanner(reader, detector, options, stats);
  const changes = await reader.retry(() => detectRenames(raw, (oid) => blobs.text(oid)));
  const findings: RawFinding[] = [];
  const encrypted = new Map<string, EncryptedShape>();
  const plain: { path: string; text: string }[] = [];
  for (const change of changes) {
    stats.files++;
    const newBytes = await reader.retry(() => textBlob(reader, change.newOid));
    if (newBytes === undefined) continue;
    const oldBytes = change.oldOid ? await reader.retry(() => textBlob(reader, change.oldOid!)) : undefined;
    const from: LineStart = { line: 1, offset: 0 };
    const added = addedLinesOfBytes(oldBytes, newBytes, from);
    if (added.length === 0) continue;
    findings.push(...blobs.scanChange(change.newOid, change.path, newBytes, added, !change.oldOid, from));
    if (options.sopsAware !== false && STRUCTURED.test(change.path)) {
      const newText = decodeUtf8(newBytes);
      const keys = encryptedShape(change.path, newText);
      if (keys) encrypted.set(change.path, keys);
      else if (!isSopsFile(newText)) plain.push({ path: change.path, text: newText });
    }
  }
  if (plain.length > 0) {
    // A decrypted copy is staged: compare it with every SOPS file in the index, not only staged ones.
    for (const [path, oid] of staged) {
      if (encrypted.has(path) || !STRUCTURED.test(path)) continue;
      const text = await reader.retry(() => blobs.text(oid));
      const keys = text === undefined ? undefined : encryptedShape(path, text);
      if (keys) encrypted.set(path, keys);
    }
  }
  for (const file of plain) {
    const already = new Set(findings.filter((f) => f.file === file.path).map((f) => f.startLine));
    for (const f of findDecryptedCopies(file.path, file.text, encrypted))
      if (!already.has(f.startLine)) findings.push(f);
  }
  return findings;
}

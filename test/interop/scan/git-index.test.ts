/**
 * readIndexBlobs against the real git CLI (`git ls-files -s -z`) and against the isomorphic-git
 * STAGE walk that `scan --staged` used before it (copied call), on indexes git itself wrote:
 * versions 2, 3 and 4, odd and long paths, extended flags, and every case the reader must decline.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs, {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import git from 'isomorphic-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readIndexBlobs } from '../../../src/scan/sources/git-index.js';

const root = mkdtempSync(join(tmpdir(), 'llmcm-git-index-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Index Test',
  GIT_AUTHOR_EMAIL: 'index@example.test',
  GIT_COMMITTER_NAME: 'Index Test',
  GIT_COMMITTER_EMAIL: 'index@example.test',
  GIT_CONFIG_NOSYSTEM: '1',
  HOME: root,
};

function runGit(
  cwd: string,
  args: string[],
  input?: string | Buffer,
  env: Record<string, string> = {},
): Buffer {
  return execFileSync('git', args, {
    cwd,
    input,
    env: { ...gitEnv, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 256 * 1024 * 1024,
  });
}

function newRepo(name: string, initArgs: string[] = []): string {
  const repo = join(root, name);
  mkdirSync(repo, { recursive: true });
  runGit(repo, ['init', '-q', '-b', 'main', ...initArgs]);
  return repo;
}

const indexOf = (repo: string) => join(repo, '.git', 'index');

interface GitView {
  /** Stage-0 non-gitlink entries in index order, as git lists them. */
  blobs: [string, string][];
  /** Every path, gitlinks included. */
  paths: string[];
  stages: Set<number>;
  modes: Set<string>;
}

/** The reference: `git ls-files -s -z` (records `mode oid stage\tpath`), paths decoded as UTF-8 like the reader does. */
function listWithGit(repo: string, extra: string[] = []): GitView {
  const out = runGit(repo, ['ls-files', '-s', '-z', ...extra]);
  const view: GitView = { blobs: [], paths: [], stages: new Set(), modes: new Set() };
  let at = 0;
  while (at < out.length) {
    const nul = out.indexOf(0, at);
    const record = out.subarray(at, nul);
    at = nul + 1;
    const tab = record.indexOf(9);
    const [mode, oid, stage] = record.toString('latin1', 0, tab).split(' ') as [string, string, string];
    view.stages.add(Number(stage));
    view.modes.add(mode);
    const path = record.toString('utf8', tab + 1);
    view.paths.push(path);
    if (stage === '0' && mode !== '160000') view.blobs.push([path, oid]);
  }
  return view;
}

/** Exactly the walk `scanStagedWith` did before this reader (src/scan/sources/commit-source.ts). */
async function walkWithIsomorphicGit(dir: string): Promise<Map<string, string>> {
  const staged = new Map<string, string>();
  await git.walk({
    fs,
    dir,
    cache: {},
    trees: [git.STAGE()],
    map: async (filepath, [entry]) => {
      if (entry && (await entry.type()) === 'blob') staged.set(filepath, await entry.oid());
      return true;
    },
  });
  return staged;
}

const sorted = (entries: Iterable<[string, string]>) =>
  [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

function headerVersion(repo: string): number {
  return readFileSync(indexOf(repo)).readUInt32BE(4);
}

/** Extension signatures, found through git's own EOIE record (offset of the end of the entries), independent of the reader. */
function extensionsOf(index: Buffer): string[] {
  const eoie = index.length - 20 - 8 - 24;
  expect(index.toString('latin1', eoie, eoie + 4)).toBe('EOIE');
  const names: string[] = [];
  let at = index.readUInt32BE(eoie + 8);
  while (at < index.length - 20) {
    names.push(index.toString('latin1', at, at + 4));
    at += 8 + index.readUInt32BE(at + 4);
  }
  return names;
}

/** A copy of an index with a fresh trailing SHA-1, so only the edit (not the checksum) can make it unreadable. */
function rehashed(index: Buffer): Buffer {
  const body = index.subarray(0, index.length - 20);
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}

let scratch = 0;
function readBytes(bytes: Buffer): Map<string, string> | undefined {
  const file = join(root, `scratch-${scratch++}.index`);
  writeFileSync(file, bytes);
  return readIndexBlobs(file);
}

function writeFile(repo: string, path: string, content: string): void {
  mkdirSync(dirname(join(repo, path)), { recursive: true });
  writeFileSync(join(repo, path), content);
}

/** A path of exactly `bytes` bytes under `prefix`, in directory components of about 200 bytes. */
function pathOfLength(prefix: string, bytes: number, fill: string): string {
  let path = prefix;
  while (bytes - path.length > 201) path += `${fill.repeat(200)}/`;
  path += fill.repeat(bytes - path.length);
  expect(Buffer.byteLength(path)).toBe(bytes);
  return path;
}

describe('readIndexBlobs on indexes written by git', () => {
  let repo: string;
  let blobOid: string;
  const longPaths: string[] = [];

  beforeAll(() => {
    repo = newRepo('kinds');
    // Every index write then ends with an EOIE record, which extensionsOf uses to list the extensions.
    runGit(repo, ['config', 'index.recordEndOfIndexEntries', 'true']);
    writeFile(repo, 'README.md', '# readme\n');
    writeFile(repo, 'empty', '');
    writeFile(repo, 'src/app/main.ts', 'export const x = 1;\n');
    writeFile(repo, 'src/app/deep/er/still/file.txt', 'deep\n');
    writeFile(repo, 'with space.txt', 'space\n');
    writeFile(repo, 'dir with space/inner file', 'inner\n');
    writeFile(repo, 'unicode/héllo-wörld.txt', 'nfc\n');
    writeFile(repo, 'unicode/e\u0301-nfd.txt', 'nfd\n');
    writeFile(repo, '中文/文件.md', 'cjk\n');
    writeFile(repo, 'emoji/🙂.txt', 'emoji\n');
    for (const odd of [
      'tab\there',
      `quote"s'`,
      'back\\slash',
      'star*?[x]',
      '#hash%pct',
      '-leading-dash',
      'trailing ',
    ]) {
      writeFile(repo, `odd/${odd}`, `${odd}\n`);
    }
    writeFile(repo, `long/${'a'.repeat(200)}/${'b'.repeat(200)}.txt`, 'long\n');
    writeFile(repo, 'exec/run.sh', '#!/bin/sh\n');
    chmodSync(join(repo, 'exec/run.sh'), 0o755);
    mkdirSync(join(repo, 'links'));
    symlinkSync('../README.md', join(repo, 'links/to-readme'));
    symlinkSync('nowhere', join(repo, 'links/dangling'));
    runGit(repo, ['add', '-A']);
    runGit(repo, ['commit', '-qm', 'kinds']);
    // Staged on top of the commit: a change and a new file.
    writeFile(repo, 'README.md', '# readme, edited\n');
    writeFile(repo, 'src/new.ts', 'export const y = 2;\n');
    runGit(repo, ['add', 'README.md', 'src/new.ts']);
    const head = runGit(repo, ['rev-parse', 'HEAD']).toString().trim();
    runGit(repo, ['update-index', '--add', '--cacheinfo', `160000,${head},vendor/sub`]);
    // Paths around the 12-bit name-length field (0xFFF saturates), and one long enough that the next
    // v4 entry strips more than 16 kB (a three-byte varint); no file system would take these.
    blobOid = runGit(repo, ['hash-object', '-w', '--stdin'], 'long path content\n').toString().trim();
    for (const [bytes, fill] of [
      [4094, 'c'],
      [4095, 'd'],
      [4096, 'e'],
      [5000, 'f'],
      [20000, 'g'],
    ] as const) {
      longPaths.push(pathOfLength('over/', bytes, fill));
    }
    // Two saturated names sharing more than 0xFFF bytes: v4 keeps a prefix longer than the length field holds.
    const shared = pathOfLength('over/', 6000, 'h');
    longPaths.push(`${shared}/one`, `${shared}/two`);
    runGit(
      repo,
      ['update-index', '--index-info'],
      longPaths.map((p) => `100644 ${blobOid}\t${p}\n`).join(''),
    );
    runGit(repo, ['update-index', '--assume-unchanged', 'README.md']);
    runGit(repo, ['update-index', '--untracked-cache']);
  });

  it('is given version 2 by git when version 3 is asked for without extended flags', () => {
    runGit(repo, ['update-index', '--index-version', '3']);
    expect(headerVersion(repo)).toBe(2);
  });

  // Version 3 needs an entry with extended flags: the next test.
  it.each([2, 4])('matches git ls-files and the isomorphic-git walk in index version %i', async (version) => {
    runGit(repo, ['update-index', '--index-version', String(version)]);
    expect(headerVersion(repo)).toBe(version);
    const index = readFileSync(indexOf(repo));
    // The optional extensions the reader must step over really are there.
    expect(extensionsOf(index)).toEqual(expect.arrayContaining(['TREE', 'UNTR', 'EOIE']));
    const view = listWithGit(repo);
    expect(view.modes).toEqual(new Set(['100644', '100755', '120000', '160000']));
    expect(runGit(repo, ['ls-files', '-v', 'README.md']).toString()).toMatch(/^h /); // assume-unchanged

    const blobs = readIndexBlobs(indexOf(repo));
    expect(blobs).toBeDefined();
    expect([...blobs!]).toEqual(view.blobs); // same entries, same (index) order
    expect(blobs!.has('vendor/sub')).toBe(false);
    expect(blobs!.get('links/to-readme')).toBeDefined();
    expect(blobs!.get('odd/tab\there')).toBeDefined();
    expect(blobs!.get('unicode/e\u0301-nfd.txt')).toBeDefined();
    for (const long of longPaths) expect(blobs!.get(long)).toBe(blobOid);

    if (version === 4) {
      // isomorphic-git reads only versions 2 and 3: on v4 the old path had nothing to compare with.
      await expect(walkWithIsomorphicGit(repo)).rejects.toThrow(/version/);
    } else {
      expect(sorted(blobs!)).toEqual(sorted(await walkWithIsomorphicGit(repo)));
    }
  });

  it.each([3, 4])(
    'keeps intent-to-add and skip-worktree entries like the isomorphic-git walk (version %i)',
    async (version) => {
      writeFile(repo, 'notes/intent.txt', 'not staged yet\n');
      runGit(repo, ['add', '-N', 'notes/intent.txt']);
      runGit(repo, ['update-index', '--skip-worktree', 'src/app/main.ts']);
      // Extended flags need version 3: git promotes a requested version 2.
      runGit(repo, ['update-index', '--index-version', '2']);
      expect(headerVersion(repo)).toBe(3);
      runGit(repo, ['update-index', '--index-version', String(version)]);
      expect(headerVersion(repo)).toBe(version);
      expect(extensionsOf(readFileSync(indexOf(repo)))).toEqual(
        expect.arrayContaining(['TREE', 'UNTR', 'EOIE']),
      );
      expect(runGit(repo, ['ls-files', '-v', 'src/app/main.ts']).toString()).toMatch(/^S /);

      const view = listWithGit(repo);
      const blobs = readIndexBlobs(indexOf(repo));
      expect([...blobs!]).toEqual(view.blobs);
      // git add -N stages the empty blob's id.
      expect(blobs!.get('notes/intent.txt')).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
      expect(blobs!.get('src/app/main.ts')).toBeDefined();
      if (version === 3) expect(sorted(blobs!)).toEqual(sorted(await walkWithIsomorphicGit(repo)));
    },
  );

  it('reads a version 4 index that git wrote in offset-table blocks (IEOT: each block restarts the prefix)', () => {
    const big = newRepo('ieot');
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      lines.push(`100644 ${blobOid}\tdir${i % 7}/sub${i % 3}/file${String(i).padStart(5, '0')}.txt\n`);
    }
    runGit(
      big,
      [
        '-c',
        'index.threads=2',
        '-c',
        'index.recordOffsetTable=true',
        '-c',
        'index.recordEndOfIndexEntries=true',
        'update-index',
        '--index-info',
      ],
      lines.join(''),
      { GIT_INDEX_VERSION: '4' },
    );
    const index = readFileSync(indexOf(big));
    expect(index.readUInt32BE(4)).toBe(4);
    expect(extensionsOf(index)).toContain('IEOT');
    const blobs = readIndexBlobs(indexOf(big));
    expect(blobs?.size).toBe(3000);
    expect([...blobs!]).toEqual(listWithGit(big).blobs);
  });

  it('decodes paths that are not UTF-8 as the isomorphic-git walk does, and declines when two collide', async () => {
    const bytes = newRepo('latin1');
    const line = (path: Buffer, oid: string) =>
      Buffer.concat([Buffer.from(`100644 ${oid}\t`), path, Buffer.from('\n')]);
    runGit(bytes, ['update-index', '--index-info'], line(Buffer.from('bad/caf\xe9.txt', 'latin1'), blobOid));
    const blobs = readIndexBlobs(indexOf(bytes));
    expect([...blobs!]).toEqual([['bad/caf\ufffd.txt', blobOid]]);
    expect([...blobs!]).toEqual(listWithGit(bytes).blobs);
    expect(sorted(blobs!)).toEqual(sorted(await walkWithIsomorphicGit(bytes)));
    // A second byte string decoding to the same text: a map would keep one and lose the other.
    runGit(bytes, ['update-index', '--index-info'], line(Buffer.from('bad/caf\xe8.txt', 'latin1'), blobOid));
    expect(listWithGit(bytes).blobs).toHaveLength(2);
    expect(readIndexBlobs(indexOf(bytes))).toBeUndefined();
  });

  it("reads a directory named like 'a..', which git takes and the isomorphic-git walk refuses", async () => {
    const dots = newRepo('dots');
    writeFile(dots, 'a../b.txt', 'b\n');
    runGit(dots, ['add', '-A']);
    const blobs = readIndexBlobs(indexOf(dots));
    expect([...blobs!]).toEqual(listWithGit(dots).blobs);
    expect(blobs!.has('a../b.txt')).toBe(true);
    await expect(walkWithIsomorphicGit(dots)).rejects.toThrow(/unsafe/);
  });

  it('gives an empty map for a repository without an index, like the walk', async () => {
    const empty = newRepo('empty');
    expect(existsSync(indexOf(empty))).toBe(false);
    expect(readIndexBlobs(indexOf(empty))).toEqual(new Map());
    expect(listWithGit(empty).blobs).toEqual([]);
    expect(await walkWithIsomorphicGit(empty)).toEqual(new Map());
  });
});

describe('readIndexBlobs leaves the index to isomorphic-git', () => {
  let small: string;
  let v3: Buffer; // entries: 'a-first' (skip-worktree, so extended), 'b.txt', 'c/d.txt'
  let v4: Buffer;

  beforeAll(() => {
    small = newRepo('small');
    writeFile(small, 'a-first', 'a\n');
    writeFile(small, 'b.txt', 'b\n');
    writeFile(small, 'c/d.txt', 'd\n');
    runGit(small, ['add', '-A']);
    runGit(small, ['commit', '-qm', 'small']);
    runGit(small, ['update-index', '--skip-worktree', 'a-first']);
    runGit(small, ['update-index', '--index-version', '4']);
    v4 = readFileSync(indexOf(small));
    runGit(small, ['update-index', '--index-version', '3']);
    v3 = readFileSync(indexOf(small));
    // The unedited bytes read fine: each case below changes one thing.
    expect([...readBytes(v3)!]).toEqual(listWithGit(small).blobs);
    expect([...readBytes(v4)!]).toEqual(listWithGit(small).blobs);
  });

  it('during a conflicted merge, and reads the index again once it is resolved', () => {
    const merge = newRepo('merge');
    writeFile(merge, 'f.txt', 'base\n');
    runGit(merge, ['add', '-A']);
    runGit(merge, ['commit', '-qm', 'base']);
    runGit(merge, ['checkout', '-qb', 'other']);
    writeFile(merge, 'f.txt', 'other\n');
    runGit(merge, ['commit', '-qam', 'other']);
    runGit(merge, ['checkout', '-q', 'main']);
    writeFile(merge, 'f.txt', 'main\n');
    runGit(merge, ['commit', '-qam', 'main']);
    const result = spawnSync('git', ['merge', 'other'], { cwd: merge, env: gitEnv });
    expect(result.status).not.toBe(0);
    expect(listWithGit(merge).stages).toEqual(new Set([1, 2, 3]));
    expect(readIndexBlobs(indexOf(merge))).toBeUndefined();
    // Resolved: stage 0 again, with the conflict kept in the optional REUC extension.
    writeFile(merge, 'f.txt', 'resolved\n');
    runGit(merge, ['add', 'f.txt']);
    expect(readFileSync(indexOf(merge)).includes('REUC')).toBe(true);
    expect([...readIndexBlobs(indexOf(merge))!]).toEqual(listWithGit(merge).blobs);
  });

  it('for a split index (link extension)', () => {
    const split = newRepo('split');
    writeFile(split, 'x.txt', 'x\n');
    runGit(split, ['add', '-A']);
    runGit(split, ['update-index', '--split-index']);
    expect(fs.readdirSync(join(split, '.git')).some((f) => f.startsWith('sharedindex.'))).toBe(true);
    expect(readFileSync(indexOf(split)).includes('link')).toBe(true);
    expect(readIndexBlobs(indexOf(split))).toBeUndefined();
  });

  it('for a sparse index (sdir extension, directory entries)', () => {
    const sparse = newRepo('sparse');
    writeFile(sparse, 'keep/a', 'a\n');
    writeFile(sparse, 'drop/b', 'b\n');
    runGit(sparse, ['add', '-A']);
    runGit(sparse, ['commit', '-qm', 'sparse']);
    runGit(sparse, ['sparse-checkout', 'set', '--cone', '--sparse-index', 'keep']);
    expect(listWithGit(sparse, ['--sparse']).modes).toContain('040000');
    expect(readIndexBlobs(indexOf(sparse))).toBeUndefined();
  });

  it('for a SHA-256 repository, whatever object format the caller claims', () => {
    const sha256 = newRepo('sha256', ['--object-format=sha256']);
    writeFile(sha256, 'a.txt', 'a\n');
    runGit(sha256, ['add', '-A']);
    expect(listWithGit(sha256).blobs[0]![1]).toHaveLength(64);
    expect(readIndexBlobs(indexOf(sha256), 'sha256')).toBeUndefined();
    expect(readIndexBlobs(indexOf(sha256))).toBeUndefined(); // the SHA-1 trailer check fails
    expect(readIndexBlobs(indexOf(small), 'sha256')).toBeUndefined();
  });

  it('for a checksum that does not match (one flipped byte)', () => {
    const flipped = Buffer.from(v3);
    flipped.writeUInt8(flipped.readUInt8(12 + 64) ^ 0x01, 12 + 64); // first byte of the first path
    expect(readBytes(flipped)).toBeUndefined();
  });

  it('(not) for a checksum git skipped: index.skipHash writes zeros there, and git reads such a file', () => {
    const skipped = Buffer.from(v3);
    skipped.fill(0, skipped.length - 20);
    expect(readBytes(v3)).toBeDefined();
    expect(readBytes(skipped)).toEqual(readBytes(v3));
    // Zeros stand for "not computed", not for a checksum that happens to be wrong.
    skipped.writeUInt8(1, skipped.length - 1);
    expect(readBytes(skipped)).toBeUndefined();
  });

  it('for a truncated file, with or without a checksum that matches what is left', () => {
    expect(readBytes(v3.subarray(0, v3.length - 7))).toBeUndefined();
    expect(readBytes(rehashed(v3.subarray(0, 12 + 40 + 20)))).toBeUndefined(); // cut inside the first entry
    expect(readBytes(rehashed(v3.subarray(0, 12 + 72 + 20)))).toBeUndefined(); // after it, two entries missing
    expect(readBytes(Buffer.alloc(0))).toBeUndefined();
  });

  it.each([1, 5, 0x10000])('for index version %i written by hand', (version) => {
    const edited = Buffer.from(v3);
    edited.writeUInt32BE(version, 4);
    expect(readBytes(rehashed(edited))).toBeUndefined();
  });

  it('for a wrong signature', () => {
    const edited = Buffer.from(v3);
    edited.write('DIRD', 0, 'latin1');
    expect(readBytes(rehashed(edited))).toBeUndefined();
  });

  it('for an entry with stage bits set (apart from a real merge)', () => {
    const edited = Buffer.from(v3);
    edited.writeUInt16BE(edited.readUInt16BE(12 + 60) | 0x1000, 12 + 60);
    expect(readBytes(rehashed(edited))).toBeUndefined();
  });

  it('for a directory entry (mode 040000) even without the sdir extension, and for modes git never writes', () => {
    for (const mode of [0o040000, 0o100664, 0o100000, 0]) {
      const edited = Buffer.from(v3);
      edited.writeUInt32BE(mode, 12 + 24);
      expect(readBytes(rehashed(edited))).toBeUndefined();
    }
  });

  it('for required extensions (lowercase first letter), but not for optional ones', () => {
    const withExtension = (index: Buffer, name: string, payload: Buffer) => {
      const header = Buffer.alloc(8);
      header.write(name, 0, 'latin1');
      header.writeUInt32BE(payload.length, 4);
      return rehashed(
        Buffer.concat([index.subarray(0, index.length - 20), header, payload, Buffer.alloc(20)]),
      );
    };
    expect(readBytes(withExtension(v3, 'sdir', Buffer.alloc(0)))).toBeUndefined();
    expect(readBytes(withExtension(v3, 'link', Buffer.alloc(20)))).toBeUndefined();
    expect(readBytes(withExtension(v3, 'abcd', Buffer.alloc(4)))).toBeUndefined();
    const optional = withExtension(v3, 'ZZZZ', Buffer.from('data'));
    const file = join(small, '.git', 'index');
    writeFileSync(file, optional);
    // git ignores it too.
    expect([...readIndexBlobs(file)!]).toEqual(listWithGit(small).blobs);
    // An extension that runs past the checksum, or stray bytes too short to be one.
    const overlong = withExtension(v3, 'ZZZZ', Buffer.from('data'));
    overlong.writeUInt32BE(5, overlong.length - 20 - 4 - 4);
    expect(readBytes(rehashed(overlong))).toBeUndefined();
    expect(
      readBytes(rehashed(Buffer.concat([v3.subarray(0, v3.length - 20), Buffer.alloc(3), Buffer.alloc(20)]))),
    ).toBe(undefined);
    writeFileSync(file, v3);
  });

  it('for the extended-flags bit in a version 2 index, and unknown extended flags', () => {
    expect(v3.readUInt16BE(12 + 60) & 0x4000).toBe(0x4000); // a-first: skip-worktree
    const asV2 = Buffer.from(v3);
    asV2.writeUInt32BE(2, 4);
    expect(readBytes(rehashed(asV2))).toBeUndefined();
    const unknown = Buffer.from(v3);
    unknown.writeUInt16BE(unknown.readUInt16BE(12 + 62) | 0x8000, 12 + 62);
    expect(readBytes(rehashed(unknown))).toBeUndefined();
  });

  it('for a name length that disagrees with the NUL-terminated name', () => {
    for (const index of [v3, v4]) {
      const edited = Buffer.from(index);
      edited.writeUInt16BE(edited.readUInt16BE(12 + 60) - 1, 12 + 60);
      expect(readBytes(rehashed(edited))).toBeUndefined();
    }
  });

  it('for a version 4 entry that strips more than the previous path holds', () => {
    // The first entry is extended (skip-worktree): its varint follows the extended-flags word.
    expect(v4[12 + 64]).toBe(0);
    const edited = Buffer.from(v4);
    edited[12 + 64] = 1;
    expect(readBytes(rehashed(edited))).toBeUndefined();
  });

  it('for a file it cannot read (a directory)', () => {
    expect(readIndexBlobs(join(small, '.git'))).toBeUndefined();
  });
});

describe('readIndexBlobs on random indexes built with git update-index --index-info', () => {
  // No '.' first (git refuses '.', '..', '.git'), no '"' first (--index-info would C-unquote the path).
  const firstChars = ['a', 'B', 'z', '0', '_', '-', ' ', 'é', '中', '🙂', '#'];
  const laterChars = [...firstChars, '.', '"', '\t'];
  const component = fc.oneof(
    {
      weight: 8,
      arbitrary: fc.string({ unit: fc.constantFrom(...laterChars), minLength: 0, maxLength: 10 }),
    },
    { weight: 1, arbitrary: fc.integer({ min: 100, max: 1500 }).map((n) => 'L'.repeat(n)) },
  );
  const name = fc.tuple(fc.constantFrom(...firstChars), component).map(([first, rest]) => first + rest);
  const entry = fc.record({
    parts: fc.array(fc.nat(), { minLength: 1, maxLength: 5 }),
    skipWorktree: fc.boolean(),
    mode: fc.constantFrom('100644', '100755', '120000', '160000'),
    oid: fc
      .uint8Array({ minLength: 20, maxLength: 20 })
      .map((b) => Buffer.from(b).toString('hex'))
      .filter((h) => !/^0+$/.test(h)),
  });
  // A small pool of names shared by all paths, so v4 prefix compression has long common prefixes.
  const indexSpec = fc.tuple(
    fc.array(name, { minLength: 3, maxLength: 12 }),
    fc.array(entry, { minLength: 10, maxLength: 60 }),
  );

  it.each([2, 3, 4])(
    'agrees with git ls-files (and the isomorphic-git walk) in version %i',
    async (version) => {
      const repo = newRepo(`property-v${version}`);
      let longest = 0;
      let runs = 0;
      let compared = 0;
      await fc.assert(
        fc.asyncProperty(indexSpec, async ([pool, entries]) => {
          runs++;
          rmSync(indexOf(repo), { force: true });
          const lines = entries.map(({ parts, mode, oid }) => {
            // Files end in '.f' so that few of them collide with a directory of the same name (git keeps one).
            const path = `${parts.map((n) => pool[n % pool.length]).join('/')}.f`;
            longest = Math.max(longest, Buffer.byteLength(path));
            return `${mode} ${oid}\t${path}\n`;
          });
          runGit(repo, ['update-index', '--index-info'], lines.join(''), {
            GIT_INDEX_VERSION: String(version),
          });
          const view = listWithGit(repo);
          if (version !== 2) {
            // Skip-worktree on some entries (extended flags): version 3 exists only with at least one.
            const marked = view.paths.filter(
              (_, i) => entries[i]?.skipWorktree || (version === 3 && i === 0),
            );
            if (marked.length > 0) {
              const input = marked.map((p) => `${p}\0`).join('');
              runGit(repo, ['update-index', '--skip-worktree', '-z', '--stdin'], input);
            }
          }
          expect(headerVersion(repo)).toBe(version);
          const blobs = readIndexBlobs(indexOf(repo));
          expect(blobs).toBeDefined();
          expect([...blobs!]).toEqual(view.blobs);
          compared += blobs!.size;
          if (version === 4) return;
          if (view.paths.some((p) => p.includes('../'))) {
            // Git takes a name like 'a..' for a directory; isomorphic-git refuses the whole index.
            await expect(walkWithIsomorphicGit(repo)).rejects.toThrow(/unsafe/);
          } else {
            expect(sorted(blobs!)).toEqual(sorted(await walkWithIsomorphicGit(repo)));
          }
        }),
        { numRuns: 25 },
      );
      // The runs really happened and were not trivial.
      expect(runs).toBeGreaterThanOrEqual(25);
      expect(compared).toBeGreaterThan(100);
      expect(longest).toBeGreaterThan(255);
    },
  );
});

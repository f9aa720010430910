import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { writeFileAtomic } from '../core/atomic-write.js';
import { keyedFingerprint } from '../core/fingerprint.js';
import { type CommitInfo, listCommits, readCommitInfo } from '../repo/commits.js';
import { type Repository, readRef } from '../repo/repository.js';
import { createTreeReader, listFilesRecursive, readBlobText } from '../repo/tree.js';
import { listRecords, type StoredRecord } from './record.js';

/** Decrypts one sops file to flat dotted key (within the file, no kind prefix) → plaintext, or null when no key can (then ciphertext is fingerprinted). */
export type FileDecryptor = (text: string, file: string) => Promise<Record<string, string> | null>;

/** One change of one key in git. */
export interface KeyEvent {
  /** The layer folder: an environment name or the base layer (e.g. `_base`). */
  environment: string;
  file: string;
  key: string;
  action: 'added' | 'changed' | 'removed';
  commit: string;
  author: string;
  email: string;
  date: string;
  /** A pull request number found in the commit message (`(#12)`, `Merge pull request #12`). */
  pr: number | null;
  /** Keyed fingerprint of the new value (of the old one when removed); never the value. */
  fingerprint: string;
  /** Whether the fingerprint is of ciphertext (no key was available to decrypt). */
  encrypted: boolean;
  /** Successful promotions whose source carried this value. */
  promotions: string[];
}

/** What `auditKeys` walks and filters. */
export interface AuditOptions {
  /** Folder holding the environments (llmcm.yaml `directory`). */
  directory: string;
  /** Restrict to one environment (its own layer plus the base layer). */
  environment?: string;
  base?: string | null;
  /** Restrict to a key (exact or dotted prefix). */
  key?: string;
  since?: Date;
  ref?: string;
  fingerprintKey: Uint8Array;
  decrypt?: FileDecryptor;
  /** Environments whose promotion records are consulted. */
  environments: readonly string[];
}

type KeyMap = Record<string, { fp: string; enc: boolean }>;

function flattenYaml(value: unknown, prefix: string, out: Record<string, unknown>): void {
  if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (prefix.indexOf('.') < 0 && prefix !== '' && k === 'sops') continue;
      flattenYaml(v, prefix ? `${prefix}.${k}` : k, out);
    }
  } else if (prefix) {
    out[prefix] = value;
  }
}

function prNumber(message: string): number | null {
  const m = /Merge pull request #(\d+)/.exec(message) ?? /\(#(\d+)\)\s*$/m.exec(message.split('\n')[0] ?? '');
  return m ? Number(m[1]) : null;
}

/**
 * The history of every key from git: who changed it, when, in which commit or PR, and which promotions
 * carried that value. Walks the first-parent history once; each file version (blob) is read and
 * fingerprinted once and cached on disk by blob id (fingerprints only), since isomorphic-git's log by
 * path is slow.
 */
export async function auditKeys(repo: Repository, options: AuditOptions): Promise<KeyEvent[]> {
  const cacheFile = join(repo.gitdir, 'llmcm', 'audit-cache.json');
  const keyId = keyedFingerprint(options.fingerprintKey, 'audit-cache', options.decrypt ? 'plain' : 'cipher');
  let cache: { keyId: string; blobs: Record<string, KeyMap> } = { keyId, blobs: {} };
  try {
    const loaded = JSON.parse(readFileSync(cacheFile, 'utf8')) as typeof cache;
    if (loaded.keyId === keyId) cache = loaded;
  } catch {
    // No cache yet.
  }
  let cacheDirty = false;
  const readKeys = async (file: string, blob: string): Promise<KeyMap> => {
    const cached = cache.blobs[blob];
    if (cached) return cached;
    const text = await readBlobText(repo, blob);
    const flat: Record<string, unknown> = {};
    // Keys are named as the stores name them: the document kind (file name) first.
    const kind = (file.split('/').pop() ?? '').replace(/\.ya?ml$/, '');
    try {
      flattenYaml({ [kind]: parse(text) }, '', flat);
    } catch {
      // A malformed file version has no readable keys; check reports it, audit moves on.
    }
    const plain = options.decrypt ? await options.decrypt(text, file).catch(() => null) : null;
    const map: KeyMap = {};
    for (const [key, raw] of Object.entries(flat)) {
      const asText = typeof raw === 'string' ? raw : JSON.stringify(raw);
      const decrypted = plain?.[key.slice(kind.length + 1)];
      const enc = decrypted === undefined && asText.startsWith('ENC[');
      map[key] = { fp: keyedFingerprint(options.fingerprintKey, key, decrypted ?? asText), enc };
    }
    cache.blobs[blob] = map;
    cacheDirty = true;
    return map;
  };

  const head = options.ref ?? 'HEAD';
  if (!(await readRef(repo, head)) && head === 'HEAD') return [];
  const commits: CommitInfo[] = (await listCommits(repo, head, { firstParent: true })).reverse();
  const position = new Map(commits.map((c, i) => [c.oid, i]));
  const layerAllowed = (layer: string) =>
    !options.environment || layer === options.environment || (options.base != null && layer === options.base);
  const keyAllowed = (key: string) =>
    !options.key || key === options.key || key.startsWith(`${options.key}.`);

  const events: (KeyEvent & { position: number })[] = [];
  let previousFiles = new Map<string, string>();
  const previousKeys = new Map<string, KeyMap>();
  let previousTree: string | null = null;
  for (const [i, commit] of commits.entries()) {
    // Most commits do not touch the environments: skip them by the directory's tree id.
    const tree = await createTreeReader(repo, commit.oid).oidAt(options.directory);
    if (tree === previousTree) continue;
    previousTree = tree;
    const files = tree
      ? await listFilesRecursive(repo, commit.oid, options.directory)
      : new Map<string, string>();
    const paths = new Set([...files.keys(), ...previousFiles.keys()]);
    for (const path of [...paths].sort()) {
      if (!/\.ya?ml$/.test(path)) continue;
      const layer = path.slice(options.directory.length + 1).split('/')[0] ?? '';
      if (!layerAllowed(layer)) continue;
      const before = previousFiles.get(path);
      const after = files.get(path);
      if (before === after) continue;
      const oldKeys = previousKeys.get(path) ?? {};
      const newKeys = after ? await readKeys(path, after) : {};
      if (after) previousKeys.set(path, newKeys);
      else previousKeys.delete(path);
      const emit = (key: string, action: KeyEvent['action'], v: { fp: string; enc: boolean }) => {
        if (!keyAllowed(key)) return;
        events.push({
          environment: layer,
          file: path,
          key,
          action,
          commit: commit.oid,
          author: commit.author.name,
          email: commit.author.email,
          date: new Date(commit.author.timestamp * 1000).toISOString(),
          pr: prNumber(commit.message),
          fingerprint: v.fp,
          encrypted: v.enc,
          promotions: [],
          position: i,
        });
      };
      for (const key of Object.keys(newKeys).sort()) {
        const o = oldKeys[key];
        const n = newKeys[key]!;
        if (!o) emit(key, 'added', n);
        else if (o.fp !== n.fp) emit(key, 'changed', n);
      }
      for (const key of Object.keys(oldKeys).sort()) if (!newKeys[key]) emit(key, 'removed', oldKeys[key]!);
    }
    previousFiles = files;
  }
  if (cacheDirty) {
    mkdirSync(join(repo.gitdir, 'llmcm'), { recursive: true });
    writeFileAtomic(cacheFile, JSON.stringify(cache), { mode: 0o600 });
  }

  // Which promotions carried each value: a promotion of source S carries the newest event at or before S.
  const records = new Map<string, StoredRecord[]>();
  for (const env of options.environments) {
    records.set(
      env,
      (await listRecords(repo, env)).filter((r) => r.result === 'succeeded'),
    );
  }
  const byKey = new Map<string, (typeof events)[number][]>();
  for (const e of events) {
    const k = `${e.file}\0${e.key}`;
    byKey.set(k, [...(byKey.get(k) ?? []), e]);
  }
  // A source off the first-parent line (promoted from a branch) counts at the newest first-parent
  // commit in its history: walk back from it until the walk meets that line.
  const offLine = new Map<string, number | undefined>();
  const positionOf = async (source: string): Promise<number | undefined> => {
    const known = position.get(source);
    if (known !== undefined) return known;
    if (offLine.has(source)) return offLine.get(source);
    let best: number | undefined;
    const seen = new Set<string>();
    const queue = [source];
    while (queue.length > 0 && seen.size < 10_000) {
      const oid = queue.pop()!;
      if (seen.has(oid)) continue;
      seen.add(oid);
      const p = position.get(oid);
      if (p !== undefined) {
        best = best === undefined ? p : Math.max(best, p);
        continue;
      }
      try {
        queue.push(...(await readCommitInfo(repo, oid)).parents);
      } catch {
        // A missing commit ends this path (audit verify reports rewritten history).
      }
    }
    offLine.set(source, best);
    return best;
  };
  const sourcePositions = new Map<string, number | undefined>();
  for (const list of records.values()) {
    for (const r of list)
      if (!sourcePositions.has(r.source)) sourcePositions.set(r.source, await positionOf(r.source));
  }
  for (const list of byKey.values()) {
    for (const [idx, e] of list.entries()) {
      if (e.action === 'removed') continue;
      const until = list[idx + 1]?.position ?? Number.POSITIVE_INFINITY;
      const envs =
        options.base != null && e.environment === options.base ? options.environments : [e.environment];
      for (const env of envs) {
        for (const r of records.get(env) ?? []) {
          const p = sourcePositions.get(r.source);
          if (p !== undefined && p >= e.position && p < until) e.promotions.push(`${env}:${r.promotionId}`);
        }
      }
    }
  }
  const since = options.since?.getTime();
  return events
    .filter((e) => since === undefined || Date.parse(e.date) >= since)
    .map(({ position: _p, ...e }) => ({ ...e, promotions: e.promotions.sort() }));
}

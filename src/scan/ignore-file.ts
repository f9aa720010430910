import { existsSync, readFileSync } from 'node:fs';

/**
 * `.gitleaksignore`: one gitleaks fingerprint per line, `file:rule-id:start-line` (any commit) or
 * `commit:file:rule-id:start-line`. Backslashes in the file part are normalised to `/` like gitleaks.
 */
export interface IgnoreList {
  entries: Set<string>;
  /** Entries that matched at least one finding (the rest are reported as stale). */
  used: Set<string>;
  /** Lines that are not fingerprints, with their 1-based line number. */
  invalid: { line: number; text: string }[];
}

/** Parses `.gitleaksignore` text. */
export function parseIgnoreList(text: string, into?: IgnoreList): IgnoreList {
  const list: IgnoreList = into ?? { entries: new Set(), used: new Set(), invalid: [] };
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const parts = line.split(':');
    if (parts.length === 3) parts[0] = parts[0]!.replaceAll('\\', '/');
    else if (parts.length === 4) parts[1] = parts[1]!.replaceAll('\\', '/');
    else {
      list.invalid.push({ line: i + 1, text: line });
      return;
    }
    list.entries.add(parts.join(':'));
  });
  return list;
}

/** Reads every existing file of `paths` into one list. */
export function loadIgnoreFiles(paths: string[]): IgnoreList {
  const list: IgnoreList = { entries: new Set(), used: new Set(), invalid: [] };
  for (const p of [...new Set(paths)]) if (existsSync(p)) parseIgnoreList(readFileSync(p, 'utf8'), list);
  return list;
}

/** Is a finding ignored? Checks the global fingerprint, then the commit one (gitleaks AddFinding). */
export function isIgnored(
  list: IgnoreList,
  f: { file: string; ruleId: string; startLine: number; commit: string },
): boolean {
  const global = `${f.file}:${f.ruleId}:${f.startLine}`;
  if (list.entries.has(global)) {
    list.used.add(global);
    return true;
  }
  if (f.commit) {
    const withCommit = `${f.commit}:${global}`;
    if (list.entries.has(withCommit)) {
      list.used.add(withCommit);
      return true;
    }
  }
  return false;
}

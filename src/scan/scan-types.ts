import type { BaselineEntry } from './baseline.js';
import type { ScanConfig } from './config/types.js';
import type { RawFinding } from './detect/detector.js';
import type { IgnoreList } from './ignore-file.js';
import type { SopsPolicy } from './sops-aware.js';

/** What to scan. */
export type ScanTarget =
  | { kind: 'dir'; paths: string[] }
  /**
   * `indexFile`: the index to read instead of the repository's own, as git names it in
   * GIT_INDEX_FILE for a pre-commit hook of `git commit -a` or `git commit PATHS` (a temporary index).
   */
  | { kind: 'staged'; indexFile?: string }
  | { kind: 'range'; base: string; head: string }
  | { kind: 'history' }
  | { kind: 'stdin'; content: Uint8Array };

/** One scan: where, what, with which config, and the filters to apply. */
export interface ScanOptions {
  /** The working directory / repository root. Paths in findings are relative to it. */
  root: string;
  target: ScanTarget;
  config: ScanConfig;
  /** `.sops.yaml` rules; undefined disables the unencrypted-secret checks. */
  sopsPolicy?: SopsPolicy;
  /** Skip the SOPS awareness entirely (gitleaks parity mode). */
  sopsAware?: boolean;
  ignore?: IgnoreList;
  baseline?: BaselineEntry[];
  secretFingerprint?: (f: RawFinding) => string;
  ignoreGitleaksAllow?: boolean;
  ruleBudgetMs?: number;
  /** Decoding passes for base64/hex/percent/unicode-escaped text (default 5, like gitleaks). */
  maxDecodeDepth?: number;
  /** Working-tree scans skip what the repository's .gitignore ignores (the CLI default). */
  respectGitignore?: boolean;
  /** Paths (as reported) never scanned: the config file and the baseline. */
  skipPaths?: string[];
  /** Called as the work advances (every few files or commits, and once at the end). */
  onProgress?: (progress: ScanProgress) => void;
}

/** How far a long scan has come: `done` of `total` files or commits. */
export interface ScanProgress {
  done: number;
  total: number;
  unit: 'files' | 'commits';
}

/** Something the user should know that is not a finding (a rule over budget, a skipped file). */
export interface ScanWarning {
  message: string;
  file?: string;
  ruleId?: string;
}

/** Counters for the summary line and the benchmark. */
export interface ScanStats {
  bytes: number;
  files: number;
  commits: number;
  blobs: number;
}

/** Findings (secrets in memory only), warnings and counters of one scan. */
export interface ScanResult {
  findings: RawFinding[];
  warnings: ScanWarning[];
  stats: ScanStats;
}

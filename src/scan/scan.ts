import { isInBaseline } from './baseline.js';
import { Detector, gitleaksFingerprint, type RawFinding } from './detect/detector.js';
import { isIgnored } from './ignore-file.js';
import type { ScanOptions, ScanResult, ScanStats, ScanWarning } from './scan-types.js';
import { dropSopsNoise } from './sops-aware.js';
import { chunkContent } from './sources/chunk.js';
import { scanCommits, scanStaged } from './sources/commit-source.js';
import { scanDirectory } from './sources/dir-source.js';

export type { ScanOptions, ScanResult, ScanStats, ScanTarget, ScanWarning } from './scan-types.js';

/** Runs one scan and returns findings (secrets in memory only), warnings and counters. */
export async function runScan(options: ScanOptions): Promise<ScanResult> {
  const warnings: ScanWarning[] = [];
  const detector = new Detector(options.config, {
    ignoreGitleaksAllow: options.ignoreGitleaksAllow,
    ruleBudgetMs: options.ruleBudgetMs,
    maxDecodeDepth: options.maxDecodeDepth,
    skipPaths: options.skipPaths,
    onBudgetExceeded: (w) =>
      warnings.push({
        message: `rule ${w.ruleId} took ${w.elapsedMs} ms on ${w.file || 'stdin'}${w.commit ? ` @ ${w.commit.slice(0, 7)}` : ''}; skipped it for the rest of that file`,
        file: w.file,
        ruleId: w.ruleId,
      }),
  });
  const stats: ScanStats = { bytes: 0, files: 0, commits: 0, blobs: 0 };
  let findings: RawFinding[];
  switch (options.target.kind) {
    case 'dir':
      findings = await scanDirectory(options, detector, options.target.paths, stats, warnings);
      break;
    case 'stdin':
      stats.bytes += options.target.content.length;
      findings = chunkContent(options.target.content, '').flatMap((f) => detector.detect(f));
      if (options.sopsAware !== false)
        findings = dropSopsNoise(findings, Buffer.from(options.target.content).toString());
      break;
    case 'staged':
      findings = await scanStaged(options, detector, stats);
      break;
    case 'range':
    case 'history':
      findings = await scanCommits(options, detector, stats);
      break;
  }
  return { findings: postProcess(findings, options), warnings, stats };
}

function postProcess(findings: RawFinding[], options: ScanOptions): RawFinding[] {
  const out: RawFinding[] = [];
  for (const f of findings) {
    f.fingerprint = gitleaksFingerprint(f);
    if (options.ignore && isIgnored(options.ignore, f)) continue;
    if (
      options.baseline &&
      options.secretFingerprint &&
      isInBaseline(f, options.baseline, options.secretFingerprint)
    ) {
      continue;
    }
    out.push(f);
  }
  return out.sort(
    (a, b) =>
      cmp(a.file, b.file) ||
      a.startLine - b.startLine ||
      a.startColumn - b.startColumn ||
      cmp(a.ruleId, b.ruleId) ||
      cmp(a.commit, b.commit),
  );
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

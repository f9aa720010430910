import { readFileSync } from 'node:fs';
import { LlmcmError } from '../core/errors.js';
import { keyedFingerprint } from '../core/fingerprint.js';
import type { RawFinding } from './detect/detector.js';

/** One entry of a baseline: a previous JSON report (gitleaks' or ours). */
export interface BaselineEntry {
  RuleID: string;
  Description?: string;
  StartLine: number;
  EndLine: number;
  StartColumn: number;
  EndColumn: number;
  Match?: string;
  Secret?: string;
  /** Ours: the keyed fingerprint of the secret (reports never hold the secret itself). */
  SecretFingerprint?: string;
  File: string;
  Commit?: string;
  Author?: string;
  Email?: string;
  Date?: string;
  Message?: string;
  Entropy?: number;
}

function badBaseline(path: string, why: string): LlmcmError {
  return new LlmcmError(`the baseline is not a gitleaks/llmcm JSON report: ${why}`, {
    code: 'SCAN_BASELINE_INVALID',
    kind: 'input',
    file: path,
    hint: 'create one with: llmcm scan --format json --report FILE',
  });
}

/** Loads a baseline report; anything but a JSON array of findings is an error (exit 2). */
export function loadBaseline(path: string): BaselineEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new LlmcmError(`cannot read the baseline (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
      code: 'SCAN_BASELINE_UNREADABLE',
      kind: 'input',
      file: path,
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw badBaseline(path, 'invalid JSON');
  }
  if (!Array.isArray(data)) throw badBaseline(path, 'expected a JSON array');
  data.forEach((entry, i) => {
    const e = entry as Record<string, unknown>;
    if (
      typeof e !== 'object' ||
      e === null ||
      typeof e.RuleID !== 'string' ||
      typeof e.File !== 'string' ||
      typeof e.StartLine !== 'number'
    ) {
      throw badBaseline(path, `entry ${i} lacks RuleID/File/StartLine`);
    }
  });
  return data as BaselineEntry[];
}

/**
 * gitleaks' IsNew: a finding equal to a baseline entry is not new. Secrets are compared only when
 * the baseline holds them in clear (a gitleaks report); redacted reports compare our keyed
 * fingerprint instead, or nothing, as gitleaks does with --redact.
 * llmcm baselines also survive line moves: an entry with the same rule, file and secret
 * fingerprint matches wherever the secret now is (gitleaks reports keep exact matching).
 */
export function isInBaseline(
  f: RawFinding,
  baseline: readonly BaselineEntry[],
  secretFingerprint: (f: RawFinding) => string,
): boolean {
  let fingerprint: string | undefined;
  return baseline.some((b) => {
    if (b.SecretFingerprint && b.RuleID === f.ruleId && b.File === f.file) {
      fingerprint ??= secretFingerprint(f);
      if (b.SecretFingerprint === fingerprint) return true;
    }
    if (
      b.RuleID !== f.ruleId ||
      b.StartLine !== f.startLine ||
      b.EndLine !== f.endLine ||
      b.StartColumn !== f.startColumn ||
      b.EndColumn !== f.endColumn ||
      b.File !== f.file ||
      (b.Commit ?? '') !== f.commit ||
      (b.Author ?? '') !== f.author ||
      (b.Email ?? '') !== f.email ||
      (b.Date ?? '') !== f.date ||
      (b.Message ?? '') !== f.message
    ) {
      return false;
    }
    if (b.Entropy !== undefined && Math.fround(b.Entropy) !== Math.fround(f.entropy)) return false;
    if (b.SecretFingerprint) return b.SecretFingerprint === secretFingerprint(f);
    if (b.Secret !== undefined && b.Secret !== 'REDACTED' && !b.Secret.endsWith('...')) {
      return b.Secret === f.secret && (b.Match === undefined || b.Match === f.match);
    }
    return true;
  });
}

/** The keyed fingerprint reports carry instead of a secret. */
export function fingerprintSecret(key: Uint8Array, f: Pick<RawFinding, 'ruleId' | 'secret'>): string {
  return keyedFingerprint(key, `scan:${f.ruleId}`, f.secret);
}

import type { RawFinding } from '../detect/detector.js';

/**
 * A finding as every report shows it: gitleaks' JSON field names, with the secret replaced by
 * `REDACTED` (in Secret, Match and nowhere else) and a keyed SecretFingerprint so two reports can
 * still tell whether they saw the same value. Reports never carry a plaintext secret.
 */
export interface ReportFinding {
  RuleID: string;
  Description: string;
  StartLine: number;
  EndLine: number;
  StartColumn: number;
  EndColumn: number;
  Match: string;
  Secret: string;
  File: string;
  SymlinkFile: string;
  Commit: string;
  Entropy: number;
  Author: string;
  Email: string;
  Date: string;
  Message: string;
  Tags: string[];
  Fingerprint: string;
  SecretFingerprint: string;
}

/** What stands in for a secret in every report (gitleaks' --redact marker). */
export const REDACTED = 'REDACTED';

/** Replaces the secret everywhere in `text`; a text that still looks like the secret is dropped. */
export function redactText(text: string, secret: string): string {
  if (secret === '') return text;
  return text.split(secret).join(REDACTED);
}

/** Converts a finding for output; the only place secrets are removed, so every format is safe. */
export function toReportFinding(f: RawFinding, secretFingerprint: (f: RawFinding) => string): ReportFinding {
  return {
    RuleID: f.ruleId,
    Description: f.description,
    StartLine: f.startLine,
    EndLine: f.endLine,
    StartColumn: f.startColumn,
    EndColumn: f.endColumn,
    Match: f.match.startsWith('file detected: ') ? f.match : redactText(f.match, f.secret),
    Secret: f.secret === '' ? '' : REDACTED,
    File: f.file,
    SymlinkFile: '',
    Commit: f.commit,
    Entropy: f.entropy,
    Author: f.author,
    Email: f.email,
    Date: f.date,
    Message: f.message,
    Tags: f.tags,
    Fingerprint: f.fingerprint,
    SecretFingerprint: f.secret === '' ? '' : secretFingerprint(f),
  };
}

/** Go's shortest float32 formatting (gitleaks writes Entropy as a float32). */
export function formatFloat32(x: number): string {
  const f = Math.fround(x);
  if (f === 0) return '0';
  for (let p = 1; p <= 9; p++) {
    const s = f.toPrecision(p);
    if (Math.fround(Number(s)) === f) return String(Number(s));
  }
  return String(f);
}

import type { KeyEvent } from './key-history.js';

const columns = [
  'date',
  'environment',
  'file',
  'key',
  'action',
  'commit',
  'author',
  'email',
  'pr',
  'fingerprint',
  'encrypted',
  'promotions',
] as const;

function csvCell(value: string): string {
  // Also neutralise spreadsheet formulas (a leading = + - @) in exported text.
  const safe = /^[=+\-@]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Key events as CSV (RFC 4180, header row); fingerprints only, never values. */
export function renderAuditCsv(events: readonly KeyEvent[]): string {
  const rows = [columns.join(',')];
  for (const e of events) {
    rows.push(
      columns
        .map((c) => {
          const v = e[c];
          return csvCell(Array.isArray(v) ? v.join(' ') : v === null ? '' : String(v));
        })
        .join(','),
    );
  }
  return `${rows.join('\r\n')}\r\n`;
}

/** Key events as short text lines, grouped by key. */
export function renderAuditText(events: readonly KeyEvent[]): string {
  if (events.length === 0) return 'no key changes found\n';
  const lines: string[] = [];
  let current = '';
  for (const e of [...events].sort((a, b) => `${a.file}\0${a.key}`.localeCompare(`${b.file}\0${b.key}`))) {
    const k = `${e.environment}:${e.key}`;
    if (k !== current) {
      lines.push(`${k}  (${e.file})`);
      current = k;
    }
    lines.push(
      `  ${e.date.slice(0, 19)}Z ${e.action.padEnd(7)} ${e.commit.slice(0, 12)} ${e.author}${e.pr ? ` PR #${e.pr}` : ''}  ${e.fingerprint}${e.encrypted ? ' (ciphertext)' : ''}${e.promotions.length ? `  promoted: ${e.promotions.join(', ')}` : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

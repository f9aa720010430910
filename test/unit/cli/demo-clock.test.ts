import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoClock } from '../../../src/cli/commands/demo.js';

function repoWithFreezes(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'llmcm-demo-clock-'));
  mkdirSync(join(dir, 'policies', 'data'), { recursive: true });
  writeFileSync(join(dir, 'policies', 'data', 'change_windows.yaml'), yaml);
  return dir;
}

const freezes = `change_windows:
  freezes:
    - name: year-end freeze
      environments: [prod]
      start: "2026-12-18T00:00:00Z"
      end: "2027-01-05T00:00:00Z"
`;

describe('demo clock', () => {
  it('keeps the real time outside freezes', () => {
    const now = new Date('2026-11-27T10:00:00Z');
    expect(demoClock(repoWithFreezes(freezes), now)).toEqual({ now });
  });

  it('moves past a freeze that covers today, and says so', () => {
    const clock = demoClock(repoWithFreezes(freezes), new Date('2026-12-24T10:00:00Z'));
    expect(clock.now.toISOString()).toBe('2027-01-05T00:00:01.000Z');
    expect(clock.note).toContain("'year-end freeze'");
  });
});

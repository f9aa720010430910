import * as fs from 'node:fs';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { writeFileAtomic } from '../../../src/core/atomic-write.js';

// fsyncSync is observed through a spy that still calls the real one: a durable write must reach the
// disk, and a non-durable one (scan reports) must not pay for it.
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  return { ...actual, fsyncSync: vi.fn(actual.fsyncSync) };
});
const fsyncSpy = vi.mocked(fs.fsyncSync);

describe('writeFileAtomic durability', () => {
  beforeEach(() => {
    fsyncSpy.mockClear();
  });

  it('fsyncs the file and its directory by default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmcm-durable-'));
    writeFileAtomic(join(dir, 'secret.yaml'), 'value');
    expect(fsyncSpy).toHaveBeenCalledTimes(2);
  });

  it('with durable: false replaces the file atomically without any fsync', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmcm-durable-'));
    const file = join(dir, 'report.json');
    writeFileSync(file, 'old report');
    writeFileAtomic(file, '[]\n', { durable: false });
    expect(fsyncSpy).not.toHaveBeenCalled();
    expect(readFileSync(file, 'utf8')).toBe('[]\n');
    expect(readdirSync(dir)).toEqual(['report.json']);
  });
});

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { LlmcmError } from '../../../src/core/errors.js';
import type { Finding } from '../../../src/core/findings.js';
import { buildCheckMetrics } from '../../../src/metrics/check-metrics.js';
import { buildDriftMetrics } from '../../../src/metrics/drift-metrics.js';
import {
  renderExposition,
  writeMetricsFile,
  writeMetricsFileOrWarn,
} from '../../../src/metrics/exposition.js';
import {
  buildPromotionMetrics,
  classifyPromotionError,
  storeWritesOfError,
  writePromotionMetrics,
} from '../../../src/metrics/promotion-metrics.js';
import type { DriftReport } from '../../../src/promote/drift.js';
import { PromotionRefusedError } from '../../../src/promote/errors.js';
import { PromotionFailedError } from '../../../src/promote/promote.js';
import { parseExposition, samplesOf } from './parse-exposition.js';

const scratch = mkdtempSync(join(tmpdir(), 'llmcm-metrics-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const finishedAt = new Date(Date.UTC(2026, 10, 27, 2, 30, 0, 250));

describe('promotion metrics', () => {
  it('renders exactly the four gauges, 1 for the outcome and 0 for the other results', async () => {
    const text = await renderExposition(
      buildPromotionMetrics({
        environment: 'prod',
        result: 'succeeded',
        durationSeconds: 1.5,
        finishedAt,
        stores: [
          { store: 'vault', writes: 12 },
          { store: 'redis', writes: 0 },
        ],
      }),
    );
    const parsed = parseExposition(text);
    expect([...parsed.type.entries()]).toEqual([
      ['llmcm_promotion_duration_seconds', 'gauge'],
      ['llmcm_promotion_result', 'gauge'],
      ['llmcm_store_writes', 'gauge'],
      ['llmcm_promotion_timestamp_seconds', 'gauge'],
    ]);
    expect(samplesOf(parsed, 'llmcm_promotion_duration_seconds')).toEqual(['environment=prod 1.5']);
    expect(samplesOf(parsed, 'llmcm_promotion_result')).toEqual([
      'environment=prod,result=failed 0',
      'environment=prod,result=refused 0',
      'environment=prod,result=succeeded 1',
      'environment=prod,result=up-to-date 0',
    ]);
    expect(samplesOf(parsed, 'llmcm_store_writes')).toEqual([
      'environment=prod,store=redis 0',
      'environment=prod,store=vault 12',
    ]);
    expect(samplesOf(parsed, 'llmcm_promotion_timestamp_seconds')).toEqual([
      `environment=prod ${finishedAt.getTime() / 1000}`,
    ]);
    // Only our samples: a private registry, no default process/nodejs metrics, no sample timestamps
    // (the textfile collector rejects them).
    expect(parsed.samples.every((s) => s.name.startsWith('llmcm_'))).toBe(true);
    expect(parsed.samples).toHaveLength(8);
  });

  it('exactly one result is 1, whatever the outcome', async () => {
    for (const result of ['succeeded', 'up-to-date', 'failed', 'refused'] as const) {
      const parsed = parseExposition(
        await renderExposition(
          buildPromotionMetrics({ environment: 'dev', result, durationSeconds: 0, finishedAt, stores: [] }),
        ),
      );
      const ones = parsed.samples.filter((s) => s.name === 'llmcm_promotion_result' && s.value === 1);
      expect(ones.map((s) => s.labels.result)).toEqual([result]);
    }
  });

  it('classifies errors: refusals (drift, check, gate) are refused, everything else failed', () => {
    const refused = new PromotionRefusedError('no', ['drift'], { code: 'STORE_DRIFT' });
    expect(classifyPromotionError(refused)).toBe('refused');
    expect(classifyPromotionError(new LlmcmError('down', { code: 'STORE_UNREACHABLE', kind: 'store' }))).toBe(
      'failed',
    );
    expect(
      classifyPromotionError(new LlmcmError('hash', { code: 'PLAN_HASH_MISMATCH', kind: 'input' })),
    ).toBe('failed');
    expect(classifyPromotionError(new Error('internal'))).toBe('failed');
  });

  it('a failed apply reports the writes its record holds; any other error 0 per configured store', () => {
    const failed = new PromotionFailedError(
      new LlmcmError('refused write', { code: 'STORE_CONFLICT', kind: 'store' }),
      'a'.repeat(40),
      [
        { store: 'vault', outcome: 'restored', writes: 7 },
        { store: 'redis', outcome: 'failed', writes: 0 },
      ],
    );
    expect(storeWritesOfError(failed, ['vault', 'redis', 'pg'])).toEqual([
      { store: 'vault', writes: 7 },
      { store: 'redis', writes: 0 },
      { store: 'pg', writes: 0 },
    ]);
    const refused = new PromotionRefusedError('no', [], { code: 'GATE_DENIED' });
    expect(storeWritesOfError(refused, ['vault'])).toEqual([{ store: 'vault', writes: 0 }]);
  });
});

describe('drift metrics', () => {
  const report: DriftReport = {
    environment: 'staging',
    promotion: { promotionId: 'p-1', source: 'b'.repeat(40), record: 'c'.repeat(40) },
    drifted: true,
    stores: [
      {
        store: 'local',
        status: 'drifted',
        reasons: ['edited outside llmcm'],
        changes: [
          {
            key: 'a.b',
            action: 'change',
            secret: false,
            before: { fingerprint: 'fp:1', value: 'canary-before-value' },
            after: { fingerprint: 'fp:2', value: 'canary-after-value' },
          },
          { key: 'a.c', action: 'add', secret: true, after: { fingerprint: 'fp:3' } },
          { key: 'z', action: 'delete', secret: false, before: { fingerprint: 'fp:4' } },
        ],
      },
      { store: 'vault', status: 'clean', reasons: [], changes: [] },
      { store: 'redis', status: 'never-promoted', reasons: [], changes: [] },
    ],
  };

  it('one 0/1 and one key count per store, and the check time', async () => {
    const parsed = parseExposition(await renderExposition(buildDriftMetrics(report, finishedAt)));
    expect(samplesOf(parsed, 'llmcm_drift')).toEqual([
      'environment=staging,store=local 1',
      'environment=staging,store=redis 0',
      'environment=staging,store=vault 0',
    ]);
    expect(samplesOf(parsed, 'llmcm_drift_keys')).toEqual([
      'environment=staging,store=local 3',
      'environment=staging,store=redis 0',
      'environment=staging,store=vault 0',
    ]);
    expect(samplesOf(parsed, 'llmcm_drift_check_timestamp_seconds')).toEqual([
      `environment=staging ${finishedAt.getTime() / 1000}`,
    ]);
    expect(parsed.samples).toHaveLength(7);
    // Key names, values and fingerprints are in the report but never in the metrics.
    const text = await renderExposition(buildDriftMetrics(report, finishedAt));
    for (const canary of ['canary-', 'a.b', 'fp:', 'p-1', 'edited outside'])
      expect(text).not.toContain(canary);
  });
});

describe('check metrics', () => {
  const finding = (stage: Finding['stage'], severity: Finding['severity']): Finding => ({
    stage,
    severity,
    ruleId: `${stage}/x`,
    message: 'm',
  });

  it('counts by severity and stage, zero-filled for the stages that ran, plus any other stage found', async () => {
    const findings = [
      finding('schema', 'error'),
      finding('schema', 'error'),
      finding('strength', 'warning'),
      finding('sops', 'info'),
    ];
    const parsed = parseExposition(
      await renderExposition(buildCheckMetrics(findings, ['schema', 'semantic', 'strength'], 0.75)),
    );
    expect(samplesOf(parsed, 'llmcm_check_findings')).toEqual(
      [
        'severity=error,stage=schema 2',
        'severity=error,stage=semantic 0',
        'severity=error,stage=sops 0',
        'severity=error,stage=strength 0',
        'severity=info,stage=schema 0',
        'severity=info,stage=semantic 0',
        'severity=info,stage=sops 1',
        'severity=info,stage=strength 0',
        'severity=warning,stage=schema 0',
        'severity=warning,stage=semantic 0',
        'severity=warning,stage=sops 0',
        'severity=warning,stage=strength 1',
      ].sort(),
    );
    expect(samplesOf(parsed, 'llmcm_check_duration_seconds')).toEqual([' 0.75']);
    expect(parsed.type.get('llmcm_check_duration_seconds')).toBe('gauge');
  });

  it('the counts always add up to the findings (property)', async () => {
    const stages = ['schema', 'semantic', 'strength', 'policy', 'scan', 'drift', 'sops'] as const;
    const severities = ['error', 'warning', 'info'] as const;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ stage: fc.constantFrom(...stages), severity: fc.constantFrom(...severities) }), {
          maxLength: 40,
        }),
        async (list) => {
          const findings = list.map((f) => finding(f.stage, f.severity));
          const parsed = parseExposition(await renderExposition(buildCheckMetrics(findings, ['schema'], 1)));
          const counted = parsed.samples.filter((s) => s.name === 'llmcm_check_findings');
          expect(counted.reduce((n, s) => n + s.value, 0)).toBe(findings.length);
          for (const s of counted) {
            expect(s.value).toBe(
              findings.filter((f) => f.stage === s.labels.stage && f.severity === s.labels.severity).length,
            );
          }
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('writing the file', () => {
  it('uses a private registry: the global default registry stays empty and rendering twice works', async () => {
    const families = buildCheckMetrics([], ['schema'], 1);
    const first = await renderExposition(families);
    expect(await renderExposition(families)).toBe(first);
    const promClient = await import('prom-client');
    expect(await promClient.register.getMetricsAsJSON()).toEqual([]);
  });

  it('writes the exposition atomically, replacing the previous file and leaving no temp file', async () => {
    const dir = mkdtempSync(join(scratch, 'write-'));
    const file = join(dir, 'llmcm.prom');
    writeFileSync(file, 'old\n');
    await writeMetricsFile(file, buildCheckMetrics([], ['schema'], 2));
    const parsed = parseExposition(readFileSync(file, 'utf8'));
    expect(samplesOf(parsed, 'llmcm_check_duration_seconds')).toEqual([' 2']);
    expect(readdirSync(dir)).toEqual(['llmcm.prom']);
  });

  it('a write failure is one warning line, not an error, and the old file is left as it was', async () => {
    const dir = mkdtempSync(join(scratch, 'fail-'));
    const lines: string[] = [];
    const stderr = { write: (t: string) => lines.push(t) };
    const written = await writePromotionMetrics(
      join(dir, 'missing-dir', 'llmcm.prom'),
      { environment: 'dev', result: 'failed', durationSeconds: 1, finishedAt, stores: [] },
      stderr,
    );
    expect(written).toBe(false);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^llmcm: warning: metrics not written: cannot write .*missing-dir.*ENOENT.*\n$/);
    expect(lines[0]!.split('\n')).toHaveLength(2);
    // A directory in the file's place: the rename fails, the temp file is removed, nothing else changes.
    const occupied = join(dir, 'occupied.prom');
    writeFileSync(join(dir, 'keep.prom'), 'keep\n');
    mkdirSync(occupied);
    expect(await writeMetricsFileOrWarn(occupied, buildCheckMetrics([], [], 1), stderr)).toBe(false);
    expect(lines).toHaveLength(2);
    expect(readdirSync(dir).sort()).toEqual(['keep.prom', 'occupied.prom']);
    expect(readFileSync(join(dir, 'keep.prom'), 'utf8')).toBe('keep\n');
  });
});

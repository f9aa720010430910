import type { Finding, Severity } from '../core/findings.js';
import { type GaugeFamily, writeMetricsFileOrWarn } from './exposition.js';

const severities: readonly Severity[] = ['error', 'warning', 'info'];

/**
 * The check gauges of one `llmcm check` run (pure). Every severity × stage that ran is written,
 * with 0 where nothing was found, so "no findings" is a sample and not a missing series; a stage
 * that did not run (e.g. policy with --no-policy) is left out unless it reported something.
 */
export function buildCheckMetrics(
  findings: readonly Finding[],
  stagesRun: readonly string[],
  durationSeconds: number,
): GaugeFamily[] {
  const stages = [...new Set([...stagesRun, ...findings.map((f) => f.stage)])].sort();
  const samples = [];
  for (const severity of severities) {
    for (const stage of stages) {
      samples.push({
        labels: { severity, stage },
        value: findings.filter((f) => f.severity === severity && f.stage === stage).length,
      });
    }
  }
  return [
    {
      name: 'llmcm_check_findings',
      help: 'Findings of the last llmcm check run, by severity and stage.',
      labelNames: ['severity', 'stage'],
      samples,
    },
    {
      name: 'llmcm_check_duration_seconds',
      help: 'Wall time of the last llmcm check run, in seconds.',
      labelNames: [],
      samples: [{ labels: {}, value: durationSeconds }],
    },
  ];
}

/** Builds and writes the check metrics; a write failure is a warning on stderr, never an error. */
export async function writeCheckMetrics(
  path: string,
  findings: readonly Finding[],
  stagesRun: readonly string[],
  durationSeconds: number,
  stderr: { write(text: string): unknown },
): Promise<boolean> {
  return writeMetricsFileOrWarn(path, buildCheckMetrics(findings, stagesRun, durationSeconds), stderr);
}

import type { DriftReport } from '../promote/drift.js';
import { type GaugeFamily, writeMetricsFileOrWarn } from './exposition.js';

/**
 * The drift gauges of one `llmcm drift` run (pure). A store counts as drifted only with status
 * `drifted`; `never-promoted` (empty, no promotion yet) is 0. The key count is the number of keys
 * that differ from the last promoted source, which needs its decryption key: without one it is 0
 * even for a drifted store (the content fingerprint and the stamp still decide llmcm_drift).
 */
export function buildDriftMetrics(report: DriftReport, checkedAt: Date): GaugeFamily[] {
  const { environment } = report;
  return [
    {
      name: 'llmcm_drift',
      help: 'Whether the store differs from what the last promotion of the environment left there (1) or not (0).',
      labelNames: ['environment', 'store'],
      samples: report.stores.map((s) => ({
        labels: { environment, store: s.store },
        value: s.status === 'drifted' ? 1 : 0,
      })),
    },
    {
      name: 'llmcm_drift_keys',
      help: 'Keys that are missing, extra or different in the store compared with the last promoted source (0 when it cannot be decrypted).',
      labelNames: ['environment', 'store'],
      samples: report.stores.map((s) => ({
        labels: { environment, store: s.store },
        value: s.changes.length,
      })),
    },
    {
      name: 'llmcm_drift_check_timestamp_seconds',
      help: 'Unix time of the last completed llmcm drift check of the environment.',
      labelNames: ['environment'],
      samples: [{ labels: { environment }, value: checkedAt.getTime() / 1000 }],
    },
  ];
}

/** Builds and writes the drift metrics; a write failure is a warning on stderr, never an error. */
export async function writeDriftMetrics(
  path: string,
  report: DriftReport,
  checkedAt: Date,
  stderr: { write(text: string): unknown },
): Promise<boolean> {
  return writeMetricsFileOrWarn(path, buildDriftMetrics(report, checkedAt), stderr);
}

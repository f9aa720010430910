import { monotonicMs } from '../core/clock.js';

/** Where a progress line is written: the command's stderr. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** How a progress line behaves; `now` is injectable for tests. */
export interface ProgressLineOptions {
  /**
   * `auto`: only on a terminal, and only once the work has taken `delayMs` (a quick scan prints
   * nothing); `always`: from the first update, also into logs (one line per update, no carriage
   * returns); `never`: silent.
   */
  mode: 'auto' | 'always' | 'never';
  /** What is being done, e.g. `scanning history`. */
  label: string;
  delayMs?: number;
  intervalMs?: number;
  now?: () => number;
}

/** A throttled "done / total unit (pct%)" line on stderr for long work. */
export interface ProgressLine {
  update(done: number, total: number, unit: string): void;
  /** Ends the line: a terminal line is erased (the summary follows), a log gets the final count. */
  finish(): void;
}

/** 12345 → "12,345" (Intl.NumberFormat would load ICU's number data, ~10 ms, on every scan). */
function grouped(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * Progress for long commands (a history scan of a big repository takes minutes): on a terminal one
 * line rewritten in place and erased at the end; in a log (`always` without a terminal) a line per
 * interval. Never more often than `intervalMs`, so a fast loop pays for a clock read only.
 */
export function createProgressLine(stream: ProgressStream, options: ProgressLineOptions): ProgressLine {
  const terminal = stream.isTTY === true;
  const enabled = options.mode === 'always' || (options.mode === 'auto' && terminal);
  const now = options.now ?? monotonicMs;
  const started = now();
  const delayMs = options.mode === 'always' ? 0 : (options.delayMs ?? 500);
  const intervalMs = options.intervalMs ?? (terminal ? 100 : 2000);
  let lastShown = Number.NEGATIVE_INFINITY;
  let lastText: string | undefined;
  let latest: { done: number; total: number; unit: string } | undefined;
  // Formatted only when written: an update is called in tight loops.
  const render = ({ done, total, unit }: { done: number; total: number; unit: string }): string => {
    const pct = total > 0 ? Math.floor((done / total) * 100) : 100;
    return `llmcm: ${options.label}: ${grouped(done)} / ${grouped(total)} ${unit} (${pct}%)`;
  };
  const show = (text: string): void => {
    stream.write(terminal ? `\r\x1b[K${text}` : `${text}\n`);
    lastText = text;
  };
  return {
    update(done, total, unit) {
      if (!enabled) return;
      latest = { done, total, unit };
      const t = now();
      if (t - started < delayMs || t - lastShown < intervalMs) return;
      lastShown = t;
      show(render(latest));
    },
    finish() {
      if (!enabled || latest === undefined) return;
      if (terminal) {
        if (lastText !== undefined) stream.write('\r\x1b[K');
        return;
      }
      const text = render(latest);
      if (text !== lastText) show(text); // a log keeps the final count
    },
  };
}

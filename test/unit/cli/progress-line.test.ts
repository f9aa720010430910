import { describe, expect, it } from 'vitest';
import { createProgressLine } from '../../../src/cli/progress-line.js';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, write: (text: string) => writes.push(text) } };
}

function clock() {
  let t = 1000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('createProgressLine', () => {
  it('on a terminal: nothing before the delay, then one line rewritten in place at most every interval, erased at the end', () => {
    const { writes, stream } = fakeStream(true);
    const c = clock();
    const line = createProgressLine(stream, { mode: 'auto', label: 'scanning history', now: c.now });
    line.update(10, 5000, 'commits');
    c.advance(499);
    line.update(20, 5000, 'commits');
    expect(writes).toEqual([]); // a quick scan prints nothing
    c.advance(1);
    line.update(1234, 5000, 'commits');
    c.advance(50);
    line.update(1300, 5000, 'commits'); // inside the interval: skipped
    c.advance(50);
    line.update(2500, 5000, 'commits');
    line.finish();
    expect(writes).toEqual([
      '\r\x1b[Kllmcm: scanning history: 1,234 / 5,000 commits (24%)',
      '\r\x1b[Kllmcm: scanning history: 2,500 / 5,000 commits (50%)',
      '\r\x1b[K',
    ]);
  });

  it('auto mode stays silent when stderr is not a terminal, and a quick terminal scan leaves nothing behind', () => {
    const log = fakeStream(false);
    const c = clock();
    const silent = createProgressLine(log.stream, { mode: 'auto', label: 'scanning files', now: c.now });
    c.advance(10_000);
    silent.update(5, 10, 'files');
    silent.finish();
    expect(log.writes).toEqual([]);
    const tty = fakeStream(true);
    const quick = createProgressLine(tty.stream, { mode: 'auto', label: 'scanning files', now: c.now });
    quick.update(1, 2, 'files');
    quick.finish();
    expect(tty.writes).toEqual([]);
  });

  it('always, into a log: whole lines from the first update, every interval, and the final count once', () => {
    const { writes, stream } = fakeStream(false);
    const c = clock();
    const line = createProgressLine(stream, { mode: 'always', label: 'scanning files', now: c.now });
    line.update(0, 3, 'files');
    c.advance(100);
    line.update(1, 3, 'files');
    line.update(3, 3, 'files');
    line.finish();
    expect(writes).toEqual([
      'llmcm: scanning files: 0 / 3 files (0%)\n',
      'llmcm: scanning files: 3 / 3 files (100%)\n',
    ]);
    // Nothing at all to report: an empty scan is 100%, not a division by zero.
    const empty = fakeStream(false);
    const none = createProgressLine(empty.stream, { mode: 'always', label: 'scanning files', now: c.now });
    none.update(0, 0, 'files');
    none.finish();
    expect(empty.writes).toEqual(['llmcm: scanning files: 0 / 0 files (100%)\n']);
  });

  it('never writes in never mode', () => {
    const { writes, stream } = fakeStream(true);
    const c = clock();
    const line = createProgressLine(stream, { mode: 'never', label: 'x', now: c.now });
    c.advance(10_000);
    line.update(1, 2, 'files');
    line.finish();
    expect(writes).toEqual([]);
  });
});

#!/usr/bin/env node
// Secret-scanning throughput: llmcm scan (built CLI, single Node thread) vs the real gitleaks
// (GOMAXPROCS=1), default decoding depth for both, same config, same input, same run; each row
// OS-scheduled and confined to one CPU (see oneCpu below).
//  1. a working tree of generated config/code files with planted secrets (raw text);
//  2. a git history of >= 5,000 commits built with `git fast-import`.
// Prints one markdown section (medians of RUNS runs, MB/s, ratio vs gitleaks) on stdout.
// llmcm runs as installed (the package bin, dist/cli/launch.cjs) with a fresh translation cache
// directory: the first run of each row translates the config's regexes and fills the cache, later
// runs read it (as a pre-commit hook or a CI job with a cached home does); that first run is also
// reported on its own.
// Usage: npm run -s build && node scripts/bench/scan.bench.mjs   (env: RUNS=3, COMMITS=5000, LONG_COMMITS=20000, TREE_MB=8,
// BENCH_KEEP=1 to keep the generated inputs)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'dist', 'cli', 'launch.cjs');
const gitleaks = join(root, '.tools', 'bin', 'gitleaks');
const RUNS = Number(process.env.RUNS ?? 3);
const COMMITS = Number(process.env.COMMITS ?? 5000);
// The one-line-edit history again, longer: where per-commit cost outweighs each tool's start-up.
const LONG_COMMITS = Number(process.env.LONG_COMMITS ?? 20000);
const TREE_MB = Number(process.env.TREE_MB ?? 8);

if (!existsSync(cli)) {
  console.error('dist/cli/launch.cjs missing: run `npm run -s build` first');
  process.exit(2);
}
if (!existsSync(gitleaks)) {
  console.error('.tools/bin/gitleaks missing: run scripts/setup-test-env.sh');
  process.exit(2);
}

function gitleaksConfig() {
  const mod = execFileSync('go', ['env', 'GOMODCACHE']).toString().trim();
  return join(mod, 'github.com/zricethezav/gitleaks/v8@v8.30.1/config/gitleaks.toml');
}

let seed = 1234567;
function rand() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (s, n) => Array.from({ length: n }, () => s[Math.floor(rand() * s.length)]).join('');
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const words = [
  'model',
  'temperature',
  'max_tokens',
  'retries',
  'timeout',
  'endpoint',
  'region',
  'cache',
  'stream',
  'user',
  'name',
  'label',
];

/** A plausible config/code line; about 1 in 200 carries a key-shaped value. */
function line(i) {
  const r = rand();
  if (r < 0.002) return `github_token: ${['gh', 'p_'].join('')}${pick(ALNUM, 36)}`;
  if (r < 0.004)
    return `aws_access_key_id = ${['AK', 'IA'].join('')}${pick('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}`;
  if (r < 0.006) return `api_key = "${pick(ALNUM, 32)}"`;
  if (r < 0.3) return `  ${words[i % words.length]}: ${pick('abcdefghij', 8)}-${i}`;
  if (r < 0.5)
    return `const ${words[i % words.length]}${i} = fetch("https://api.example.com/v1/${pick('abcdef', 6)}", { retries: ${i % 7} });`;
  if (r < 0.7)
    return `# ${words[(i * 7) % words.length]} ${words[(i * 3) % words.length]} for the ${pick('abcdefgh', 5)} deployment`;
  return `${words[i % words.length]}_${i % 97}: ${Math.floor(rand() * 10000)}`;
}

function makeTree(dir, megabytes) {
  mkdirSync(dir, { recursive: true });
  let bytes = 0;
  let n = 0;
  const exts = ['yaml', 'json', 'py', 'ts', 'env', 'tf', 'md'];
  while (bytes < megabytes * 1e6) {
    const lines = Array.from({ length: 400 + Math.floor(rand() * 800) }, (_, i) => line(i));
    const text = `${lines.join('\n')}\n`;
    const sub = join(dir, `svc${n % 20}`);
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `file${n}.${exts[n % exts.length]}`), text);
    bytes += Buffer.byteLength(text);
    n++;
  }
  return { bytes, files: n };
}

/**
 * A history of `commitCount` commits via one fast-import stream (60 files to start with).
 * - profile 'small': each commit changes one line of one file (patch text is mostly headers);
 * - profile 'typical': each commit rewrites or adds 5-40 lines, 5% add a new file, and every
 *   commit of the last 1,000 is also backported to two release branches (identical hunks).
 */
function makeHistory(dir, profile, commitCount) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: dir });
  const files = Array.from({ length: 60 }, (_, f) =>
    Array.from({ length: 40 + (f % 30) }, (_, i) => line(i)),
  );
  const parts = [];
  let mark = 0;
  let time = 1_700_000_000;
  const commitOn = (ref, from, edits, msg) => {
    mark++;
    const body = [
      `commit ${ref}`,
      `mark :${mark}`,
      `author Bench <bench@example.test> ${time} +0000`,
      `committer Bench <bench@example.test> ${time} +0000`,
    ];
    time += 60;
    body.push(`data ${Buffer.byteLength(msg)}`, msg);
    if (from) body.push(`from ${from}`);
    parts.push(`${body.join('\n')}\n`);
    for (const [path, text] of edits)
      parts.push(`M 100644 inline ${path}\ndata ${Buffer.byteLength(text)}\n${text}\n`);
    return `:${mark}`;
  };
  const snapshot = (f) => [`conf/file${f}.yaml`, `${files[f].join('\n')}\n`];
  let head = commitOn(
    'refs/heads/main',
    null,
    files.map((_, f) => snapshot(f)),
    'initial',
  );
  const release = ['refs/heads/release-1', 'refs/heads/release-2'];
  const releaseTips = [];
  for (let c = 1; c < commitCount; c++) {
    let f = Math.floor(rand() * files.length);
    if (profile === 'typical' && rand() < 0.05) {
      files.push(Array.from({ length: 100 + Math.floor(rand() * 200) }, (_, i) => line(i + c)));
      f = files.length - 1;
    } else {
      const lines = files[f];
      const n = profile === 'typical' ? 5 + Math.floor(rand() * 36) : 1;
      const at = Math.floor(rand() * lines.length);
      const op = rand();
      if (op < 0.5) for (let k = 0; k < n && at + k < lines.length; k++) lines[at + k] = line(c + k);
      else if (op < 0.85 || lines.length < 30)
        lines.splice(at, 0, ...Array.from({ length: n }, (_, k) => line(c + k)));
      else lines.splice(at, Math.min(n, 10));
    }
    const edit = snapshot(f);
    head = commitOn('refs/heads/main', head, [edit], `change ${c}`);
    if (profile === 'typical' && c === commitCount - 1000) releaseTips.push(head, head);
    if (profile === 'typical' && c > commitCount - 1000) {
      // The same change backported: identical added hunks on other branches.
      release.forEach((ref, r) => {
        releaseTips[r] = commitOn(ref, releaseTips[r], [edit], `backport ${c}`);
      });
    }
  }
  const stream = parts.join('');
  execFileSync('git', ['fast-import', '--quiet'], { cwd: dir, input: stream, maxBuffer: 1 << 30 });
  execFileSync('git', ['checkout', '-q', 'main'], { cwd: dir });
  const patch = execFileSync('git', ['log', '-p', '-U0', '--full-history', '--all'], {
    cwd: dir,
    maxBuffer: 1 << 30,
  });
  const commits = Number(
    execFileSync('git', ['rev-list', '--all', '--count'], { cwd: dir }).toString().trim(),
  );
  return { patchBytes: patch.length, commits };
}

// Without NODE_EXTRA_CA_CERTS: when set (this machine's shell sets it), every Node start parses that CA
// bundle (~30 ms); a CI runner does not normally set it. gitleaks does not read it either way.
const { NODE_EXTRA_CA_CERTS: _caBundle, ...baseEnv } = process.env;

// CPU time (user + system) of the process and of the child processes it waited for, from GNU time:
// gitleaks reads history from a `git log -p` child that runs on the other core, so its wall time alone
// hides part of its work; llmcm reads objects itself, on one thread.
const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/**
 * The speed targets are for single-threaded throughput. llmcm is one JavaScript thread (V8
 * adds compiler and GC helper threads); gitleaks with GOMAXPROCS=1 runs its Go code on one thread,
 * but in git mode it reads history from a `git log -p` child process, which does the object reading
 * and diffing (the work llmcm does on its thread) on another CPU. So every row is measured twice:
 * with the OS free to schedule (what a user sees on a multi-core runner), and with each tool and
 * all its threads and child processes confined to one CPU (`taskset -c CPU`), the single-threaded
 * comparison. The second needs Linux's taskset; without it that table says so.
 */
const oneCpu = (() => {
  if (process.platform !== 'linux') return undefined;
  const probe = spawnSync('taskset', ['-pc', String(process.pid)], { encoding: 'utf8' });
  if (probe.status !== 0) return undefined;
  // The first CPU this process may run on ("pid 123's current affinity list: 0-3" or "2,5").
  const m = /:\s*(\d+)/.exec(probe.stdout);
  return m ? m[1] : undefined;
})();

function timeIt(cmd, args, cwd, env = {}, pinned = false) {
  const measured = gnuTime ? [gnuTime, '-f', '@cpu %U %S', cmd, ...args] : [cmd, ...args];
  const argv = pinned ? ['taskset', '-c', oneCpu, ...measured] : measured;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), {
    cwd,
    env: { ...baseEnv, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1 << 30,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && r.status !== 1)
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const m = /@cpu ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr?.toString() ?? '');
  return { ms, cpu: m ? (Number(m[1]) + Number(m[2])) * 1000 : undefined };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const firstRuns = [];
/** Median wall times by row label: { ours, theirs } in ms (OS-scheduled runs). */
const medians = new Map();
/** One-CPU table rows, filled by compare(). */
const oneCpuRows = [];

function historyLabel(h) {
  if (h.commits === 1) return 'history, 1 commit adding 60 files';
  return `history, ${h.commits} commits, ${h.profile === 'small' ? 'one-line edits' : 'typical edits + backports'}`;
}

function compare(label, bytes, ours, theirs, cwd) {
  const o = [];
  const g = [];
  const o1 = [];
  const g1 = [];
  // A fresh cache directory per row: the first llmcm run starts without a translation cache.
  const cacheHome = mkdtempSync(join(work, 'xdg-cache-'));
  const ourEnv = { LLMCM_FINGERPRINT_KEY: 'bench', NO_COLOR: '1', XDG_CACHE_HOME: cacheHome };
  const theirEnv = { GOMAXPROCS: '1' };
  const oCpu = [];
  const gCpu = [];
  for (let i = 0; i < RUNS; i++) {
    const ourRun = timeIt(process.execPath, [cli, ...ours], cwd, ourEnv);
    const theirRun = timeIt(gitleaks, theirs, cwd, theirEnv);
    o.push(ourRun.ms);
    g.push(theirRun.ms);
    if (ourRun.cpu !== undefined) oCpu.push(ourRun.cpu);
    if (theirRun.cpu !== undefined) gCpu.push(theirRun.cpu);
    if (oneCpu !== undefined) {
      o1.push(timeIt(process.execPath, [cli, ...ours], cwd, ourEnv, true).ms);
      g1.push(timeIt(gitleaks, theirs, cwd, theirEnv, true).ms);
    }
  }
  firstRuns.push(`${label}: ${o[0].toFixed(0)} ms`);
  medians.set(label, { ours: median(o), theirs: median(g) });
  const om = median(o);
  const gm = median(g);
  const cpuCell = (xs) => (xs.length ? `${median(xs).toFixed(0)} ms` : 'n/a');
  // Throughput means little for a scan of a few kB (start-up is all of it): those show the time only.
  const tiny = bytes < 100_000;
  const size = tiny ? `${(bytes / 1e3).toFixed(1)} kB` : `${(bytes / 1e6).toFixed(1)} MB`;
  const timed = (ms) =>
    tiny ? `${ms.toFixed(0)} ms` : `${ms.toFixed(0)} ms (${(bytes / 1e6 / (ms / 1000)).toFixed(2)} MB/s)`;
  if (oneCpu !== undefined) {
    const [om1, gm1] = [median(o1), median(g1)];
    oneCpuRows.push(
      `| ${label} | ${size} | ${timed(om1)} | ${timed(gm1)} | **${(gm1 / om1).toFixed(2)}×** |`,
    );
  }
  // Same work? Both reports were written by the last runs: compare the number of findings.
  const count = (file) => JSON.parse(readFileSync(file, 'utf8')).length;
  const found = `${count(join(work, 'ours.json'))} / ${count(join(work, 'gl.json'))}`;
  return `| ${label} | ${size} | ${timed(om)} | ${timed(gm)} | **${(gm / om).toFixed(2)}×** | ${cpuCell(oCpu)} | ${cpuCell(gCpu)} | ${found} |`;
}

const work = mkdtempSync(join(tmpdir(), 'llmcm-bench-scan-'));
try {
  const config = gitleaksConfig();
  const tree = join(work, 'tree');
  const { bytes, files } = makeTree(tree, TREE_MB);
  process.stderr.write(`[scan bench] tree: ${files} files, ${(bytes / 1e6).toFixed(1)} MB\n`);
  const histories = [
    // One commit adding the 60 starting files: start-up plus a small whole-file scan.
    ['small', 1],
    ['small', COMMITS],
    ['small', LONG_COMMITS],
    ['typical', COMMITS],
  ].map(([profile, commits]) => {
    const dir = join(work, `history-${profile}-${commits}`);
    const h = makeHistory(dir, profile, commits);
    process.stderr.write(
      `[scan bench] history (${profile}): ${h.commits} commits, git log -p = ${(h.patchBytes / 1e6).toFixed(1)} MB\n`,
    );
    return { ...h, dir, profile };
  });
  const glCommon = [
    '--config',
    config,
    '--report-format',
    'json',
    '--report-path',
    join(work, 'gl.json'),
    '--no-banner',
    '--log-level',
    'error',
    '--exit-code',
    '0',
  ];
  const ourCommon = [
    '--config',
    config,
    '--no-sops',
    '--format',
    'json',
    '--report',
    join(work, 'ours.json'),
  ];
  const rows = [
    compare('working tree (raw text)', bytes, ['scan', '.', ...ourCommon], ['dir', '.', ...glCommon], tree),
    ...histories.map((h) =>
      compare(
        historyLabel(h),
        h.patchBytes,
        ['scan', '--history', ...ourCommon],
        ['git', '.', ...glCommon],
        h.dir,
      ),
    ),
  ];
  // The scans a CI job and a pre-commit hook run most: the last 10 commits of the long one-line
  // history as a pull request, and one staged edit (a key added to a 60-file config repository).
  const longHistory = histories.find((h) => h.profile === 'small' && h.commits === LONG_COMMITS);
  const rangeBytes = execFileSync('git', ['log', '-p', '-U0', 'HEAD~10..HEAD'], {
    cwd: longHistory.dir,
    maxBuffer: 1 << 30,
  }).length;
  rows.push(
    compare(
      `pull request: last 10 of the ${LONG_COMMITS} commits (\`--base HEAD~10\`)`,
      rangeBytes,
      ['scan', '--base', 'HEAD~10', ...ourCommon],
      ['git', '.', '--log-opts=HEAD~10..HEAD', ...glCommon],
      longHistory.dir,
    ),
  );
  const small = histories.find((h) => h.commits === 1);
  const stagedFile = join(small.dir, 'conf', 'file0.yaml');
  writeFileSync(
    stagedFile,
    `${readFileSync(stagedFile, 'utf8')}github_token: ${['gh', 'p_'].join('')}${pick(ALNUM, 36)}\n`,
  );
  execFileSync('git', ['add', 'conf/file0.yaml'], { cwd: small.dir });
  const stagedBytes = execFileSync('git', ['diff', '--cached', '-U0'], { cwd: small.dir }).length;
  rows.push(
    compare(
      'pre-commit: one staged edit (`--staged`)',
      stagedBytes,
      ['scan', '--staged', ...ourCommon],
      ['git', '--staged', '.', ...glCommon],
      small.dir,
    ),
  );
  // The two one-line-edit rows differ only in length: their difference is each tool's cost per
  // added commit, without start-up (Node's, the bundle, the config) or JIT warm-up.
  const [short, long] = histories.filter((h) => h.profile === 'small' && h.commits > 1).map(historyLabel);
  const perCommit = (who) =>
    ((medians.get(long)[who] - medians.get(short)[who]) * 1000) / (LONG_COMMITS - COMMITS);
  const oneCpuTable =
    oneCpu === undefined
      ? ['Not measured on this machine: it needs Linux and `taskset` (util-linux).']
      : [
          `Both tools, with every thread and child process, on CPU ${oneCpu} only (\`taskset -c ${oneCpu}\`); medians of ${RUNS} runs,`,
          'interleaved with the runs above.',
          '',
          '| input | size | llmcm scan | gitleaks | ratio (gitleaks time / llmcm time) |',
          '|---|---|---|---|---|',
          ...oneCpuRows,
        ];
  const out = [
    '### Secret scanning (llmcm scan vs gitleaks v8.30.1)',
    '',
    `Same config (gitleaks' default, ${'222'} rules), same input, same run: llmcm on one JavaScript thread, gitleaks with`,
    'GOMAXPROCS=1, both with their default decoding (5 passes of base64/hex/percent/unicode). Wall-clock medians',
    `of ${RUNS} runs including process start. History MB/s are measured against the size of \`git log -p -U0 --all\`.`,
    '',
    '**Single-threaded (one CPU for each tool).** The issue sets its targets for single-threaded throughput:',
    '',
    ...oneCpuTable,
    '',
    '**OS-scheduled (what a user sees on a multi-core runner).** gitleaks reads history from a `git log -p` child',
    'that reads objects and diffs on the second CPU while its Go thread scans; llmcm does both on its one thread.',
    '',
    '| input | size | llmcm scan | gitleaks | ratio (gitleaks time / llmcm time) | llmcm CPU | gitleaks CPU (incl. its git child) | findings (llmcm / gitleaks) |',
    '|---|---|---|---|---|---:|---:|---|',
    ...rows,
    '',
    `llmcm's first run of each row, before its regex translation cache exists: ${firstRuns.join('; ')}.`,
    `Cost per added commit, from the two one-line-edit rows (${LONG_COMMITS} minus ${COMMITS} commits): llmcm ${perCommit('ours').toFixed(1)} µs, gitleaks ${perCommit('theirs').toFixed(1)} µs.`,
    'llmcm is timed as installed (`dist/cli/launch.cjs`), both without NODE_EXTRA_CA_CERTS. CPU columns: median',
    'user+system time of the process and the children it waited for (GNU time); the ratio is on wall time.',
    '',
    'Targets: ≥ 0.5× on raw text, ≥ 1× on history (single-threaded). Reproduce: `npm run -s build && node scripts/bench/scan.bench.mjs`',
  ];
  console.log(out.join('\n'));
} finally {
  // BENCH_KEEP=1 keeps the generated tree and repositories for profiling (path on stderr).
  if (process.env.BENCH_KEEP) process.stderr.write(`[scan bench] kept ${work}\n`);
  else rmSync(work, { recursive: true, force: true });
}

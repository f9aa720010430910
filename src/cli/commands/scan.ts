import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { usageError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { resolveFingerprintKey } from '../../core/fingerprint.js';
import { fingerprintSecret, loadBaseline } from '../../scan/baseline.js';
import { loadConfig, loadConfigFile, loadDefaultConfig } from '../../scan/config/load-config.js';
import type { ScanConfig } from '../../scan/config/types.js';
import { loadIgnoreFiles } from '../../scan/ignore-file.js';
import { enableBacktrackingFallback } from '../../scan/re2/translate.js';
import { renderCsv } from '../../scan/report/render-csv.js';
import { renderJson } from '../../scan/report/render-json.js';
import { renderJunit } from '../../scan/report/render-junit.js';
import { renderSarif } from '../../scan/report/render-sarif.js';
import { renderText } from '../../scan/report/render-text.js';
import { toReportFinding } from '../../scan/report/report-finding.js';
import { runScan, type ScanTarget } from '../../scan/scan.js';
import { loadSopsPolicy, toScanPath } from '../../scan/sops-aware.js';
import { findWorkTreeRoot } from '../../scan/sources/git-source.js';
import { booleanOption, type CommandContext, type CommandSpec, stringOption } from '../command.js';
import { createProgressLine } from '../progress-line.js';

const formats = ['text', 'json', 'sarif', 'junit', 'csv'] as const;
type Format = (typeof formats)[number];

async function readStdin(context: CommandContext): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of context.stdin)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}

/** --config, else GITLEAKS_CONFIG / GITLEAKS_CONFIG_TOML, else ./.gitleaks.toml, else the built-in rules. */
function chooseConfig(context: CommandContext, root: string): ScanConfig {
  const explicit = stringOption(context, 'config');
  const options = { cwd: context.cwd };
  if (explicit) return loadConfigFile(resolve(context.cwd, explicit), options);
  if (context.env.GITLEAKS_CONFIG)
    return loadConfigFile(resolve(context.cwd, context.env.GITLEAKS_CONFIG), options);
  if (context.env.GITLEAKS_CONFIG_TOML) {
    return loadConfig(
      { name: 'GITLEAKS_CONFIG_TOML', text: context.env.GITLEAKS_CONFIG_TOML },
      { ...options, translationCache: false },
    );
  }
  const local = join(root, '.gitleaks.toml');
  if (existsSync(local)) return loadConfigFile(local, options);
  return loadDefaultConfig(options);
}

function fingerprintKeyFile(root: string): string {
  if (existsSync(join(root, '.git'))) return join(root, '.git', 'llmcm', 'fingerprint.key');
  return join(homedir(), '.cache', 'llmcm', 'fingerprint.key');
}

/** What the progress line says the scan is doing. */
function progressLabel(target: ScanTarget): string {
  switch (target.kind) {
    case 'history':
      return 'scanning history';
    case 'range':
      return `scanning ${target.base}..${target.head}`;
    case 'staged':
      return 'scanning staged changes';
    default:
      return 'scanning files';
  }
}

/** `llmcm scan`: gitleaks-compatible secret scanning of files, staged changes, PR ranges, history or stdin. */
export const scanCommand: CommandSpec = {
  name: 'scan',
  summary: 'scan files, staged changes, a PR range, full git history or stdin for leaked secrets',
  usage: 'scan [PATH...] [--staged | --base REF [--head REF] | --history | --stdin] [options]',
  details: [
    'Reads gitleaks v8 configs unchanged: --config FILE, else $GITLEAKS_CONFIG, else ./.gitleaks.toml,',
    "else llmcm's built-in rules (LLM providers first). `[extend] useDefault = true` extends the built-in rules.",
    '.gitleaksignore fingerprints and `gitleaks:allow` comments are honoured. SOPS ciphertext and metadata',
    'are never findings; plaintext in a file .sops.yaml says must be encrypted is (rule unencrypted-secret).',
    'Every output is redacted: reports carry a keyed fingerprint of each secret, never the secret.',
    'Exit codes: 0 no leaks, 1 leaks found, 2 usage/config/bad input (never mixed).',
    'Translated patterns of big configs are cached in $XDG_CACHE_HOME/llmcm/scan-regex (~/.cache/llmcm/scan-regex);',
    'LLMCM_SCAN_CACHE=off turns that off (a config given in GITLEAKS_CONFIG_TOML is never cached).',
    'Examples:',
    '  llmcm scan                          # the working tree',
    '  llmcm scan --staged                 # what is about to be committed (see `llmcm hooks install`)',
    '  llmcm scan --base origin/main       # lines added by a pull request',
    '  llmcm scan --history -f sarif -r leaks.sarif',
  ].join('\n'),
  options: {
    staged: { type: 'boolean', description: 'scan lines added in the index (pre-commit)' },
    base: { type: 'string', description: 'scan commits in BASE..HEAD (only added lines)', valueName: 'REF' },
    head: { type: 'string', description: 'end of the range (default HEAD)', valueName: 'REF' },
    history: { type: 'boolean', description: 'scan the full history of all refs (each blob once)' },
    stdin: { type: 'boolean', description: 'scan standard input' },
    config: {
      type: 'string',
      short: 'c',
      description: 'gitleaks TOML config (replaces the built-in rules)',
      valueName: 'FILE',
    },
    format: {
      type: 'string',
      short: 'f',
      description: `output format: ${formats.join('|')}`,
      default: 'text',
      valueName: 'F',
    },
    report: {
      type: 'string',
      short: 'r',
      description: 'write the report to FILE instead of stdout',
      valueName: 'FILE',
    },
    baseline: {
      type: 'string',
      short: 'b',
      description: 'ignore findings present in this earlier JSON report',
      valueName: 'FILE',
    },
    'gitleaks-ignore': {
      type: 'string',
      short: 'i',
      description: '.gitleaksignore file (default: ./.gitleaksignore)',
      valueName: 'FILE',
    },
    redact: {
      type: 'boolean',
      description: 'accepted for gitleaks compatibility: output is always redacted',
    },
    'no-sops': { type: 'boolean', description: 'turn off SOPS awareness (plain gitleaks behaviour)' },
    'no-gitignore': {
      type: 'boolean',
      description: 'working tree: also scan files .gitignore excludes (like gitleaks dir)',
    },
    'ignore-gitleaks-allow': {
      type: 'boolean',
      description: 'report findings on lines marked gitleaks:allow',
    },
    'max-decode-depth': {
      type: 'string',
      description: 'decode base64/hex/percent/unicode-escaped text up to N times (default 5; 0 = off)',
      valueName: 'N',
    },
    'rule-budget-ms': {
      type: 'string',
      description: 'time budget per rule and file (default 2000)',
      valueName: 'MS',
    },
    progress: {
      type: 'boolean',
      description: 'report progress on stderr even when it is not a terminal (a line every 2 s)',
    },
    'no-progress': {
      type: 'boolean',
      description: 'never report progress (default: on a terminal, after 0.5 s)',
    },
    dir: {
      type: 'string',
      description: 'repository / scan root (default: current directory)',
      valueName: 'DIR',
    },
  },
  async run(context) {
    // Crafted input must not stall a PR check: let V8 bail out of runaway backtracking.
    enableBacktrackingFallback();
    const format = (stringOption(context, 'format') ?? 'text') as Format;
    if (!formats.includes(format))
      throw usageError(`unknown format '${format}'`, `use one of ${formats.join(', ')}`);
    const base = stringOption(context, 'base');
    const gitMode =
      booleanOption(context, 'staged') || base !== undefined || booleanOption(context, 'history');
    // Git scans work from any folder of the work tree; paths in findings are repository paths.
    const start = resolve(context.cwd, stringOption(context, 'dir') ?? '.');
    const root = gitMode ? findWorkTreeRoot(start) : start;
    const head = stringOption(context, 'head');
    const modes = [
      booleanOption(context, 'staged'),
      base !== undefined,
      booleanOption(context, 'history'),
      booleanOption(context, 'stdin'),
    ];
    if (modes.filter(Boolean).length > 1)
      throw usageError('choose one of --staged, --base, --history, --stdin');
    if (head !== undefined && base === undefined) throw usageError('--head needs --base');
    if (context.positionals.length > 0 && modes.some(Boolean))
      throw usageError('paths can only be given for a working-tree scan');
    const budgetText = stringOption(context, 'rule-budget-ms');
    const ruleBudgetMs = budgetText === undefined ? undefined : Number(budgetText);
    if (ruleBudgetMs !== undefined && !(ruleBudgetMs > 0))
      throw usageError('--rule-budget-ms must be a positive number');

    const depthText = stringOption(context, 'max-decode-depth');
    const maxDecodeDepth = depthText === undefined ? undefined : Number(depthText);
    if (maxDecodeDepth !== undefined && !(Number.isInteger(maxDecodeDepth) && maxDecodeDepth >= 0)) {
      throw usageError('--max-decode-depth must be a whole number ≥ 0');
    }
    const config = chooseConfig(context, root);
    const baselinePath = stringOption(context, 'baseline');
    const baseline = baselinePath ? loadBaseline(resolve(context.cwd, baselinePath)) : undefined;
    const ignorePath = stringOption(context, 'gitleaks-ignore');
    const ignore = loadIgnoreFiles(
      ignorePath ? [resolve(context.cwd, ignorePath)] : [join(root, '.gitleaksignore')],
    );
    const key = resolveFingerprintKey(context.env, fingerprintKeyFile(root));
    const secretFingerprint = (f: Parameters<typeof fingerprintSecret>[1]): string =>
      fingerprintSecret(key, f);
    const sopsAware = !booleanOption(context, 'no-sops');

    let target: ScanTarget;
    if (booleanOption(context, 'staged')) {
      // In a pre-commit hook git names the index being committed here: `git commit -a` and
      // `git commit PATHS` stage into a temporary index, and .git/index would be stale.
      const indexFile = context.env.GIT_INDEX_FILE;
      target = indexFile
        ? { kind: 'staged', indexFile: resolve(context.cwd, indexFile) }
        : { kind: 'staged' };
    } else if (base !== undefined) target = { kind: 'range', base, head: head ?? 'HEAD' };
    else if (booleanOption(context, 'history')) target = { kind: 'history' };
    else if (booleanOption(context, 'stdin')) target = { kind: 'stdin', content: await readStdin(context) };
    else target = { kind: 'dir', paths: context.positionals.length > 0 ? context.positionals : ['.'] };
    // Paths in findings are relative to the root, so positional paths are resolved against the cwd first.
    if (target.kind === 'dir' && root !== context.cwd) {
      target = {
        kind: 'dir',
        paths: target.paths.map((p) => toScanPath(root, resolve(context.cwd, p)) || '.'),
      };
    } else if (target.kind === 'dir') {
      target = {
        kind: 'dir',
        paths: target.paths.map((p) => toScanPath(root, resolve(context.cwd, p)) || '.'),
      };
    }

    const skipPaths: string[] = [];
    if (config.path) skipPaths.push(toScanPath(root, config.path));
    if (baselinePath) skipPaths.push(toScanPath(root, resolve(context.cwd, baselinePath)));

    const progress = createProgressLine(context.stderr, {
      mode: booleanOption(context, 'no-progress')
        ? 'never'
        : booleanOption(context, 'progress')
          ? 'always'
          : 'auto',
      label: progressLabel(target),
    });
    let result: Awaited<ReturnType<typeof runScan>>;
    try {
      result = await runScan({
        root,
        target,
        config,
        sopsPolicy: sopsAware ? loadSopsPolicy(root) : undefined,
        sopsAware,
        ignore,
        baseline,
        secretFingerprint,
        ignoreGitleaksAllow: booleanOption(context, 'ignore-gitleaks-allow'),
        respectGitignore: !booleanOption(context, 'no-gitignore'),
        ruleBudgetMs,
        maxDecodeDepth,
        skipPaths,
        onProgress: (p) => progress.update(p.done, p.total, p.unit),
      });
    } finally {
      // Before any warning, error or summary: a terminal's progress line is erased first.
      progress.finish();
    }

    for (const w of config.warnings) context.stderr.write(`llmcm: warning: ${w}\n`);
    for (const w of result.warnings) context.stderr.write(`llmcm: warning: ${w.message}\n`);
    for (const bad of ignore.invalid)
      context.stderr.write(`llmcm: warning: .gitleaksignore line ${bad.line} is not a fingerprint\n`);
    if (target.kind === 'dir' || target.kind === 'history') {
      for (const entry of ignore.entries) {
        if (!ignore.used.has(entry))
          context.stderr.write(`llmcm: warning: stale .gitleaksignore entry (matches nothing): ${entry}\n`);
      }
    }

    const findings = result.findings.map((f) => toReportFinding(f, secretFingerprint));
    let output: string;
    switch (format) {
      case 'json':
        output = renderJson(findings);
        break;
      case 'csv':
        output = renderCsv(findings);
        break;
      case 'sarif':
        output = renderSarif(findings, config);
        break;
      case 'junit':
        output = renderJunit(findings);
        break;
      default:
        output = renderText(
          findings,
          {
            bytes: result.stats.bytes,
            files: result.stats.files,
            commits: result.stats.commits,
            mode: target.kind,
          },
          context.color,
        );
    }
    const reportPath = stringOption(context, 'report');
    if (reportPath && reportPath !== '-') {
      // Not durable (no fsync): a report is cheap to produce again, and the fsyncs cost a
      // noticeable share of a quick scan. Still atomic: a reader never sees half a report.
      writeFileAtomic(resolve(context.cwd, reportPath), output, { durable: false });
      if (format !== 'text') {
        context.stderr.write(
          `llmcm: ${findings.length} leak${findings.length === 1 ? '' : 's'} found; report written to ${reportPath}\n`,
        );
      }
    } else {
      context.stdout.write(output);
    }
    return findings.length > 0 ? ExitCode.findings : ExitCode.ok;
  },
};

#!/usr/bin/env node
// Bundles the CLI into dist/cli/main.js (+ lazily loaded chunks in dist/cli/chunks/) after `tsc` has
// built dist/. Why: Node's ESM loader resolves and compiles each of the ~300 modules of src/ and of
// yaml/ajv/isomorphic-git one by one; one bundle per command cuts the CLI's start-up by about a third
// (see BENCHMARKS.md). The library build (dist/index.js and friends) stays unbundled.
// The cloud/database clients stay external: they are optional and loaded only by their store.
//
// Second output: the code-cached bundles (docs/cli.md). dist/cli/sops-main.cjs holds the sops file
// commands (decrypt, encrypt, set, ...), dist/cli/check-main.cjs `llmcm check` and
// dist/cli/scan-main.cjs `llmcm scan`, each in ONE CommonJS file that the `llmcm` launcher (launch.cts) compiles with a V8 code cache. Each cache is made here
// by running its commands on scratch input (LLMCM_CODE_CACHE=refresh), so that it holds the compiled
// code of the paths a real run takes, not only the top level.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'cli');
// Optional store clients: loaded from node_modules only by the store that needs them.
const optionalClients = ['pg', 'pg-native', 'ioredis', '@aws-sdk/*'];
// The regex translation cache is keyed by a hash of the code file that holds the translator
// (translatorVersion in src/scan/re2/translate.ts). For a bundle that hash is computed here, once:
// the bundle is built with a placeholder, hashed, and the placeholder replaced by the hash (same
// length, so the source map stays right), instead of hashing the 1 MB bundle on every run.
const BUNDLE_ID_PLACEHOLDER = 'llmcm-bundle-sha256-placeholder'.padEnd(64, '_');
const stamps = { __LLMCM_BUNDLE_SHA256__: JSON.stringify(BUNDLE_ID_PLACEHOLDER) };

/** Replaces the placeholder in `file` (if it holds one) by the sha256 of the file as built. */
function stampBundleId(file) {
  const text = readFileSync(file, 'latin1');
  if (!text.includes(BUNDLE_ID_PLACEHOLDER)) return;
  const id = createHash('sha256').update(text, 'latin1').digest('hex');
  writeFileSync(file, text.replaceAll(BUNDLE_ID_PLACEHOLDER, id), 'latin1');
}
rmSync(join(outdir, 'chunks'), { recursive: true, force: true });
await build({
  entryPoints: { main: join(root, 'src', 'cli', 'main.ts') },
  outdir,
  bundle: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  external: optionalClients,
  define: stamps,
  // CommonJS dependencies inside an ESM bundle need a real `require` for node: built-ins.
  banner: {
    js: "import { createRequire as __llmcmCreateRequire } from 'node:module';\nconst require = __llmcmCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
// The chunk that holds the regex translator (and any other ES-module output) gets its own hash.
for (const dir of [outdir, join(outdir, 'chunks')]) {
  for (const name of readdirSync(dir)) if (name.endsWith('.js')) stampBundleId(join(dir, name));
}

// The code-cached bundles. import.meta.url (used to find the package root and to resolve packages at
// run time) becomes the bundle's own file URL.
const codeCachedBundles = [
  { entry: 'sops-main', train: trainSopsCodeCache },
  { entry: 'check-main', train: trainCheckCodeCache },
  { entry: 'scan-main', train: trainScanCodeCache },
];
const launcher = join(outdir, 'launch.cjs');
chmodSync(launcher, 0o755);
for (const { entry, train } of codeCachedBundles) {
  const bundle = join(outdir, `${entry}.cjs`);
  rmSync(`${bundle}.v8-cache`, { force: true });
  await build({
    entryPoints: [join(root, 'src', 'cli', `${entry}.ts`)],
    outfile: bundle,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    charset: 'ascii',
    sourcemap: 'linked',
    external: optionalClients,
    define: { 'import.meta.url': '__llmcmImportMetaUrl', ...stamps },
    banner: { js: "const __llmcmImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    plugins: [builtinDynamicImportsAsRequire()],
    logLevel: 'warning',
  });
  escapeNonAscii(bundle);
  stampBundleId(bundle);
  train();
  if (readFileSync(`${bundle}.v8-cache`).length === 0) throw new Error(`no code cache for ${entry}`);
}

/**
 * esbuild's charset=ascii escapes strings and comments but leaves non-ASCII characters in regular
 * expression literals. One such character makes V8 hold the whole bundle as a two-byte string,
 * which is slower to read and hash on every run, so they become \uXXXX escapes, which mean the
 * same in a regular expression (with or without the u flag), a string, a template or a comment.
 */
function escapeNonAscii(file) {
  const text = readFileSync(file, 'utf8');
  const escaped = text.replace(
    /[^\u0000-\u007f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  if (escaped !== text) writeFileSync(file, escaped);
}

/**
 * `await import('node:fs')` would stay a real dynamic import in a CommonJS bundle, and a script
 * compiled through node:vm has no module loader for it. Node built-ins are always there, so such an
 * import becomes a `require` (wrapped in a one-line module, which esbuild then imports lazily).
 */
function builtinDynamicImportsAsRequire() {
  return {
    name: 'builtin-dynamic-imports-as-require',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /^node:/ }, (args) =>
        args.kind === 'dynamic-import' ? { path: args.path, namespace: 'builtin-require' } : undefined,
      );
      pluginBuild.onLoad({ filter: /.*/, namespace: 'builtin-require' }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(args.path)});`,
        loader: 'js',
      }));
    },
  };
}

/**
 * Trains the sops bundle's cache on the two commands scripts run per file, encrypt then decrypt,
 * on a file of the simple shape and on one with comments and lists (the two YAML readers). Each run
 * starts from the previous run's cache and adds what it compiled. Only those two commands: every
 * compiled function makes the cache bigger, and V8 deserializes all of it on every run (the other
 * commands compile their own functions lazily, as without a cache).
 */
function trainSopsCodeCache() {
  const scratch = mkdtempSync(join(tmpdir(), 'llmcm-code-cache-'));
  try {
    const keys = join(scratch, 'keys.txt');
    const env = {
      PATH: process.env.PATH,
      HOME: scratch,
      SOPS_AGE_KEY_FILE: keys,
      LLMCM_CODE_CACHE: 'refresh',
    };
    const run = (...args) =>
      execFileSync(process.execPath, [launcher, ...args], {
        cwd: scratch,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    const recipient = execFileSync(process.execPath, [launcher, 'keygen', '--output', keys], {
      cwd: scratch,
      env: { ...env, LLMCM_CODE_CACHE: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
      .toString()
      .match(/age1[0-9a-z]+/)?.[0];
    if (!recipient) throw new Error('code-cache training: keygen printed no recipient');
    writeFileSync(join(scratch, '.sops.yaml'), `creation_rules:\n  - age: ${recipient}\n`);
    const simple = ['providers:'];
    const commented = ['# sample LLM config (training input for the code cache)', 'providers:'];
    for (let i = 0; i < 20; i++) {
      const keys = [`    api_key: sk-${i}-abcdefghijklmnopqrstuvwxyz`, `    max_tokens: ${1000 + i}`];
      keys.push(`    temperature: 0.${i % 10}5`, `    enabled: ${i % 2 === 0}`, `    region: eu-${i}`);
      simple.push(`  p${i}:`, ...keys);
      commented.push(
        `  # provider ${i}`,
        `  p${i}:`,
        ...keys,
        '    fallbacks:',
        `      - a${i}`,
        `      - "b ${i}"`,
      );
    }
    for (const [name, lines] of [
      ['simple.yaml', simple],
      ['commented.yaml', commented],
    ]) {
      const file = join(scratch, name);
      writeFileSync(file, `${lines.join('\n')}\n`);
      run('encrypt', '-i', file);
      run('decrypt', file);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * A scratch git repository holding a copy of the example config repo shipped with the package
 * (environments, schemas, policies), committed once; `train(scratch, git, runCli)` then runs on it.
 * runCli accepts exit code 1 (findings are a normal outcome of check and scan); anything else is a
 * broken build.
 */
function withExampleRepo(prefix, train) {
  const scratch = mkdtempSync(join(tmpdir(), prefix));
  try {
    for (const entry of ['environments', 'policies', 'schemas', 'llmcm.yaml', '.sops.yaml']) {
      cpSync(join(root, entry), join(scratch, entry), { recursive: true });
    }
    const git = (...args) =>
      execFileSync('git', ['-c', 'user.name=llmcm', '-c', 'user.email=build@llmcm.invalid', ...args], {
        cwd: scratch,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    git('init', '-q');
    git('add', '-A');
    git('commit', '-qm', 'code-cache training');
    // XDG_CACHE_HOME inside the scratch folder: training never writes to the builder's own caches.
    const env = {
      PATH: process.env.PATH,
      HOME: scratch,
      XDG_CACHE_HOME: join(scratch, '.cache'),
      LLMCM_CODE_CACHE: 'refresh',
    };
    const runCli = (...args) => {
      try {
        execFileSync(process.execPath, [launcher, ...args], {
          cwd: scratch,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
      } catch (error) {
        if (error.status !== 1) throw error;
      }
    };
    train(scratch, git, runCli);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Trains the check bundle's cache: a full keyless check, then `--base HEAD` (the PR path). */
function trainCheckCodeCache() {
  withExampleRepo('llmcm-code-cache-check-', (_scratch, _git, runCli) => {
    runCli('check');
    runCli('check', '--base', 'HEAD');
  });
}

/**
 * Trains the scan bundle's cache on what hooks and CI run: the working tree, a history of small
 * edits (one adds a key-shaped value, assembled here so that this file holds none), the staged
 * changes, and the history again with a gitleaks-format config (the TOML reader and the RE2
 * translator).
 */
function trainScanCodeCache() {
  withExampleRepo('llmcm-code-cache-scan-', (scratch, git, runCli) => {
    mkdirSync(join(scratch, '.cache'));
    const file = join(scratch, 'notes.yaml');
    const lines = Array.from({ length: 30 }, (_, i) => `setting_${i}: value-${i}`);
    for (let c = 0; c < 20; c++) {
      lines[c] =
        c === 7
          ? `github_token: ${['gh', 'p_'].join('')}${'aB3dE5fG7h'.repeat(3)}123456`
          : `setting_${c}: changed-${c}`;
      writeFileSync(file, `${lines.join('\n')}\n`);
      git('add', 'notes.yaml');
      git('commit', '-qm', `edit ${c}`);
    }
    writeFileSync(file, `${lines.join('\n')}\nstaged: true\n`);
    git('add', 'notes.yaml');
    const report = join(scratch, '.cache', 'report.json');
    runCli('scan', '.', '--format', 'json', '--report', report);
    runCli('scan', '--history', '--format', 'json', '--report', report);
    runCli('scan', '--staged');
    runCli('scan', '--base', 'HEAD~3', '--format', 'json', '--report', report);
    const config = join(scratch, '.cache', 'gitleaks.toml');
    const toml = String.raw`title = "code-cache training"
[[rules]]
id = "github-pat"
regex = '''ghp_[0-9a-zA-Z]{36}'''
keywords = ["ghp_"]
[[rules]]
id = "generic-api-key"
regex = '''(?i)[\w.-]{0,50}?(?:key|token|secret)(?:[ \t\w.-]{0,20})[\s'"]{0,3}(?:=|:)[\x60'"\s=]{0,5}([\w.=-]{10,150})(?:[\x60'"\s;]|$)'''
entropy = 3.5
keywords = ["key", "token", "secret"]
`;
    writeFileSync(config, toml);
    runCli('scan', '--history', '--config', config, '--no-sops', '--format', 'json', '--report', report);
  });
}

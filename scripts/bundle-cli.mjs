#!/usr/bin/env node
// Bundles the CLI into dist/cli/main.js (+ lazily loaded chunks in dist/cli/chunks/) after `tsc` has
// built dist/. Why: Node's ESM loader resolves and compiles each of the ~300 modules of src/ and of
// yaml/ajv/isomorphic-git one by one; one bundle per command cuts the CLI's start-up by about a third
// (see BENCHMARKS.md). The library build (dist/index.js and friends) stays unbundled.
// The cloud/database clients stay external: they are optional and loaded only by their store.
//
// Second output: dist/cli/sops-main.cjs, the sops file commands (decrypt, encrypt, set, ...) in ONE
// CommonJS file, which the `llmcm` launcher (launch.cts) compiles with a V8 code cache. The cache is
// made here by running those commands once on a scratch file (LLMCM_CODE_CACHE=refresh), so that it
// holds the compiled code of the paths a real run takes, not only the top level.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'cli');
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
  external: ['pg', 'pg-native', 'ioredis', '@aws-sdk/*'],
  // CommonJS dependencies inside an ESM bundle need a real `require` for node: built-ins.
  banner: {
    js: "import { createRequire as __llmcmCreateRequire } from 'node:module';\nconst require = __llmcmCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});

// The sops file commands as one CommonJS file. import.meta.url (used to find the package root and to
// resolve `yaml` at run time) becomes the bundle's own file URL. ASCII only, so that the launcher can
// read it as latin1 (a one-byte string, no UTF-8 decoding of ~750 KB on every run).
const sopsBundle = join(outdir, 'sops-main.cjs');
rmSync(`${sopsBundle}.v8-cache`, { force: true });
await build({
  entryPoints: [join(root, 'src', 'cli', 'sops-main.ts')],
  outfile: sopsBundle,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  charset: 'ascii',
  sourcemap: 'linked',
  define: { 'import.meta.url': '__llmcmImportMetaUrl' },
  banner: { js: "const __llmcmImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [builtinDynamicImportsAsRequire()],
  logLevel: 'warning',
});
const launcher = join(outdir, 'launch.cjs');
chmodSync(launcher, 0o755);
trainSopsCodeCache();

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
 * Trains the code cache on the two commands scripts run per file, encrypt then decrypt: the second
 * run starts from the first one's cache and adds what it compiled. Only those two: every compiled
 * function makes the cache bigger, and V8 deserializes all of it on every run (the other commands
 * compile their own functions lazily, as without a cache).
 */
function trainSopsCodeCache() {
  const scratch = mkdtempSync(join(tmpdir(), 'llmcm-code-cache-'));
  try {
    const keys = join(scratch, 'keys.txt');
    const file = join(scratch, 'sample.yaml');
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
    const lines = ['# sample LLM config (training input for the code cache)', 'providers:'];
    for (let i = 0; i < 20; i++) {
      lines.push(
        `  p${i}:`,
        `    api_key: sk-${i}-abcdefghijklmnopqrstuvwxyz`,
        `    max_tokens: ${1000 + i}`,
      );
      lines.push(`    temperature: 0.${i % 10}5`, `    enabled: ${i % 2 === 0}`, `    tags: [a${i}, b${i}]`);
    }
    writeFileSync(file, `${lines.join('\n')}\n`);
    run('encrypt', '-i', file);
    run('decrypt', file);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

#!/usr/bin/env node
// The installed `llmcm` binary. Why a CommonJS launcher in front of the ES-module CLI: Node 20 has no
// compile cache for ES modules, and a one-file `llmcm decrypt` spends more time loading and compiling
// JavaScript than decrypting. The sops file commands (the ones scripts run once per file), `check`
// (every pull request) and `scan` (every pre-commit hook and pull request) are therefore bundled
// into CommonJS files (dist/cli/*-main.cjs) that this launcher compiles with a V8 code cache made at
// build time (scripts/bundle-cli.mjs), so their code is not parsed or compiled again on each run. Every other command goes to the ES-module CLI
// (main.js) unchanged.
//
// LLMCM_CODE_CACHE=off ignores the cache; =refresh rewrites it after the run (the build uses that).
// When the cache is missing or V8 rejects it (another Node version), the run rewrites it on exit,
// best effort: a read-only install simply runs uncached. See docs/cli.md.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Script } from 'node:vm';

/**
 * Command word → the code-cached bundle that runs it. Each bundle's commands must equal the keys
 * of its loaders (sops-commands.ts, check-commands.ts, scan-commands.ts); a unit test checks it.
 */
export const codeCachedBundleOf: Readonly<Record<string, string>> = {
  check: 'check-main.cjs',
  decrypt: 'sops-main.cjs',
  edit: 'sops-main.cjs',
  encrypt: 'sops-main.cjs',
  filestatus: 'sops-main.cjs',
  keygen: 'sops-main.cjs',
  rotate: 'sops-main.cjs',
  scan: 'scan-main.cjs',
  set: 'sops-main.cjs',
  unset: 'sops-main.cjs',
  updatekeys: 'sops-main.cjs',
};

/**
 * V8 flags a bundle's commands set at run time (v8.setFlagsFromString), set here before the
 * bundle is compiled. Why: V8 checks a code cache against a hash of the flags in force, and a cache
 * is written on exit, after the command set its flags; without them at start-up every run would
 * reject the cache, compile from source and rewrite it. `scan` turns on the linear-time regex
 * fallback (enableBacktrackingFallback in src/scan/re2/translate.ts; a unit test keeps both equal).
 */
export const v8FlagsOfBundle: Readonly<Record<string, readonly string[]>> = {
  'scan-main.cjs': ['--enable-experimental-regexp-engine-on-excessive-backtracks'],
};

/** The command word of an argv (global flags may come first), or undefined. */
export function commandWordOf(args: readonly string[]): string | undefined {
  return args.find((a) => a !== '--debug' && a !== '--no-color');
}

type CodeCacheMode = 'use' | 'off' | 'refresh';

function codeCacheMode(value: string | undefined): CodeCacheMode {
  return value === 'off' || value === 'refresh' ? value : 'use';
}

/**
 * Runs a CommonJS bundle like `require` would, but compiled with (and feeding) a V8 code cache.
 * False when the bundle file is not there (a partial or hand-made build): the caller then runs
 * main.js, which holds every command too.
 */
function runCodeCachedBundle(bundleFile: string, mode: CodeCacheMode): boolean {
  const cacheFile = `${bundleFile}.v8-cache`;
  let source: string;
  try {
    // The build makes the bundle pure ASCII, so latin1 reads it exactly, straight into a one-byte
    // string, without the UTF-8 validation pass (~0.7 ms of a 1 MB bundle on every run).
    source = readFileSync(bundleFile, 'latin1');
  } catch {
    return false;
  }
  let cachedData: Buffer | undefined;
  if (mode !== 'off') {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      // No cache yet: compile from source and write one on exit.
    }
  }
  // CommonJS's own function wrapper, written out: node:module (for Module.wrap/createRequire) would
  // load the ES-module loader's internals, a measurable share of a small file's run.
  const wrapped = `(function (exports, require, module, __filename, __dirname) { ${source}\n});`;
  const script = new Script(wrapped, {
    filename: bundleFile,
    ...(cachedData ? { cachedData } : {}),
  });
  if (mode === 'refresh' || (mode === 'use' && (!cachedData || script.cachedDataRejected === true))) {
    // On exit, so that the cache also holds the functions this run compiled lazily (and, with
    // refresh, those it found in the cache it started from: the build chains its training runs).
    process.once('exit', () => writeCodeCache(cacheFile, script));
  }
  const moduleObject = { exports: {} };
  const compiledWrapper = script.runInThisContext() as (
    exports: unknown,
    require: NodeJS.Require,
    module: unknown,
    filename: string,
    dirname: string,
  ) => void;
  compiledWrapper.call(
    moduleObject.exports,
    moduleObject.exports,
    // This file's own require: the bundle sits next to it, so both resolve packages the same way.
    require,
    moduleObject,
    bundleFile,
    __dirname,
  );
  return true;
}

/** Best effort and atomic (temp file + rename): a cache is an optimisation, never a failure. */
function writeCodeCache(cacheFile: string, script: Script): void {
  const temp = `${cacheFile}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, script.createCachedData());
    renameSync(temp, cacheFile);
  } catch {
    try {
      rmSync(temp, { force: true });
    } catch {
      // Nothing more to do: the next run tries again.
    }
  }
}

/** Routes one invocation: a bundled command to its code-cached bundle, the rest to main.js. */
function launch(): void {
  const word = commandWordOf(process.argv.slice(2));
  // hasOwn: a word like `constructor` must not find Object.prototype's members.
  const bundle =
    word !== undefined && Object.hasOwn(codeCachedBundleOf, word) ? codeCachedBundleOf[word] : undefined;
  if (bundle !== undefined) {
    const flags = Object.hasOwn(v8FlagsOfBundle, bundle) ? v8FlagsOfBundle[bundle]! : [];
    if (flags.length > 0) {
      const v8 = require('node:v8') as typeof import('node:v8');
      for (const flag of flags) v8.setFlagsFromString(flag);
    }
    if (runCodeCachedBundle(join(__dirname, bundle), codeCacheMode(process.env.LLMCM_CODE_CACHE))) return;
  }
  // node:url only here: the code-cached path does not need it.
  const { pathToFileURL } = require('node:url') as typeof import('node:url');
  import(pathToFileURL(join(__dirname, 'main.js')).href).catch((error: unknown) => {
    process.stderr.write(`llmcm: internal error: cannot load the CLI: ${(error as Error).message}\n`);
    process.exitCode = 70;
  });
}

// Only as the program: the unit tests import the routing helpers above without launching anything.
if (typeof module !== 'undefined' && require.main === module) launch();

#!/usr/bin/env node
// Bundles the CLI into dist/cli/main.js (+ lazily loaded chunks in dist/cli/chunks/) after `tsc` has
// built dist/. Why: Node's ESM loader resolves and compiles each of the ~300 modules of src/ and of
// yaml/ajv/isomorphic-git one by one; one bundle per command cuts the CLI's start-up by about a third
// (see BENCHMARKS.md). The library build (dist/index.js and friends) stays unbundled.
// The cloud/database clients stay external: they are optional and loaded only by their store.
import { rmSync } from 'node:fs';
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

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigReader } from './types.js';

/**
 * Reads the working tree under `root` (the default reader of the loader). Synchronous calls behind the
 * async interface: for a thousand small files they cost a fraction of promise-based reads.
 */
export function createWorkingTreeReader(root: string): ConfigReader {
  return {
    async readFile(relPath) {
      try {
        return readFileSync(join(root, relPath), 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
        throw error;
      }
    },
    async listDir(relPath) {
      try {
        return readdirSync(join(root, relPath)).sort();
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return [];
        throw error;
      }
    },
  };
}

/** Reader shape of src/repo's git tree reader (null for missing), adapted to ConfigReader. */
export interface GitTreeLike {
  readFile(path: string): Promise<string | null>;
  listDir(path: string): Promise<{ name: string }[] | null>;
}

/** Adapts a git tree reader (e.g. src/repo createTreeReader) so environments can be loaded from a ref. */
export function adaptTreeReader(tree: GitTreeLike): ConfigReader {
  return {
    async readFile(relPath) {
      return (await tree.readFile(relPath)) ?? undefined;
    },
    async listDir(relPath) {
      return ((await tree.listDir(relPath)) ?? []).map((e) => e.name).sort();
    },
  };
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe } from 'vitest';
import { openStore } from '../../../src/stores/registry.js';
import { defineStoreContract } from './contract.js';

const root = mkdtempSync(join(tmpdir(), 'llmcm-file-contract-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('file store (contract)', () => {
  defineStoreContract(() => ({
    open: () => openStore({ name: 'rendered', kind: 'file', path: 'stores/rendered' }, { root, env: {} }),
    // A directory below a regular file can never be created or read.
    openUnreachable: () =>
      openStore({ name: 'rendered', kind: 'file', path: '/dev/null/llmcm' }, { root, env: {} }),
  }));
});

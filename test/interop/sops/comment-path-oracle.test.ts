/**
 * The path (AAD) llmcm gives each YAML comment when it encrypts, against the one sops' own code
 * gives it: a tiny Go program (comment-path-oracle/) runs sops' YAML store and its Tree walk with
 * a recording cipher. Two answers per layout: "plain" (LoadPlainFile + Tree.Encrypt: the AAD sops
 * writes for that plaintext) and "encrypted" (LoadEncryptedFile + Tree.Decrypt on the file as
 * llmcm writes it, `sops:` block included: the AAD `sops decrypt` expects for our file).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { beforeAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ParsedFile } from '../../../src/sops/formats/types.js';
import { parseSimpleYaml } from '../../../src/sops/formats/yaml-fast.js';
import { parseYamlFile, renderYamlMetadata } from '../../../src/sops/formats/yaml-format.js';
import { aadOf, walkBranches } from '../../../src/sops/tree.js';
import { askGoOracle, buildGoOracle } from '../../support/go-oracle.js';
import { describeWithTools } from '../../support/tools.js';
import { commentLayout, renderCommentLayout } from './comment-layouts.js';

const hooks = {
  parseYaml: (text: string) => parse(text, { uniqueKeys: true, logLevel: 'error' as const }),
  renderMetadata: renderYamlMetadata,
};

const meta = {
  age: [
    {
      recipient: 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p',
      enc: '-----BEGIN AGE ENCRYPTED FILE-----\nYWJj\n-----END AGE ENCRYPTED FILE-----\n',
    },
  ],
  lastmodified: '2026-01-01T00:00:00Z',
  mac: 'ENC[AES256_GCM,data:abcd,iv:abcd,tag:abcd,type:str]',
  unencrypted_suffix: '_unencrypted',
  version: '3.13.3',
};

type Paths = Record<string, string>;
interface OracleAnswer {
  error?: string;
  comments: Array<{ text: string; aad: string }> | null;
}

let oracleBin = '';

function askSops(requests: Array<{ yaml: string; mode: 'plain' | 'encrypted' }>): OracleAnswer[] {
  return askGoOracle<OracleAnswer>(oracleBin, requests);
}

function pathsOf(parsed: ParsedFile): Paths {
  const paths: Paths = {};
  walkBranches(parsed.branches, ({ leaf, path }) => {
    if (leaf.kind === 'comment') paths[leaf.text] = aadOf(path);
  });
  return paths;
}

function sopsPaths(answer: OracleAnswer): Paths | undefined {
  if (answer.error !== undefined) return undefined;
  const paths: Paths = {};
  for (const c of answer.comments ?? []) paths[c.text] = c.aad;
  return paths;
}

interface Compared {
  text: string;
  cst: Paths;
  fast: Paths | null;
  plain: Paths | undefined;
  encrypted: Paths | undefined;
}

/** Our paths (CST and fast parser) and sops' (plain and encrypted) for a batch of texts. */
function compare(texts: string[]): Compared[] {
  const ours = texts.map((text) => {
    const slow = parseYamlFile(text);
    const fast = parseSimpleYaml(text, hooks);
    return {
      text,
      cst: pathsOf(slow),
      fast: fast ? pathsOf(fast) : null,
      written: parseYamlFile(text).render(meta),
    };
  });
  const answers = askSops(
    ours.flatMap((o) => [
      { yaml: o.text, mode: 'plain' as const },
      { yaml: o.written, mode: 'encrypted' as const },
    ]),
  );
  return ours.map((o, i) => ({
    text: o.text,
    cst: o.cst,
    fast: o.fast,
    plain: sopsPaths(answers[2 * i]!),
    encrypted: sopsPaths(answers[2 * i + 1]!),
  }));
}

describeWithTools(['sops'], 'comment AADs: llmcm against sops 3.13.3 own code (Go oracle)', () => {
  beforeAll(() => {
    const src = join(dirname(fileURLToPath(import.meta.url)), 'comment-path-oracle');
    oracleBin = buildGoOracle(src, 'sops-comment-oracle', 'comment-path-oracle');
  }, 300_000);

  // Layouts llmcm placed differently before this rule (yaml.v3's comment scanner replayed in
  // yaml-comment-owner.ts): the text, the comment, sops' path, and the path llmcm gave it before
  // (commit 6337cf9, CST path; the fast path refused these layouts unless said).
  const regressions: Array<[string, string, string, string]> = [
    // A column-0 comment between a key and its nested `-` block.
    ['d:\n    c:\n    # c1\n      -\n        - true\n', ' c1', 'd:c:', 'd:'],
    ['a:\n  d:\n# c1\n      -\n        - {x: 1}\n', ' c1', 'a:d:', 'a:'],
    // Column 0 inside a nested block, then a sibling: it goes with that sibling's mapping.
    ['a:\n  b:\n      - {}\n      # c1\n# c0\n  c:\n      - true\n', ' c0', 'a:', 'a:b:'],
    ['b:\n  name:\n    c: {x: 1}\n    # c3\n# c2\n  b: [a, b]\n', ' c2', 'b:', 'b:name:'],
    // Column 0 between the items of a nested list: it stays in the list.
    ['c:\n  c:\n      - w x\n      # c3\n# c2\n      -\n        - v\n', ' c2', 'c:c:', ':'],
    // A dedented comment followed by a blank line goes with what follows.
    ['d:\n   list: {}\n  # c2\n\nx: 1\n', ' c2', ':', 'd:'],
    // A block's end placed at an earlier comment at its column takes a later one.
    ['a:\n  a:\n    - a: v\n    -\n      - v\n  # c0\n    # c2\nname: 1\n', ' c2', 'a:', 'a:a:'],
    // A flow value's foot stays in it when its key (first of its mapping) has a foot comment (both
    // paths placed it in the mapping; the fast path read the first one).
    ['a:\n  a:\n  # c1\n# c2\n    a: [a, b]\n    # c0\n', ' c0', 'a:a:a:', 'a:a:'],
    // ... also when that foot is the comment after a `-` whose value starts below.
    [
      'c:\n  a:\n  - # c0\n# c3\n  # c1\n    -\n      - a: {}\n# c4\n      -\n        - v\n',
      ' c4',
      'c:a:a:',
      'c:a:',
    ],
  ];

  it('places the layouts that differed before exactly where sops does', () => {
    const results = compare(regressions.map((r) => r[0]));
    regressions.forEach(([text, comment, sops], i) => {
      const r = results[i]!;
      expect(r.encrypted?.[comment], text).toBe(sops);
      expect(r.cst[comment], text).toBe(sops);
      if (r.fast) expect(r.fast[comment], text).toBe(sops);
    });
  });

  /**
   * The property, on batches of layouts (one oracle run per batch): every comment that sops
   * keeps gets sops' path from both parsers. Also checks that sops' own write and read paths
   * differ only for comments after the last content line of a document (the layouts sops cannot
   * round-trip itself; llmcm follows the read path there, so `sops decrypt` opens them), apart
   * from comments sops drops when it encrypts the plaintext (counted).
   */
  function checkBatch(texts: string[], tally: Tally): void {
    for (const r of compare(texts)) {
      expect(r.encrypted, r.text).toBeDefined();
      expect(r.plain, r.text).toBeDefined();
      tally.layouts++;
      const lines = r.text.split('\n');
      for (const [comment, path] of Object.entries(r.encrypted!)) {
        tally.comments++;
        if (r.plain![comment] === undefined) tally.droppedOnWrite++;
        else if (r.plain![comment] !== path) {
          // Only where no content follows the comment in its document (the file or `---` next).
          tally.roundTrip++;
          const at = lines.findIndex((l) => l.endsWith(`#${comment}`));
          const after = lines.slice(at + 1).find((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
          expect(
            after ?? '---',
            `${r.text}\n#${comment}: sops writes ${r.plain![comment]}, reads ${path}`,
          ).toBe('---');
        }
        expect(r.cst[comment], `${r.text}\n#${comment}: sops ${path}, llmcm ${r.cst[comment]}`).toBe(path);
        if (r.fast) {
          tally.fast++;
          expect(r.fast[comment], r.text).toBe(path);
        }
      }
      // Comments yaml.v3 drops (a head comment before a block's end): any path does.
      for (const comment of Object.keys(r.cst)) if (!(comment in r.encrypted!)) tally.dropped++;
    }
  }

  interface Tally {
    layouts: number;
    comments: number;
    /** Comments also read by the fast path (a layout it accepts). */
    fast: number;
    roundTrip: number;
    dropped: number;
    /** Comments sops drops when it encrypts the plaintext, but reads in the file llmcm writes. */
    droppedOnWrite: number;
  }

  // COMMENT_ORACLE_RUNS=N runs N batches of 40 layouts (the suite runs 25: 1,000 layouts each).
  const batches = Number(process.env.COMMENT_ORACLE_RUNS ?? 25);
  const seed = process.env.COMMENT_ORACLE_SEED ? Number(process.env.COMMENT_ORACLE_SEED) : undefined;

  it.each([
    ['usual layouts (indent 2 or 4; comments like the line above, the line below, or at column 0)', true],
    ['any indentation (comments at every column, odd block indents)', false],
  ] as const)('every comment gets the path sops gives it: %s', (_title, usual) => {
    const tally: Tally = { layouts: 0, comments: 0, fast: 0, roundTrip: 0, dropped: 0, droppedOnWrite: 0 };
    fc.assert(
      fc.property(fc.array(commentLayout(usual), { minLength: 40, maxLength: 40 }), (layouts) => {
        checkBatch(layouts.map(renderCommentLayout), tally);
      }),
      { numRuns: batches, seed: seed ?? (usual ? 20261127 : 20261128) },
    );
    // The generator must reach the cases that matter.
    expect(tally.comments).toBeGreaterThan(batches * 100);
    expect(tally.roundTrip).toBeGreaterThan(0);
    // The fast path reads part of them (it leaves flow maps, `>`, `|+`, `- -`, `---` to the CST).
    expect(tally.fast).toBeGreaterThan(tally.comments / (usual ? 10 : 20));
    console.log(`${_title}: ${JSON.stringify(tally)}`);
  });
});

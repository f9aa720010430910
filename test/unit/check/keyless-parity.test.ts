import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileProjectSchemas } from '../../../src/check/schema-registry.js';
import { plaintextKeywords, validateEnvironmentSchemas } from '../../../src/check/schema-stage.js';
import { loadProject } from '../../../src/config/project.js';
import type { EnvelopeType, LoadedEnvironment } from '../../../src/config/types.js';
import { escapePointerSegment } from '../../../src/config/yaml-source.js';
import type { Finding } from '../../../src/core/findings.js';
import { projectRoot } from '../../support/tools.js';

const project = await loadProject(projectRoot);
const schemas = compileProjectSchemas(project);

// Leaf values of every sops type, including wrong ones for the schema.
const leaf = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('openai', 'gpt-4o', 'chat', 'dev', 'prod', 'https://x.test/v1', 'not a url', ''),
  fc.integer({ min: -5, max: 300_000 }),
  fc.double({ min: -3, max: 3, noNaN: true, noDefaultInfinity: true }).filter((x) => !Number.isInteger(x)),
  fc.boolean(),
);
const name = fc.constantFrom('gpt-4o', 'claude', 'mini', 'Bad Name', 'x');
const models = fc.dictionary(
  name,
  fc.record(
    {
      provider: leaf,
      model: leaf,
      params: fc.record(
        { temperature: leaf, top_p: leaf, max_tokens: leaf, stop: fc.array(leaf, { maxLength: 3 }) },
        { requiredKeys: [] },
      ),
      context_window: leaf,
      environments: fc.array(fc.oneof(fc.constantFrom('dev', 'prod'), leaf), { maxLength: 3 }),
      extra: leaf,
    },
    { requiredKeys: [] },
  ),
  { maxKeys: 3 },
);
const providers = fc.dictionary(
  fc.constantFrom('openai', 'anthropic', 'Bad'),
  fc.record(
    { type: leaf, api_key: leaf, base_url: leaf, timeout_ms: leaf, max_retries: leaf },
    { requiredKeys: [] },
  ),
  { maxKeys: 2 },
);
const gateway = fc.record(
  { master_key: leaf, max_parallel_requests: leaf, drop_params: leaf, log_level: leaf },
  { requiredKeys: [] },
);

function sopsTypeOf(value: unknown): EnvelopeType {
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return 'str';
}

/** Every leaf pointer of a tree (the empty string is never encrypted by sops). */
function leaves(value: unknown, pointer: string, out: string[]): string[] {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) leaves(v, `${pointer}/${i}`, out);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) leaves(v, `${pointer}/${escapePointerSegment(k)}`, out);
  } else if (value !== '' && value !== null) out.push(pointer);
  return out;
}

function setAt(tree: Record<string, unknown>, pointer: string, make: (old: unknown) => unknown): void {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let node = tree as Record<string, unknown>;
  for (const p of parts.slice(0, -1)) node = node[p] as Record<string, unknown>;
  const last = parts.at(-1)!;
  node[last] = make(node[last]);
}

const environment = (
  tree: Record<string, unknown>,
  secrets: Map<string, EnvelopeType>,
  decrypted: boolean,
): LoadedEnvironment => ({
  project,
  name: 'prod',
  tree,
  provenance: new Map(),
  secrets,
  decrypted,
  files: [],
});

const plaintextOnly = new Set<string>([...plaintextKeywords, 'uniqueItems']);
const keywordOf = (f: Finding) => String(f.properties?.keyword ?? f.ruleId.slice('schema/'.length));

describe('keyless validation gives the decrypted verdict for every constraint that does not need plaintext', () => {
  it('holds for arbitrary documents with arbitrary values encrypted', () => {
    fc.assert(
      fc.property(models, providers, gateway, fc.infiniteStream(fc.boolean()), (m, p, g, coin) => {
        const plain = { models: m, providers: p, gateway: g };
        const encrypted = structuredClone(plain) as Record<string, unknown>;
        const secrets = new Map<string, EnvelopeType>();
        const it = coin[Symbol.iterator]();
        for (const pointer of leaves(plain, '', [])) {
          if (!it.next().value) continue;
          setAt(encrypted, pointer, (old) => {
            const type = sopsTypeOf(old);
            secrets.set(pointer, type);
            return `ENC[AES256_GCM,data:ZmFrZQ==,iv:AAAA,tag:AAAA,type:${type}]`;
          });
        }
        const decrypted = validateEnvironmentSchemas(environment(plain, secrets, true), schemas);
        const keyless = validateEnvironmentSchemas(environment(encrypted, secrets, false), schemas);

        const notChecked = new Set(
          keyless
            .filter((f) => f.ruleId === 'schema/not-checked-encrypted')
            .flatMap((f) =>
              ((f.properties?.keywords as string[] | undefined) ?? []).map((k) => `${f.path}\t${k}`),
            ),
        );
        // Only value-dependent keywords may be left unchecked (and `type: integer` on a sops float).
        for (const entry of notChecked) {
          const [path, keyword] = entry.split('\t') as [string, string];
          expect(plaintextOnly.has(keyword) || (keyword === 'type' && secrets.get(path) === 'float')).toBe(
            true,
          );
        }
        const underSecret = (path: string) =>
          secrets.has(path) || [...secrets.keys()].some((s) => s.startsWith(`${path}/`));
        const expected = new Set<string>();
        for (const f of decrypted) {
          const keyword = keywordOf(f);
          if (
            secrets.has(f.path ?? '') &&
            (plaintextOnly.has(keyword) || notChecked.has(`${f.path}\t${keyword}`))
          ) {
            // Needs plaintext: keyless must list it instead of judging it.
            expect(notChecked.has(`${f.path}\t${keyword}`)).toBe(true);
            continue;
          }
          if (keyword === 'uniqueItems' && underSecret(f.path ?? '')) {
            expect(notChecked.has(`${f.path}\tuniqueItems`)).toBe(true);
            continue;
          }
          expected.add(
            `${secrets.has(f.path ?? '') && keyword === 'type' ? 'encrypted-type' : keyword} ${f.path}`,
          );
        }
        const actual = new Set(
          keyless
            .filter((f) => f.severity !== 'info')
            .map(
              (f) => `${f.ruleId === 'schema/encrypted-type' ? 'encrypted-type' : keywordOf(f)} ${f.path}`,
            ),
        );
        expect([...actual].sort()).toEqual([...expected].sort());
      }),
      { numRuns: 300 },
    );
  });
});

describe('the same parity through real sops encryption (codec) and decryption with the demo key', async () => {
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { stringify } = await import('yaml');
  const { encryptText } = await import('../../../src/sops/codec.js');
  const { parseIdentityText } = await import('../../../src/sops/age-keys.js');
  const { loadEnvironment } = await import('../../../src/config/environment.js');
  const identities = parseIdentityText(
    readFileSync(join(projectRoot, 'test/fixtures/demo-age-key.txt'), 'utf8'),
  );
  const recipient = 'age1nyv4jujwvwjdlk49kngtrkvd6cap79mcqf2j5dcep0lhwc54jd0qujqr94';
  const memoryReader = (files: Record<string, string>) => ({
    readFile: async (p: string) => files[p],
    listDir: async (p: string) =>
      Object.keys(files)
        .filter((f) => f.startsWith(`${p}/`) && !f.slice(p.length + 1).includes('/'))
        .map((f) => f.slice(p.length + 1))
        .sort(),
  });
  const small = fc.oneof(
    fc.string({ maxLength: 8 }),
    fc.integer({ min: -3, max: 5000 }),
    fc.boolean(),
    fc.constantFrom(0.25, 1.5, 2.75),
  );
  const doc = fc.dictionary(
    fc.constantFrom('gpt-4o', 'mini', 'Bad Name'),
    fc.record(
      {
        provider: small,
        model: small,
        params: fc.record({ temperature: small, max_tokens: small }, { requiredKeys: [] }),
        environments: fc.array(small, { maxLength: 2 }),
      },
      { requiredKeys: [] },
    ),
    { maxKeys: 2 },
  );

  it('keyless findings equal decrypted findings for everything that does not need plaintext', async () => {
    await fc.assert(
      fc.asyncProperty(doc, async (models) => {
        const file = 'environments/prod/models.yaml';
        const encrypted = await encryptText(stringify(models), { file, keyGroups: [[recipient]] });
        const files = { 'llmcm.yaml': 'environments:\n  prod: {}\nbase: null\n', [file]: encrypted };
        const reader = memoryReader(files);
        const project = await loadProject(projectRoot, { reader });
        const keyless = await loadEnvironment(project, 'prod', { reader });
        const decrypted = await loadEnvironment(project, 'prod', { reader, identities });
        expect(decrypted.decrypted).toBe(true);
        expect(decrypted.tree.models).toEqual(models);
        const k = validateEnvironmentSchemas(keyless, schemas).filter((f) => f.severity === 'error');
        const d = validateEnvironmentSchemas(decrypted, schemas).filter((f) => f.severity === 'error');
        const structural = (fs: Finding[]) =>
          fs
            .filter((f) => !plaintextOnly.has(keywordOf(f)) || !keyless.secrets.has(f.path ?? ''))
            .filter((f) => !(keywordOf(f) === 'type' && keyless.secrets.get(f.path ?? '') === 'float'))
            .map(
              (f) =>
                `${f.ruleId === 'schema/encrypted-type' ? 'schema/type' : f.ruleId} ${f.path} ${f.file}:${f.line}:${f.column}`,
            )
            .sort();
        expect(structural(k)).toEqual(structural(d));
      }),
      { numRuns: 15 },
    );
  });
});

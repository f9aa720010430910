import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { LlmcmError } from '../../../src/core/errors.js';
import { decryptText, encryptText } from '../../../src/sops/index.js';
import { makeKey } from './support.js';

let key: Awaited<ReturnType<typeof makeKey>>;
beforeAll(async () => {
  key = await makeKey();
});

// Strings start with a letter so yaml.v3 and the yaml package agree they are strings (a bare
// `2024-01-01` or `1_000` is a time / an int to sops, by design).
const text = fc.string({
  maxLength: 12,
  unit: fc.constantFrom('a', 'b', ' ', ':', '#', '-', '"', "'", '\n', 'é', '{', '%', '\\', '\t'),
});
const str = text.map((s) => `s${s}`);
const leaf = fc.oneof(
  str,
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
  fc.boolean(),
  fc.constant(null),
);
const keyName = fc
  .string({ minLength: 1, maxLength: 6, unit: fc.constantFrom('k', 'e', 'y', '_', 'x', ' ', '.') })
  .map((k) => `k${k}`);
const tree = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, leaf, leaf, tie('map'), tie('list')),
  map: fc.dictionary(keyName, tie('node'), { maxKeys: 4 }),
  list: fc.array(tie('node'), { maxLength: 3 }),
})).map;

describe('properties', () => {
  it('encrypt → decrypt round-trips arbitrary YAML trees', async () => {
    await fc.assert(
      fc.asyncProperty(tree, async (obj) => {
        const plaintext = stringify(obj);
        const encrypted = await encryptText(plaintext, { file: 'p.yaml', keyGroups: [[key.recipient]] });
        const decrypted = await decryptText(encrypted, { file: 'p.yaml', identities: key.ids });
        expect(parse(decrypted) ?? {}).toEqual(parse(plaintext) ?? {});
      }),
      { numRuns: Number(process.env.SOPS_PROP_RUNS ?? 60) },
    );
  });

  it('any single-character change inside a value envelope, the MAC or lastmodified is detected', async () => {
    const plaintext = 'api_key: sk-canary-123456\nlist:\n  - one\n  - 2\nflag: true\n';
    const encrypted = await encryptText(plaintext, { file: 'p.yaml', keyGroups: [[key.recipient]] });
    // Protected regions: every ENC[...] (values and MAC) and the lastmodified timestamp.
    const regions: Array<[number, number]> = [];
    for (const m of encrypted.matchAll(/ENC\[[^\]]*\]/g)) regions.push([m.index!, m.index! + m[0].length]);
    const lm = /lastmodified: "([^"]+)"/.exec(encrypted)!;
    regions.push([lm.index + lm[0].indexOf('"') + 1, lm.index + lm[0].length - 1]);
    const positions = regions.flatMap(([a, b]) => Array.from({ length: b - a }, (_, i) => a + i));
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=,:[] Tz-.';
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...positions), fc.constantFrom(...alphabet), async (pos, ch) => {
        fc.pre(encrypted[pos] !== ch);
        const tampered = encrypted.slice(0, pos) + ch + encrypted.slice(pos + 1);
        const error = await decryptText(tampered, { file: 'p.yaml', identities: key.ids }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, `change at ${pos} to ${ch} went unnoticed`).toBeInstanceOf(LlmcmError);
        expect((error as Error).message).not.toContain('canary');
      }),
      { numRuns: Number(process.env.SOPS_TAMPER_RUNS ?? 200) },
    );
  });
});

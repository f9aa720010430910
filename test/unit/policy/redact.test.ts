import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findUnredactedSecret } from '../../../src/policy/policy-schemas.js';
import { redactConfig } from '../../../src/policy/redact.js';

const canary = 'sk-CANARY-3f9a1c77d2';

describe('redactConfig', () => {
  it('replaces encrypted, ENC[...] and plaintext secrets by markers', () => {
    const tree = {
      providers: {
        openai: { api_key: 'ENC[AES256_GCM,data:abc,iv:x,tag:y,type:str]', base_url: 'https://x' },
        anthropic: { api_key: canary },
      },
      gateway: { master_key: canary, database_url: canary, pin_token: 1234 },
      models: { m: { max_tokens: 10 } },
    };
    const out = redactConfig(tree, new Set(['/gateway/master_key']));
    expect(out).toEqual({
      providers: {
        openai: { api_key: { $secret: 'encrypted' }, base_url: 'https://x' },
        anthropic: { api_key: { $secret: 'plaintext' } },
      },
      gateway: {
        master_key: { $secret: 'encrypted' },
        database_url: { $secret: 'plaintext' },
        pin_token: { $secret: 'plaintext' },
      },
      models: { m: { max_tokens: 10 } },
    });
    expect(JSON.stringify(out)).not.toContain(canary);
  });

  it('keeps only the state of an existing marker', () => {
    expect(redactConfig({ x: { $secret: 'encrypted', value: canary } })).toEqual({
      x: { $secret: 'encrypted' },
    });
    expect(redactConfig({ x: { $secret: 'weird' } })).toEqual({ x: { $secret: 'plaintext' } });
  });

  it('leaves no plain value under a secret-looking key, for any tree', () => {
    const secretKey = fc.constantFrom(
      'api_key',
      'apikey',
      'token',
      'password',
      'webhook_secret',
      'signing-key',
      'DSN',
    );
    const key = fc.oneof(fc.string(), secretKey);
    const tree = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.string(),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('node'), { maxLength: 3 }),
        fc.dictionary(key, tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    fc.assert(
      fc.property(tree, (value) => {
        expect(findUnredactedSecret(redactConfig(value))).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});

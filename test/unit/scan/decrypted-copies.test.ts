/** Which SOPS file a decrypted copy came from, when siblings share its keys (no sops binary needed). */
import { describe, expect, it } from 'vitest';
import { encryptedShape, findDecryptedCopies } from '../../../src/scan/sops-aware.js';

/** A SOPS-shaped YAML file whose ciphertexts are as long as the given plaintexts (as AES-GCM's are). */
function sopsFile(values: Record<string, string>): string {
  const lines = Object.entries(values).map(([k, v]) => {
    const data = Buffer.alloc(Buffer.byteLength(v), 7).toString('base64');
    return `${k}: ENC[AES256_GCM,data:${data},iv:aXZpdml2aXZpdml2,tag:dGFndGFndGFndGFn,type:str]`;
  });
  return `${lines.join('\n')}\nsops:\n    mac: ENC[AES256_GCM,data:bWFj,iv:aXY=,tag:dGFn,type:str]\n    version: 3.9.0\n`;
}

describe('findDecryptedCopies', () => {
  const plain = { master_key: 'prod-master-0123456789', webhook_secret: 'prod-hook-abc' };

  it('picks the sibling whose ciphertext lengths match the copy, not the first one that covers its keys', () => {
    const dev = sopsFile({ master_key: 'dev-m', webhook_secret: 'dev-w' });
    const prod = sopsFile(plain);
    const shapes = new Map([
      ['dev.yaml', encryptedShape('dev.yaml', dev)!],
      ['prod.yaml', encryptedShape('prod.yaml', prod)!],
    ]);
    const copy = `master_key: ${plain.master_key}\nwebhook_secret: ${plain.webhook_secret}\n`;
    const hits = findDecryptedCopies('copy.yaml', copy, shapes);
    expect(hits.map((h) => [h.startLine, h.description])).toEqual([
      [1, 'decrypted copy of SOPS file prod.yaml'],
      [2, 'decrypted copy of SOPS file prod.yaml'],
    ]);
  });

  it('prefers the sibling with more of the copy’s encrypted keys, and reports them all', () => {
    const small = sopsFile({ master_key: 'x'.repeat(22) });
    const large = sopsFile({
      master_key: 'y'.repeat(22),
      signing_key: 'z'.repeat(9),
      database_url: 'u'.repeat(5),
    });
    const shapes = new Map([
      ['a/small.yaml', encryptedShape('a/small.yaml', small)!],
      ['b/large.yaml', encryptedShape('b/large.yaml', large)!],
    ]);
    const copy = `master_key: ${'m'.repeat(22)}\nsigning_key: ${'s'.repeat(9)}\ndatabase_url: ${'d'.repeat(5)}\n`;
    const hits = findDecryptedCopies('copy.yaml', copy, shapes);
    expect(hits.map((h) => h.startLine)).toEqual([1, 2, 3]);
    expect(new Set(hits.map((h) => h.description))).toEqual(
      new Set(['decrypted copy of SOPS file b/large.yaml']),
    );
  });

  it('is not fooled by a file that shares too few keys', () => {
    const shapes = new Map([['s.yaml', encryptedShape('s.yaml', sopsFile({ a: 'x', b: 'y', c: 'z' }))!]]);
    expect(findDecryptedCopies('copy.yaml', 'a: x\nother: y\n', shapes)).toEqual([]);
  });
});

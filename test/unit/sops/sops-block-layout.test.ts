import { describe, expect, it } from 'vitest';
import { keepSopsBlockLayout } from '../../../src/sops/formats/sops-block-layout.js';

const sopsStyle = `a: ENC[x]
sops:
    age:
        - recipient: age1abc
          enc: |
            -----BEGIN AGE ENCRYPTED FILE-----
            QUJD
            -----END AGE ENCRYPTED FILE-----
    lastmodified: "2026-01-01T00:00:00Z"
    mac: ENC[old]
    version: 3.13.3
`;

const rendered = (mac: string, recipient = 'age1abc') => `a: ENC[x]
b: ENC[y]
sops:
  age:
    - enc: |
        -----BEGIN AGE ENCRYPTED FILE-----
        QUJD
        -----END AGE ENCRYPTED FILE-----
      recipient: ${recipient}
  lastmodified: "2026-02-02T00:00:00Z"
  mac: ${mac}
  version: 3.13.3
`;

describe('keepSopsBlockLayout', () => {
  it('keeps the original block layout when only mac and lastmodified changed', () => {
    const out = keepSopsBlockLayout(sopsStyle, rendered('ENC[new]'));
    expect(out).toBe(
      `a: ENC[x]\nb: ENC[y]\n${sopsStyle
        .slice(sopsStyle.indexOf('sops:'))
        .replace('2026-01-01T00:00:00Z', '2026-02-02T00:00:00Z')
        .replace('ENC[old]', 'ENC[new]')}`,
    );
  });

  it('falls back to the rendered block when anything else in the metadata changed', () => {
    const text = rendered('ENC[new]', 'age1other');
    expect(keepSopsBlockLayout(sopsStyle, text)).toBe(text);
  });

  it('leaves multi-document texts alone', () => {
    const text = `${rendered('ENC[new]')}---\n${rendered('ENC[two]')}`;
    expect(keepSopsBlockLayout(`${sopsStyle}---\n${sopsStyle}`, text)).toBe(text);
  });
});

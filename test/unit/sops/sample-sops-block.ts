/** A syntactically complete `sops:` metadata block (fake key and MAC) for YAML reader tests. */
export const sampleSopsBlock = `sops:
    age:
        - recipient: age1qqqq
          enc: |
            -----BEGIN AGE ENCRYPTED FILE-----
            YWJj
            -----END AGE ENCRYPTED FILE-----
    lastmodified: "2026-01-01T00:00:00Z"
    mac: ENC[AES256_GCM,data:abcd,iv:abcd,tag:abcd,type:str]
    unencrypted_suffix: _unencrypted
    version: 3.13.3
`;

/**
 * True- and false-positive samples for every rule of llmcm's default rule set. Samples are built
 * at runtime from pieces (`j(...)`) and a seeded generator so this file holds nothing key-shaped.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadDefaultConfig } from '../../../src/scan/config/load-config.js';
import { Detector } from '../../../src/scan/detect/detector.js';

const j = (...parts: string[]): string => parts.join('');

let state = 12345;
/** mulberry32: deterministic and well mixed (key-like samples need realistic entropy). */
function next(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function rnd(alphabet: string, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(next() * alphabet.length)];
  return s;
}
const AZ = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const az = 'abcdefghijklmnopqrstuvwxyz';
const D = '0123456789';
const ALNUM = AZ + az + D;
const URL64 = `${ALNUM}_-`;
const HEX = '0123456789abcdef';
const MARK = j('T3Blbk', 'FJ');

const config = loadDefaultConfig();
const detector = new Detector(config);

function ruleIdsIn(text: string, file = 'sample.txt'): string[] {
  return detector.detect({ raw: text, filePath: file, commit: '', startLine: 1 }).map((f) => f.ruleId);
}

interface Samples {
  tp: string[];
  fp: string[];
}

const samples: Record<string, Samples> = {
  'openai-api-key': {
    tp: [`OPENAI_API_KEY=${j('s', 'k-')}${rnd(ALNUM, 20)}${MARK}${rnd(ALNUM, 20)}`],
    fp: [`${j('s', 'k-')}${rnd(ALNUM, 48)}`, `${j('s', 'k-')}${rnd(ALNUM, 20)}${MARK}${rnd(ALNUM, 5)}`],
  },
  'openai-project-key': {
    tp: [
      `key: ${j('sk-', 'proj-')}${rnd(URL64, 64)}${MARK}${rnd(URL64, 64)}`,
      `${j('sk-', 'svcacct-')}${rnd(URL64, 40)}${MARK}${rnd(URL64, 40)}`,
    ],
    fp: [`${j('sk-', 'proj-')}${rnd(URL64, 40)}`, `${j('sk-', 'proj-')}xxxxxxxxxxxxxxxx`],
  },
  'openai-admin-key': {
    tp: [`OPENAI_ADMIN_KEY="${j('sk-', 'admin-')}${rnd(URL64, 80)}"`],
    fp: [`${j('sk-', 'admin-')}${'a'.repeat(60)}`, `${j('sk-', 'admin-')}short`],
  },
  'anthropic-api-key': {
    tp: [`ANTHROPIC_API_KEY=${j('sk-ant', '-api03-')}${rnd(URL64, 93)}AA`],
    fp: [`${j('sk-ant', '-api03-')}${rnd(URL64, 40)}`, `${j('sk-ant', '-api03-')}${rnd(URL64, 93)}BB`],
  },
  'anthropic-admin-key': {
    tp: [`${j('sk-ant', '-admin01-')}${rnd(URL64, 93)}AA`],
    fp: [`${j('sk-ant', '-admin01-')}${rnd(URL64, 20)}AA`],
  },
  'google-api-key': {
    tp: [`GEMINI_API_KEY=${j('AI', 'za')}${rnd(URL64, 35)}`],
    fp: [`${j('AI', 'za')}${rnd(URL64, 20)}`, `${j('AI', 'za')}${rnd(URL64, 36)}`],
  },
  'gcp-service-account-key': {
    tp: [`{"type": "service_account", "private_key_id": "${rnd(HEX, 40)}"}`],
    fp: [`{"private_key_id": "${rnd(HEX, 12)}"}`, `{"key_id": "${rnd(HEX, 40)}"}`],
  },
  'azure-openai-key': {
    tp: [`AZURE_OPENAI_API_KEY=${rnd(HEX, 32)}`, `azure_ai_key: "${rnd(ALNUM, 84)}"`],
    fp: [`AZURE_OPENAI_ENDPOINT=https://x.openai.azure.com/`, `AZURE_OPENAI_API_KEY=${rnd(HEX, 20)}`],
  },
  'aws-access-key-id': {
    tp: [`aws_access_key_id = ${j('AK', 'IA')}${rnd('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}`],
    fp: [
      `${j('AK', 'IA')}${rnd('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 10)}`,
      `${j('AK', 'IA')}AAAAAAAAAAAAAAAA`,
    ],
  },
  'aws-secret-access-key': {
    tp: [`aws_secret_access_key = ${rnd(`${ALNUM}/+`, 40)}`],
    fp: [`aws_secret_access_key = ${'a'.repeat(40)}`, `aws_region = ${rnd(ALNUM, 40)}`],
  },
  'aws-bedrock-api-key': {
    tp: [`AWS_BEARER_TOKEN_BEDROCK=${j('AB', 'SK')}${rnd(`${ALNUM}+/`, 120)}=`],
    fp: [`${j('AB', 'SK')}${rnd(ALNUM, 30)}`],
  },
  'cohere-api-key': {
    tp: [`COHERE_API_KEY=${rnd(ALNUM, 40)}`],
    fp: [`COHERE_API_KEY=${rnd(ALNUM, 20)}`, `cohere_model = command-r-plus-08-2024-abcdefghijk`],
  },
  'mistral-api-key': {
    tp: [`MISTRAL_API_KEY="${rnd(ALNUM, 32)}"`],
    fp: [`MISTRAL_API_KEY="${'A'.repeat(32)}"`, `mistral_model: mistral-large-latest`],
  },
  'groq-api-key': {
    tp: [`GROQ_API_KEY=${j('gs', 'k_')}${rnd(ALNUM, 52)}`],
    fp: [`${j('gs', 'k_')}${rnd(ALNUM, 20)}`],
  },
  'huggingface-token': {
    tp: [`HF_TOKEN=${j('h', 'f_')}${rnd(AZ + az, 34)}`],
    fp: [`${j('h', 'f_')}${rnd(AZ + az, 10)}`, `${j('h', 'f_')}${'a'.repeat(34)}`],
  },
  'replicate-api-token': {
    tp: [`REPLICATE_API_TOKEN=${j('r', '8_')}${rnd(ALNUM, 37)}`],
    fp: [`${j('r', '8_')}${rnd(ALNUM, 12)}`],
  },
  'together-api-key': {
    tp: [`TOGETHER_API_KEY=${rnd(HEX, 64)}`, `${j('tgp', '_v1_')}${rnd(URL64, 43)}`],
    fp: [`TOGETHER_API_KEY=${rnd(HEX, 30)}`, `together_model: meta-llama/Llama-3-70b`],
  },
  'perplexity-api-key': {
    tp: [`PPLX_API_KEY=${j('pp', 'lx-')}${rnd(ALNUM, 48)}`],
    fp: [`${j('pp', 'lx-')}${rnd(ALNUM, 12)}`],
  },
  'langsmith-api-key': {
    tp: [`LANGSMITH_API_KEY=${j('lsv', '2_pt_')}${rnd(HEX, 32)}_${rnd(HEX, 10)}`],
    fp: [`${j('lsv', '2_pt_')}${rnd(HEX, 10)}`],
  },
  'pinecone-api-key': {
    tp: [
      `PINECONE_API_KEY=${j('pc', 'sk_')}${rnd(ALNUM, 6)}_${rnd(ALNUM, 64)}`,
      `pinecone_key: "${rnd(HEX, 8)}-${rnd(HEX, 4)}-${rnd(HEX, 4)}-${rnd(HEX, 4)}-${rnd(HEX, 12)}"`,
    ],
    fp: [
      `${j('pc', 'sk_')}${rnd(ALNUM, 6)}`,
      `request_id: "${rnd(HEX, 8)}-${rnd(HEX, 4)}-${rnd(HEX, 4)}-${rnd(HEX, 4)}-${rnd(HEX, 12)}"`,
    ],
  },
  'age-secret-key': {
    tp: [`${j('AGE-SECRET', '-KEY-1')}${rnd('QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L', 58)}`],
    fp: [
      `${j('AGE-SECRET', '-KEY-1')}${rnd('QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L', 20)}`,
      'age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs',
    ],
  },
  'private-key': {
    tp: [
      `${j('-----BEGIN ', 'RSA PRIVATE', ' KEY-----')}\n${rnd(`${ALNUM}+/`, 64)}\n${rnd(`${ALNUM}+/`, 64)}\n${j('-----END ', 'RSA PRIVATE', ' KEY-----')}`,
      `${j('-----BEGIN ', 'OPENSSH PRIVATE', ' KEY-----')}\r\n${rnd(`${ALNUM}+/`, 70)}\r\n${j('-----END ', 'OPENSSH PRIVATE', ' KEY-----')}`,
    ],
    fp: [
      `${j('-----BEGIN ', 'PUBLIC', ' KEY-----')}\n${rnd(ALNUM, 64)}\n${j('-----END ', 'PUBLIC', ' KEY-----')}`,
      `${j('-----BEGIN ', 'RSA PRIVATE', ' KEY-----')}\n...\n`,
    ],
  },
  'github-token': {
    tp: [`GITHUB_TOKEN=${j('gh', 'p_')}${rnd(ALNUM, 36)}`, `${j('gh', 's_')}${rnd(ALNUM, 36)}`],
    fp: [`${j('gh', 'p_')}${rnd(ALNUM, 20)}`, `${j('gh', 'x_')}${rnd(ALNUM, 36)}`],
  },
  'github-fine-grained-token': {
    tp: [`${j('github', '_pat_')}${rnd(`${ALNUM}_`, 82)}`],
    fp: [`${j('github', '_pat_')}${rnd(ALNUM, 30)}`],
  },
  'slack-token': {
    tp: [`SLACK_BOT_TOKEN=${j('xo', 'xb-')}${rnd(D, 12)}-${rnd(D, 13)}-${rnd(ALNUM, 24)}`],
    fp: [`${j('xo', 'xb-')}123`, `${j('xo', 'xb-')}not-a-token`],
  },
  'slack-webhook-url': {
    tp: [
      `webhook: ${j('https://hooks', '.slack.com/services/')}T${rnd(AZ + D, 8)}/B${rnd(AZ + D, 8)}/${rnd(ALNUM, 24)}`,
    ],
    fp: ['https://api.slack.com/apps', `${j('https://hooks', '.slack.com/services/')}TXXXX`],
  },
  jwt: {
    tp: [
      `Authorization: Bearer ${j('ey', 'J')}${rnd(URL64, 30)}.${j('ey', 'J')}${rnd(URL64, 50)}.${rnd(URL64, 43)}`,
    ],
    fp: [`${j('ey', 'J')}${rnd(URL64, 5)}.${j('ey', 'J')}x.y`, 'eyes.eyebrows.eyelashes'],
  },
  'generic-api-key': {
    tp: [
      `db_password = "${rnd(ALNUM, 24)}"`,
      `client_secret: ${rnd(ALNUM, 32)}`,
      `"apiKey": "${rnd(ALNUM, 28)}"`,
    ],
    fp: [
      'password = "changeme-changeme"',
      `secret_file: /etc/llm/${rnd(az, 20)}.yaml`,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${VAR} placeholder, not a template
      'api_key: "${OPENAI_API_KEY}"',
      'token: ENC[AES256_GCM,data:QmFzZTY0RGF0YQ==,iv:abc,tag:def,type:str]',
      `api_key = "${'x'.repeat(30)}"`,
      `secret = "${rnd(ALNUM, 24)}" # gitleaks:allow`,
    ],
  },
};

describe('default rule set', () => {
  it('loads, and every rule has samples', () => {
    const ids = config.orderedRuleIds;
    expect(ids.length).toBeGreaterThanOrEqual(28);
    expect(ids.filter((id) => !(id in samples))).toEqual([]);
  });

  for (const [ruleId, { tp, fp }] of Object.entries(samples)) {
    describe(ruleId, () => {
      tp.forEach((text, i) => {
        it(`finds true positive #${i + 1}`, () => {
          expect(ruleIdsIn(text)).toContain(ruleId);
        });
      });
      fp.forEach((text, i) => {
        it(`ignores false positive #${i + 1}`, () => {
          expect(ruleIdsIn(text)).not.toContain(ruleId);
        });
      });
    });
  }

  it('a specific rule wins over the generic one on the same line', () => {
    const text = `api_key = "${j('gh', 'p_')}${rnd(ALNUM, 36)}"`;
    expect(ruleIdsIn(text)).toEqual(['github-token']);
  });

  it('skips lock files and node_modules', () => {
    const text = `token: ${j('gh', 'p_')}${rnd(ALNUM, 36)}`;
    expect(ruleIdsIn(text, 'package-lock.json')).toEqual([]);
    expect(ruleIdsIn(text, 'a/node_modules/x/y.js')).toEqual([]);
  });

  it('masked non-ASCII text gives the same findings as the unicode forms (property)', () => {
    // The fast path for non-ASCII text runs maskable patterns' ASCII forms on a masked copy; the
    // reference runs every pattern's unicode form. Non-ASCII characters (BMP and astral, the two
    // non-ASCII members of ASCII fold orbits, DEL) are inserted at random places of the samples.
    const unicodeOnly = new Detector(config, { maskNonAscii: false });
    const maskable = config.orderedRuleIds.filter((id) => config.rules.get(id)?.regex?.maskable);
    expect(maskable.length).toBeGreaterThan(15);
    const sampleTexts = Object.values(samples).flatMap((s) => [...s.tp, ...s.fp]);
    const inserted = fc.constantFrom('é', 'ü', '世界', '😀', '\u212a', '\u017f', '\x7f', '\u00a0', '\u2028');
    const edit = fc.tuple(fc.nat(), inserted);
    const texts = fc
      .tuple(fc.subarray(sampleTexts, { minLength: 1, maxLength: 4 }), fc.array(edit, { maxLength: 4 }))
      .map(([lines, edits]) => {
        let text = lines.join('\n');
        for (const [at, ins] of edits) {
          const i = at % (text.length + 1);
          text = text.slice(0, i) + ins + text.slice(i);
        }
        return `${text} é`;
      });
    let findings = 0;
    fc.assert(
      fc.property(texts, (text) => {
        const fragment = { raw: text, filePath: 'sample.txt', commit: '', startLine: 1 };
        const fast = detector.detect(fragment);
        const reference = unicodeOnly.detect(fragment);
        findings += reference.length;
        expect(fast).toEqual(reference);
      }),
      { numRuns: 300, seed: 20261127 },
    );
    expect(findings).toBeGreaterThan(100);
  });
});

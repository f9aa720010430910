/**
 * A generated corpus with planted secrets for parity tests against the real gitleaks. Every secret
 * is assembled at runtime from a seeded PRNG and split prefixes, so this file itself contains no
 * key-shaped string (our own scan and push protection stay quiet).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** Deterministic PRNG (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const BECH32 = 'QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L';
const HEX = '0123456789abcdef';
const B64 = `${ALNUM}+/`;
const B64URL = `${ALNUM}_-`;

/** Random text generators for each kind of secret. */
export class SecretFactory {
  constructor(private readonly rand: () => number) {}

  pick(alphabet: string, n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(this.rand() * alphabet.length)];
    return s;
  }

  aws(): string {
    return ['AK', 'IA'].join('') + this.pick(UPPER32, 16);
  }
  awsSecret(): string {
    return this.pick(B64, 40);
  }
  githubPat(): string {
    return ['gh', 'p_'].join('') + this.pick(ALNUM, 36);
  }
  slackBot(): string {
    return `${['xo', 'xb-'].join('')}${this.pick('0123456789', 12)}-${this.pick('0123456789', 12)}-${this.pick(ALNUM, 24)}`;
  }
  openaiProject(): string {
    return `${['sk', '-proj-'].join('')}${this.pick(B64URL, 60)}${['T3Blbk', 'FJ'].join('')}${this.pick(B64URL, 60)}`;
  }
  openaiLegacy(): string {
    return `${['s', 'k-'].join('')}${this.pick(ALNUM, 20)}${['T3Blbk', 'FJ'].join('')}${this.pick(ALNUM, 20)}`;
  }
  anthropic(): string {
    return `${['sk-ant', '-api03-'].join('')}${this.pick(B64URL, 93)}AA`;
  }
  googleApi(): string {
    return ['AI', 'za'].join('') + this.pick(B64URL, 35);
  }
  stripe(): string {
    return ['sk', '_live_'].join('') + this.pick(ALNUM, 24);
  }
  jwt(): string {
    const part = (n: number): string => ['ey', 'J'].join('') + this.pick(B64URL, n);
    return `${part(30)}.${part(60)}.${this.pick(B64URL, 43)}`;
  }
  age(): string {
    return ['AGE-SECRET', '-KEY-1'].join('') + this.pick(BECH32, 58);
  }
  huggingface(): string {
    return ['h', 'f_'].join('') + this.pick('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 34);
  }
  groq(): string {
    return ['gs', 'k_'].join('') + this.pick(ALNUM, 52);
  }
  perplexity(): string {
    return ['pp', 'lx-'].join('') + this.pick(ALNUM, 48);
  }
  langsmith(): string {
    return `${['lsv', '2_pt_'].join('')}${this.pick(HEX, 32)}_${this.pick(HEX, 10)}`;
  }
  replicate(): string {
    return ['r', '8_'].join('') + this.pick(ALNUM, 37);
  }
  pinecone(): string {
    return `${['pc', 'sk_'].join('')}${this.pick(ALNUM, 6)}_${this.pick(ALNUM, 64)}`;
  }
  generic(n = 32): string {
    return this.pick(ALNUM, n);
  }
  hex(n: number): string {
    return this.pick(HEX, n);
  }
  privateKey(eol = '\n'): string {
    const kind = ['PRIVATE', 'KEY'].join(' ');
    const lines = [`-----BEGIN RSA ${kind}-----`];
    for (let i = 0; i < 8; i++) lines.push(this.pick(B64, 64));
    lines.push(`${this.pick(B64, 20)}==`, `-----END RSA ${kind}-----`);
    return lines.join(eol);
  }
}

function write(root: string, rel: string, content: string | Uint8Array): void {
  const file = join(root, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
}

/** Filler text that looks like config but holds no secrets. */
function filler(f: SecretFactory, lines: number): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    out.push(`# setting ${i}: model=${f.pick('abcdefghij', 6)} temperature=0.${i % 10} retries=${i % 5}`);
  }
  return out.join('\n');
}

/** Writes the working-tree corpus (many formats, CRLF, multi-line secrets, big files, a binary). */
export function writeCorpus(root: string, seed = 42): void {
  const f = new SecretFactory(seededRandom(seed));
  write(
    root,
    'app/.env',
    [
      `OPENAI_API_KEY=${f.openaiProject()}`,
      `ANTHROPIC_API_KEY=${f.anthropic()}`,
      `GROQ_API_KEY=${f.groq()}`,
      `HF_TOKEN=${f.huggingface()}`,
      `PPLX=${f.perplexity()}`,
      `LANGSMITH_API_KEY=${f.langsmith()}`,
      `REPLICATE_API_TOKEN=${f.replicate()}`,
      `PINECONE_API_KEY=${f.pinecone()}`,
      `DATABASE_PASSWORD=${f.generic(24)}`,
      'EMPTY_SECRET=',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${VAR} placeholder, not a template
      'API_KEY=${API_KEY}',
      '',
    ].join('\n'),
  );
  write(
    root,
    'config/llm.yaml',
    [
      'providers:',
      '  openai:',
      `    api_key: "${f.openaiLegacy()}"`,
      '  google:',
      `    api_key: ${f.googleApi()}`,
      '  aws:',
      `    aws_access_key_id: ${f.aws()}`,
      `    aws_secret_access_key: ${f.awsSecret()}`,
      '  placeholder:',
      '    api_key: "aaaaaaaaaaaaaaaaaaaaaaaa"',
      '    token: changeme',
      `  allowed_inline: "${f.githubPat()}" # gitleaks:allow`,
      '',
    ].join('\n'),
  );
  write(
    root,
    'config/service.json',
    `${JSON.stringify(
      {
        type: 'service_account',
        private_key_id: f.hex(40),
        private_key: `${f.privateKey('\n')}\n`,
        client_secret: f.generic(32),
        slack: { bot_token: f.slackBot() },
      },
      null,
      2,
    )}\n`,
  );
  write(root, 'keys/id_rsa', `${f.privateKey('\n')}\n`);
  write(root, 'keys/windows.pem', `${f.privateKey('\r\n')}\r\n`);
  write(
    root,
    'src/client.py',
    [
      'import os',
      '',
      `STRIPE_KEY = "${f.stripe()}"`,
      `github_token = '${f.githubPat()}'`,
      `jwt = "${f.jwt()}"`,
      `    secret_key = "${f.generic(40)}"  # indented`,
      `ünïcödé = "ß"; api_token = "${f.generic(30)}"`,
      '',
    ].join('\n'),
  );
  write(
    root,
    'src/crlf.properties',
    [`db.password=${f.generic(20)}`, `slack.token=${f.slackBot()}`, `aws.key=${f.aws()}`, ''].join('\r\n'),
  );
  write(
    root,
    'docs/readme.md',
    `# Setup\n\nExport \`AWS_ACCESS_KEY_ID=${f.aws()}\` then run.\n\n${filler(f, 20)}\n`,
  );
  write(
    root,
    'terraform/main.tf',
    `provider "aws" {\n  access_key = "${f.aws()}"\n  secret_key = "${f.awsSecret()}"\n}\n`,
  );
  write(root, 'secrets/age.txt', `# created: 2024-01-01\n# public key: age1xyz\n${f.age()}\n`);
  // A large file: secrets near gitleaks' 100 kB chunk boundary and beyond it.
  const big: string[] = [];
  let size = 0;
  let planted = 0;
  while (size < 260_000) {
    let line = `log line ${big.length} ${f.pick(ALNUM, 60)}`;
    if (
      (size > 99_000 && planted === 0) ||
      (size > 150_000 && planted === 1) ||
      (size > 240_000 && planted === 2)
    ) {
      line = `token = "${f.githubPat()}"`;
      planted++;
    }
    if (big.length % 97 === 0) line = '';
    big.push(line);
    size += line.length + 1;
  }
  write(root, 'logs/big.log', `${big.join('\n')}\n`);
  // Binary: skipped by both.
  write(root, 'bin/archive.gz', gzipSync(Buffer.from(`key=${f.aws()}\n`)));
  write(root, 'web/app.js', `const cfg = { apiKey: "${f.googleApi()}", auth: "${f.generic(28)}" };\n`);
  write(root, 'misc/no-newline.txt', `final_secret=${f.generic(26)}`);
  // Encoded secrets: gitleaks decodes base64, hex, percent and unicode escapes (recursively).
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const hexed = (s: string): string => Buffer.from(s).toString('hex');
  const unicodeEscaped = (s: string): string =>
    [...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
  write(
    root,
    'encoded/values.yaml',
    [
      `blob: ${b64(`aws_access_key_id = ${f.aws()}`)}`,
      `hexed: ${hexed(`token: ${f.githubPat()}`)}`,
      `url: https://example.test/cb?token%3D${f.githubPat()}%26x%3D1`,
      `escaped: "${unicodeEscaped(`password = "${f.generic(24)}"`)}"`,
      `nested: ${b64(b64(`GITHUB_TOKEN=${f.githubPat()}`))}`,
      `noise: ${b64('just some harmless text here')}`,
      `urlsafe: ${Buffer.from(`slack ${f.slackBot()}`).toString('base64url')}`,
      '',
    ].join('\n'),
  );
}

/** git with a fixed identity and dates, so commits are reproducible. */
export function gitIn(dir: string, args: string[], date = '2024-01-01T00:00:00Z'): string {
  return execFileSync('git', args, {
    cwd: dir,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Corpus Author',
      GIT_AUTHOR_EMAIL: 'corpus@example.test',
      GIT_COMMITTER_NAME: 'Corpus Author',
      GIT_COMMITTER_EMAIL: 'corpus@example.test',
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_DATE: date,
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: dir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  }).toString();
}

/**
 * A repository whose history adds, edits, deletes and renames files with secrets, plus a side
 * branch (not merged) and a merge commit.
 */
export function buildHistoryRepo(repo: string, seed = 7): void {
  rmSync(repo, { recursive: true, force: true });
  mkdirSync(repo, { recursive: true });
  const f = new SecretFactory(seededRandom(seed));
  let day = 1;
  const commit = (message: string): void => {
    gitIn(repo, ['add', '-A']);
    gitIn(
      repo,
      ['commit', '-q', '--allow-empty', '-m', message],
      `2024-02-${String(day++).padStart(2, '0')}T10:00:00Z`,
    );
  };
  gitIn(repo, ['init', '-q', '-b', 'main']);
  writeCorpus(repo, seed);
  commit('initial corpus');

  // Edit: add a secret line in the middle of an existing file, and change an unrelated line.
  write(
    repo,
    'config/llm.yaml',
    [
      'providers:',
      '  openai:',
      `    api_key: "${f.openaiLegacy()}"`,
      `  anthropic:\n    api_key: ${f.anthropic()}`,
      '  google:',
      `    api_key: ${f.googleApi()}`,
      '',
    ].join('\n'),
  );
  commit('rotate llm keys');

  // Delete a file with secrets.
  rmSync(join(repo, 'terraform'), { recursive: true });
  commit('drop terraform');

  // Pure rename (no new findings), then rename with a modification (only the new line counts).
  renameSync(join(repo, 'keys/id_rsa'), join(repo, 'keys/deploy_key'));
  commit('rename key');
  renameSync(join(repo, 'src/client.py'), join(repo, 'src/api_client.py'));
  const appended = `\nextra_secret = "${f.generic(36)}"\n`;
  writeFileSync(
    join(repo, 'src/api_client.py'),
    `${execFileSync('cat', [join(repo, 'src/api_client.py')]).toString()}${appended}`,
  );
  commit('rename client and add a secret');

  // CRLF edit.
  writeFileSync(
    join(repo, 'src/crlf.properties'),
    `db.password=${f.generic(22)}\r\nslack.token=${f.slackBot()}\r\n`,
  );
  commit('crlf change');

  // Side branch with a leak, merged back; and an unmerged branch with another.
  gitIn(repo, ['checkout', '-q', '-b', 'feature']);
  write(repo, 'feature/notes.env', `GITHUB_TOKEN=${f.githubPat()}\n`);
  commit('feature work');
  gitIn(repo, ['checkout', '-q', 'main']);
  write(repo, 'docs/changelog.md', `# changes\n\n- token: ${f.stripe()}\n`);
  commit('changelog');
  gitIn(repo, ['merge', '-q', '--no-ff', '-m', 'merge feature', 'feature'], '2024-03-01T10:00:00Z');
  gitIn(repo, ['checkout', '-q', '-b', 'unmerged']);
  write(repo, 'wip/scratch.py', `aws = "${f.aws()}"\npassword = "${f.generic(30)}"\n`);
  commit('wip');
  gitIn(repo, ['checkout', '-q', 'main']);

  // Remove a secret line, then re-add the same line later (reported again at its commit).
  write(repo, 'app/extra.env', `SECRET_TOKEN=${f.generic(32)}\nOTHER=1\n`);
  commit('extra env');
  gitIn(repo, ['tag', 'v1']);
}

/**
 * A randomized corpus: files assembled line by line from assignment styles, quoting, key-shaped
 * values of many providers, noise, non-ASCII text, tabs and CRLF, for fuzz-style parity runs.
 */
export function writeRandomCorpus(root: string, seed: number, files = 40): void {
  const rand = seededRandom(seed);
  const f = new SecretFactory(rand);
  const choose = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const values = [
    () => f.aws(),
    () => f.awsSecret(),
    () => f.githubPat(),
    () => f.slackBot(),
    () => f.openaiProject(),
    () => f.openaiLegacy(),
    () => f.anthropic(),
    () => f.googleApi(),
    () => f.stripe(),
    () => f.jwt(),
    () => f.age(),
    () => f.huggingface(),
    () => f.groq(),
    () => f.perplexity(),
    () => f.langsmith(),
    () => f.replicate(),
    () => f.pinecone(),
    () => f.generic(8 + Math.floor(rand() * 40)),
    () => f.hex(32),
    () => f.hex(40),
    () => 'changeme',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${VAR} placeholder, not a template
    () => '${SECRET_VALUE}',
    () => 'aaaaaaaaaaaaaaaaaaaa',
    () =>
      `ENC[AES256_GCM,data:${f.pick('ABCDEFabcdef0123456789+/', 24)}=,iv:${f.pick('ABCDEF0123456789', 43)}=,tag:x==,type:str]`,
  ];
  const keys = [
    'api_key',
    'apiKey',
    'SECRET',
    'token',
    'password',
    'client_secret',
    'auth',
    'key',
    'aws_secret_access_key',
    'GITHUB_TOKEN',
    'db.pass',
    'credentials',
    'note',
    'value',
    'private_key',
    'cohere_key',
    'mistral_api_key',
  ];
  const styles = [
    (k: string, v: string) => `${k}=${v}`,
    (k: string, v: string) => `${k}: "${v}"`,
    (k: string, v: string) => `  ${k}: ${v}`,
    (k: string, v: string) => `"${k}": "${v}",`,
    (k: string, v: string) => `export ${k.toUpperCase()}='${v}'`,
    (k: string, v: string) => `${k} := "${v}"`,
    (k: string, v: string) => `const ${k.replace(/\W/g, '_')} = \`${v}\`;`,
    (k: string, v: string) => `<${k}>${v}</${k}>`,
    (k: string, v: string) => `# ${k} ${v} gitleaks:allow`,
    (k: string, v: string) => `${k}\t=\t${v} ; trailing`,
    (_k: string, v: string) => `Authorization: Bearer ${v}`,
    (k: string, v: string) => `ünïcødé ${k} → ${v} ✓`,
  ];
  const noise = () =>
    choose([
      '',
      '# comment',
      'model: gpt-4o',
      'temperature: 0.7',
      '{',
      '}',
      'x'.repeat(1 + Math.floor(rand() * 200)),
      'lorem ipsum dolor sit amet',
      '\t\t',
    ]);
  for (let i = 0; i < files; i++) {
    const lines: string[] = [];
    const n = 5 + Math.floor(rand() * 60);
    for (let l = 0; l < n; l++) {
      const r = rand();
      if (r < 0.45) lines.push(choose(styles)(choose(keys), choose(values)()));
      else if (r < 0.5) lines.push(f.privateKey(rand() < 0.5 ? '\n' : '\r\n'));
      else lines.push(noise());
    }
    const eol = rand() < 0.25 ? '\r\n' : '\n';
    const ext = choose(['yaml', 'env', 'json', 'py', 'ts', 'txt', 'properties', 'xml']);
    write(root, `r${i % 5}/file-${i}.${ext}`, lines.join(eol) + (rand() < 0.8 ? eol : ''));
  }
}

import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../support/tools.js';

const cli = join(projectRoot, 'dist', 'cli', 'main.js');

/** Key-shaped test values, assembled at runtime (see test/interop/scan/corpus.ts for why). */
function token(seed: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = ['gh', 'p_'].join('');
  let x = seed;
  for (let i = 0; i < 36; i++) {
    x = (x * 48271) % 2147483647;
    s += alphabet[x % alphabet.length];
  }
  return s;
}

describe('llmcm scan / hooks install: built CLI in temp git repos', () => {
  let repo: string;
  const secrets = [token(11), token(22), token(33), token(44)];
  const env = { ...process.env, NO_COLOR: '1', LLMCM_FINGERPRINT_KEY: 'e2e-key', GITLEAKS_CONFIG: '' };
  const run = (args: string[], input?: string, cwd = repo) => {
    const r = spawnSync(process.execPath, [cli, ...args], { cwd, env, input, encoding: 'utf8' });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, all: r.stdout + r.stderr };
  };
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.test', ...args], {
      cwd: repo,
      stdio: 'pipe',
      env: { ...process.env, PATH: process.env.PATH },
    }).toString();
  const noSecretIn = (text: string) => {
    for (const s of secrets) expect(text).not.toContain(s);
  };

  beforeAll(() => {
    if (!existsSync(cli)) throw new Error('dist/cli/main.js is missing: run `npm run -s build` first');
    repo = mkdtempSync(join(tmpdir(), 'llmcm-e2e-scan-'));
    git('init', '-q', '-b', 'main');
    writeFileSync(join(repo, 'README.md'), '# config repo\n');
    writeFileSync(join(repo, 'old.env'), `GITHUB_TOKEN=${secrets[0]}\n`);
    git('add', '-A');
    git('commit', '-qm', 'first');
    rmSync(join(repo, 'old.env'));
    writeFileSync(join(repo, 'app.yaml'), 'model: gpt-4o\n');
    git('add', '-A');
    git('commit', '-qm', 'remove the leak, add app');
  });

  afterAll(() => {
    if (repo) rmSync(repo, { recursive: true, force: true });
  });

  it('reports progress on stderr with --progress (a log line per interval and the final count), never on stdout', () => {
    const history = run(['scan', '--history', '--progress', '-f', 'json']);
    expect(history.code).toBe(1);
    expect(JSON.parse(history.stdout)).toHaveLength(1); // stdout is the report alone
    const commits = Number(git('rev-list', '--all', '--count').trim());
    expect(history.stderr).toContain(`llmcm: scanning history: ${commits} / ${commits} commits (100%)\n`);
    const files = run(['scan', '--progress']);
    expect(files.stderr).toMatch(/^llmcm: scanning files: (\d+) \/ \1 files \(100%\)$/m);
    // Not a terminal and not asked for: silent, as before.
    expect(run(['scan', '--history', '-f', 'json']).stderr).not.toContain('scanning history');
    expect(run(['scan', '--history', '--progress', '--no-progress', '-f', 'json']).stderr).not.toContain(
      'scanning',
    );
    noSecretIn(history.stderr);
  });

  it('exit 0 on a clean working tree', () => {
    const r = run(['scan']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/no leaks found/);
  });

  it('exit 1 on a leak; text output is redacted and tells how to ignore it', () => {
    writeFileSync(join(repo, 'leak.yaml'), `github:\n  token: ${secrets[1]}\n`);
    const r = run(['scan']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/leak\.yaml:2:\d+ {2}github-token/);
    expect(r.stdout).toMatch(/fp:[0-9a-f]{16}/);
    expect(r.stdout).toContain('leak.yaml:github-token:2');
    noSecretIn(r.all);
  });

  it('every format works and none carries the secret', () => {
    for (const format of ['json', 'sarif', 'junit', 'csv']) {
      const r = run(['scan', '--format', format]);
      expect(r.code, format).toBe(1);
      expect(r.stdout.length).toBeGreaterThan(50);
      noSecretIn(r.all);
    }
    const json = JSON.parse(run(['scan', '-f', 'json']).stdout) as {
      RuleID: string;
      File: string;
      Secret: string;
    }[];
    expect(json).toMatchObject([{ RuleID: 'github-token', File: 'leak.yaml', Secret: 'REDACTED' }]);
  });

  it('a baseline of the current findings silences them; .gitleaksignore fingerprints too', () => {
    const r = run(['scan', '-f', 'json', '--report', 'baseline.json']);
    expect(r.code).toBe(1);
    expect(run(['scan', '--baseline', 'baseline.json']).code).toBe(0);
    rmSync(join(repo, 'baseline.json'));
    writeFileSync(join(repo, '.gitleaksignore'), 'leak.yaml:github-token:2\nstale.txt:github-token:9\n');
    const ignored = run(['scan']);
    expect(ignored.code).toBe(0);
    expect(ignored.stderr).toMatch(/stale \.gitleaksignore entry.*stale\.txt/);
    rmSync(join(repo, '.gitleaksignore'));
  });

  it('bad input gets exit 2 with the file named, even when leaks exist (never mixed)', () => {
    const cases: [string, string, RegExp][] = [
      ['bad.toml', '[[rules]]\nid = "x"\nregex = \n', /bad\.toml:3: invalid TOML/],
      [
        'unknown.toml',
        '[[rules]]\nid = "x"\nregex = "a"\nfoo = 1\n',
        /unknown\.toml:4: unknown field 'foo' in rule 'x'/,
      ],
      [
        'regex.toml',
        "[[rules]]\nid = \"brk\"\nregex = '''(a'''\n",
        /regex\.toml:3: rule 'brk': regex does not compile/,
      ],
    ];
    for (const [name, text, expected] of cases) {
      writeFileSync(join(tmpdir(), name), text);
      const r = run(['scan', '--config', join(tmpdir(), name)]);
      expect(r.code, name).toBe(2);
      expect(r.stderr).toMatch(expected);
    }
    writeFileSync(join(repo, 'not-a-report.json'), '{"RuleID": 1}');
    const baseline = run(['scan', '--baseline', 'not-a-report.json']);
    expect(baseline.code).toBe(2);
    expect(baseline.stderr).toMatch(/not-a-report\.json: the baseline is not a gitleaks\/llmcm JSON report/);
    rmSync(join(repo, 'not-a-report.json'));
    const ref = run(['scan', '--base', 'no-such-branch']);
    expect(ref.code).toBe(2);
    expect(ref.stderr).toMatch(/ref 'no-such-branch' does not exist/);
    expect(run(['scan', '--format', 'yaml']).code).toBe(2);
  });

  it('--history finds a secret deleted long ago, attributed to the commit that added it', () => {
    const first = git('rev-list', '--max-parents=0', 'HEAD').trim();
    const r = run(['scan', '--history', '-f', 'json']);
    expect(r.code).toBe(1);
    const findings = JSON.parse(r.stdout) as { File: string; Commit: string; Author: string }[];
    expect(findings).toEqual([expect.objectContaining({ File: 'old.env', Commit: first, Author: 'e2e' })]);
    noSecretIn(r.all);
  });

  it('--base/--head scans only lines added in the range', () => {
    git('checkout', '-q', '-b', 'feature');
    writeFileSync(join(repo, 'feature.env'), `TOKEN=${secrets[2]}\n`);
    git('add', 'feature.env');
    git('commit', '-qm', 'feature leak');
    const range = run(['scan', '--base', 'main', '--head', 'feature', '-f', 'json']);
    expect(range.code).toBe(1);
    expect((JSON.parse(range.stdout) as { File: string }[]).map((f) => f.File)).toEqual(['feature.env']);
    expect(run(['scan', '--base', 'feature', '--head', 'feature']).code).toBe(0);
  });

  it('git scans run from a subfolder use the repository root; outside a repository they exit 2', () => {
    mkdirSync(join(repo, 'deep', 'er'), { recursive: true });
    const fromSub = run(['scan', '--history', '-f', 'json'], undefined, join(repo, 'deep', 'er'));
    expect(fromSub.code).toBe(1);
    expect((JSON.parse(fromSub.stdout) as { File: string }[]).map((f) => f.File)).toContain('old.env');
    const outside = mkdtempSync(join(tmpdir(), 'llmcm-e2e-norepo-'));
    for (const mode of [['--history'], ['--staged'], ['--base', 'main']]) {
      const r = run(['scan', ...mode], undefined, outside);
      expect(r.code, mode.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/is not a git repository/);
    }
    rmSync(outside, { recursive: true, force: true });
  });

  it('--stdin scans standard input', () => {
    expect(run(['scan', '--stdin'], `x = ${secrets[3]}\n`).code).toBe(1);
    expect(run(['scan', '--stdin'], 'nothing here\n').code).toBe(0);
  });

  it('a rule over its time budget is a warning naming the rule and the file', () => {
    const cfg = join(tmpdir(), 'slow.toml');
    // (?m)^ becomes a lookbehind, which V8's linear-time fallback does not support: it stays slow.
    writeFileSync(cfg, "[[rules]]\nid = \"slow\"\nregex = '''(?m)^(?:a|aa)+(?:a|aa)+b'''\n");
    writeFileSync(join(repo, 'slow.txt'), `${'a'.repeat(26)}\n`);
    const r = run(['scan', 'slow.txt', '--config', cfg, '--rule-budget-ms', '5']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: rule slow took \d+ ms on slow\.txt/);
    rmSync(join(repo, 'slow.txt'));
  });

  it('catastrophic backtracking cannot stall a scan (V8 falls back to its linear-time engine)', () => {
    const cfg = join(tmpdir(), 'exponential.toml');
    writeFileSync(cfg, "[[rules]]\nid = \"exp\"\nregex = '''(?:a|aa)+(?:a|aa)+b'''\n");
    // 2^40 backtracking steps without the fallback: the timeout would kill the scan.
    writeFileSync(join(repo, 'exp.txt'), `${'a'.repeat(40)}\n`);
    const r = spawnSync(process.execPath, [cli, 'scan', 'exp.txt', '--config', cfg], {
      cwd: repo,
      env,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(0);
    rmSync(join(repo, 'exp.txt'));
  });

  it('a crafted pattern on a non-ASCII line finishes within the budget (masked ASCII form), findings intact', () => {
    const cfg = join(tmpdir(), 'exponential-nonascii.toml');
    writeFileSync(cfg, "[[rules]]\nid = \"exp\"\nregex = '''(a|aa)+(a|aa)+b'''\n");
    writeFileSync(join(repo, 'exp.txt'), `é${'a'.repeat(3000)}c\nü aab\n`);
    // The timeout is only a safety net: without the masked form this runs for minutes.
    const r = spawnSync(
      process.execPath,
      [cli, 'scan', 'exp.txt', '--config', cfg, '--rule-budget-ms', '500', '--format', 'json'],
      { cwd: repo, env, encoding: 'utf8', timeout: 60_000 },
    );
    rmSync(join(repo, 'exp.txt'));
    expect(r.status).toBe(1);
    expect(r.stderr).not.toMatch(/warning/);
    expect((JSON.parse(r.stdout) as { StartLine: number }[]).map((f) => f.StartLine)).toEqual([2]);
  });

  it('a crafted pattern no fast form can take is stopped at the budget: a warning, other rules still run', () => {
    const cfg = join(tmpdir(), 'exponential-unmaskable.toml');
    // (?i)s folds to U+017F, so the masked form does not apply; the deadline does.
    writeFileSync(
      cfg,
      `[[rules]]\nid = "exp"\nregex = '''(?i)s?(a|aa)+(a|aa)+b'''\n[[rules]]\nid = "tok"\nregex = '''${secrets[3]!.slice(0, 4)}[A-Za-z0-9]{36}'''\n`,
    );
    writeFileSync(join(repo, 'exp.txt'), `é${'a'.repeat(3000)}c\nx = ${secrets[3]}\n`);
    const r = spawnSync(
      process.execPath,
      [cli, 'scan', 'exp.txt', '--config', cfg, '--rule-budget-ms', '300'],
      {
        cwd: repo,
        env,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    rmSync(join(repo, 'exp.txt'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/warning: rule exp took \d+ ms on exp\.txt/);
    expect(r.stdout).toContain('tok');
    noSecretIn(r.stdout + r.stderr);
  });

  it('hooks install: refuses to clobber, --force keeps a backup, and the hook blocks a leaking commit', () => {
    git('checkout', '-q', 'main');
    rmSync(join(repo, 'leak.yaml'), { force: true });
    const hook = join(repo, '.git', 'hooks', 'pre-commit');
    mkdirSync(join(repo, '.git', 'hooks'), { recursive: true });
    writeFileSync(hook, '#!/bin/sh\necho mine\n');
    chmodSync(hook, 0o755);
    const refused = run(['hooks', 'install']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/pre-commit hook already exists/);
    expect(readFileSync(hook, 'utf8')).toBe('#!/bin/sh\necho mine\n');
    const forced = run(['hooks', 'install', '--force']);
    expect(forced.code).toBe(0);
    expect(readFileSync(`${hook}.bak`, 'utf8')).toContain('echo mine');
    expect(readFileSync(hook, 'utf8')).toContain('scan --staged');
    expect(run(['hooks', 'install']).code).toBe(0); // re-installing our own hook is fine

    // Staged scan sees only what is being added.
    writeFileSync(join(repo, 'staged.env'), `NEW_TOKEN=${secrets[3]}\n`);
    git('add', 'staged.env');
    const staged = run(['scan', '--staged', '-f', 'json']);
    expect(staged.code).toBe(1);
    expect((JSON.parse(staged.stdout) as { File: string }[]).map((f) => f.File)).toEqual(['staged.env']);
    const blocked = spawnSync(
      'git',
      ['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.test', 'commit', '-qm', 'leak'],
      {
        cwd: repo,
        encoding: 'utf8',
        env,
      },
    );
    expect(blocked.status).not.toBe(0);
    expect(blocked.stdout + blocked.stderr).toMatch(/staged\.env:1:\d+ {2}github-token/);
    noSecretIn(blocked.stdout + blocked.stderr);
    git('rm', '-q', '--cached', 'staged.env');
    rmSync(join(repo, 'staged.env'));
    writeFileSync(join(repo, 'ok.yaml'), 'temperature: 0.2\n');
    git('add', 'ok.yaml');
    const ok = spawnSync(
      'git',
      ['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.test', 'commit', '-qm', 'ok'],
      {
        cwd: repo,
        encoding: 'utf8',
        env,
      },
    );
    expect(ok.status).toBe(0);
  });

  it('the hook scans what `git commit -a` and `git commit PATHS` commit (their temporary index, GIT_INDEX_FILE)', () => {
    // The leak is in the work tree only: .git/index does not have it, the temporary index git builds
    // for the commit (and names in GIT_INDEX_FILE) does.
    expect(run(['hooks', 'install', '--force']).code).toBe(0);
    const before = git('rev-parse', 'HEAD');
    writeFileSync(join(repo, 'app.yaml'), `model: gpt-4o\ngithub_token: ${secrets[2]}\n`);
    expect(run(['scan', '--staged']).code).toBe(0); // nothing staged in .git/index
    const commit = (...args: string[]) =>
      spawnSync('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.test', 'commit', ...args], {
        cwd: repo,
        encoding: 'utf8',
        env,
      });
    for (const args of [
      ['-a', '-qm', 'all'],
      ['-qm', 'paths', 'app.yaml'],
    ]) {
      const blocked = commit(...args);
      expect(blocked.status, args.join(' ')).not.toBe(0);
      expect(blocked.stdout + blocked.stderr).toMatch(/app\.yaml:2:\d+ {2}github-token/);
      noSecretIn(blocked.stdout + blocked.stderr);
    }
    expect(git('rev-parse', 'HEAD')).toBe(before); // nothing was committed
    git('checkout', '-q', '--', 'app.yaml');
    // An index llmcm cannot read there is an error naming it (exit 2), never a scan of .git/index.
    writeFileSync(join(repo, '.git', 'odd-index'), 'DIRC not really');
    const odd = spawnSync(process.execPath, [cli, 'scan', '--staged'], {
      cwd: repo,
      env: { ...env, GIT_INDEX_FILE: '.git/odd-index' },
      encoding: 'utf8',
    });
    expect(odd.status).toBe(2);
    expect(odd.stderr).toMatch(/cannot read the git index .*odd-index \(GIT_INDEX_FILE\)/);
    rmSync(join(repo, '.git', 'odd-index'));
  });
});

describe('llmcm scan in a shallow clone (typical CI checkout)', () => {
  it('treats the shallow boundary as a root instead of failing on missing parents', () => {
    const work = mkdtempSync(join(tmpdir(), 'llmcm-e2e-shallow-'));
    const origin = join(work, 'origin');
    const git = (cwd: string, ...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.test', ...args], {
        cwd,
        stdio: 'pipe',
      }).toString();
    mkdirSync(origin);
    git(origin, 'init', '-q', '-b', 'main');
    for (let i = 0; i < 4; i++) {
      writeFileSync(join(origin, `f${i}.txt`), `value ${i}\n`);
      git(origin, 'add', '-A');
      git(origin, 'commit', '-qm', `c${i}`);
    }
    writeFileSync(join(origin, 'leak.env'), `TOKEN=${token(55)}\n`);
    git(origin, 'add', '-A');
    git(origin, 'commit', '-qm', 'leak');
    git(work, 'clone', '-q', '--depth', '2', `file://${origin}`, 'clone');
    const clone = join(work, 'clone');
    const r = spawnSync(process.execPath, [cli, 'scan', '--history', '-f', 'json'], {
      cwd: clone,
      env: { ...process.env, LLMCM_FINGERPRINT_KEY: 'k' },
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    expect((JSON.parse(r.stdout) as { File: string }[]).map((f) => f.File)).toEqual(['leak.env']);
    rmSync(work, { recursive: true, force: true });
  });
});

describe('llmcm scan --staged in a clone whose objects live in an alternate (clone --shared)', () => {
  it('sees only what is staged: committed files are read through the alternate, not reported again', () => {
    const work = mkdtempSync(join(tmpdir(), 'llmcm-e2e-staged-alt-'));
    const git = (cwd: string, ...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.test', ...args], {
        cwd,
        stdio: 'pipe',
      }).toString();
    const env = { ...process.env, NO_COLOR: '1', LLMCM_FINGERPRINT_KEY: 'e2e-key', GITLEAKS_CONFIG: '' };
    const scanStaged = (cwd: string) => {
      const r = spawnSync(process.execPath, [cli, 'scan', '--staged', '-f', 'json'], {
        cwd,
        env,
        encoding: 'utf8',
      });
      return {
        code: r.status,
        files: r.status === 2 ? r.stderr : (JSON.parse(r.stdout) as { File: string }[]).map((f) => f.File),
      };
    };
    try {
      const origin = join(work, 'origin');
      mkdirSync(origin);
      git(origin, 'init', '-q', '-b', 'main');
      // A secret committed long ago: the hook must not report it on every later commit.
      writeFileSync(join(origin, 'old.env'), `GITHUB_TOKEN=${token(55)}\n`);
      writeFileSync(join(origin, 'app.yaml'), 'model: gpt-4o\n');
      git(origin, 'add', '-A');
      git(origin, 'commit', '-qm', 'first');
      git(origin, 'gc', '-q');
      git(work, 'clone', '-q', '--shared', origin, 'clone');
      const clone = join(work, 'clone');
      expect(existsSync(join(clone, '.git', 'objects', 'info', 'alternates'))).toBe(true);
      writeFileSync(join(clone, 'app.yaml'), 'model: gpt-4o-mini\n');
      git(clone, 'add', 'app.yaml');
      expect(scanStaged(clone)).toEqual({ code: 0, files: [] });
      writeFileSync(join(clone, 'new.env'), `NEW_TOKEN=${token(66)}\n`);
      git(clone, 'add', 'new.env');
      expect(scanStaged(clone)).toEqual({ code: 1, files: ['new.env'] });
      // Without the alternate HEAD cannot be read: an error (exit 2), not "everything is new".
      rmSync(join(clone, '.git', 'objects', 'info', 'alternates'));
      const broken = scanStaged(clone);
      expect(broken.code).toBe(2);
      expect(broken.files).toMatch(/missing|cannot be read/);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('llmcm scan --staged during a merge with conflicts', () => {
  it('reads the unmerged index through isomorphic-git (the direct reader declines it) and finds what is staged', () => {
    const work = mkdtempSync(join(tmpdir(), 'llmcm-e2e-staged-merge-'));
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.test', ...args], {
        cwd: work,
        stdio: 'pipe',
      }).toString();
    try {
      git('init', '-q', '-b', 'main');
      writeFileSync(join(work, 'x.yaml'), 'level: 1\n');
      git('add', '-A');
      git('commit', '-qm', 'one');
      git('checkout', '-qb', 'side');
      writeFileSync(join(work, 'x.yaml'), 'level: 2\n');
      git('commit', '-qam', 'side');
      git('checkout', '-q', 'main');
      writeFileSync(join(work, 'x.yaml'), 'level: 3\n');
      git('commit', '-qam', 'main');
      expect(spawnSync('git', ['merge', '-q', 'side'], { cwd: work }).status).not.toBe(0);
      expect(git('ls-files', '-s', 'x.yaml')).toMatch(/ 1\tx\.yaml\n.* 2\tx\.yaml\n.* 3\tx\.yaml/);
      writeFileSync(join(work, 'new.env'), `NEW_TOKEN=${token(77)}\n`);
      git('add', 'new.env');
      const r = spawnSync(process.execPath, [cli, 'scan', '--staged', '-f', 'json'], {
        cwd: work,
        env: { ...process.env, NO_COLOR: '1', LLMCM_FINGERPRINT_KEY: 'e2e-key' },
        encoding: 'utf8',
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(1);
      expect((JSON.parse(r.stdout) as { File: string }[]).map((f) => f.File)).toEqual(['new.env']);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

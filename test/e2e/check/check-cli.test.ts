import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithTools, projectRoot, toolPath } from '../../support/tools.js';

// The package bin: check runs from its code-cached bundle (see src/cli/launch.cts).
const cli = join(projectRoot, 'dist', 'cli', 'launch.cjs');
const keyFile = join(projectRoot, 'test/fixtures/demo-age-key.txt');

describeWithTools(
  ['sops', 'age-keygen'],
  'llmcm check / render / secret generate: built CLI in a temp git repo',
  () => {
    let repo: string;
    const baseEnv = {
      ...process.env,
      NO_COLOR: '1',
      HOME: '',
      XDG_CONFIG_HOME: '/nonexistent',
      SOPS_AGE_KEY_FILE: '',
      SOPS_AGE_KEY: '',
    };
    const keyless = { ...baseEnv };
    const withKey = { ...baseEnv, SOPS_AGE_KEY_FILE: keyFile };
    const run = (args: string[], env: NodeJS.ProcessEnv) => {
      const r = spawnSync(process.execPath, [cli, ...args], { cwd: repo, env, encoding: 'utf8' });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.test', ...args], {
        cwd: repo,
        stdio: 'pipe',
      });
    const sops = (args: string[]) =>
      execFileSync(toolPath('sops')!, args, {
        cwd: repo,
        env: { ...process.env, SOPS_AGE_KEY_FILE: keyFile },
        stdio: 'pipe',
      }).toString();

    beforeAll(() => {
      if (!existsSync(cli)) throw new Error('dist/cli/launch.cjs is missing: run `npm run -s build` first');
      repo = mkdtempSync(join(tmpdir(), 'llmcm-e2e-check-'));
      for (const part of ['llmcm.yaml', '.sops.yaml', 'environments', 'schemas'])
        cpSync(join(projectRoot, part), join(repo, part), { recursive: true });
      git('init', '-q');
      git('add', '-A');
      git('commit', '-qm', 'config repo');
    });
    afterAll(() => rmSync(repo, { recursive: true, force: true }));

    it('without keys: structure and envelope types are checked, exit 0, plaintext constraints listed', () => {
      const r = run(['check'], keyless);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('keys absent');
      expect(r.stdout).toContain('/gateway/master_key: not checked: encrypted (minLength)');
      expect(r.stdout).toMatch(/✔ llmcm check: 0 errors/);
    });

    it('with keys: decrypted and checked in full, exit 0, same verdict', () => {
      const r = run(['check', '--format', 'json'], withKey);
      expect(r.code).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report.decrypted).toBe(true);
      expect(report.summary).toMatchObject({ errors: 0, warnings: 0, notes: 0 });
    });

    it('a schema error made with sops set: exit 1 with file:line:column, and a semantic diff against --base', () => {
      sops(['set', 'environments/prod/models.yaml', '["gpt-4o"]["params"]["temperature"]', '3']);
      for (const env of [keyless, withKey]) {
        const r = run(['check', '--base', 'HEAD'], env);
        expect(r.code).toBe(1);
        expect(r.stdout).toMatch(
          /environments\/prod\/models\.yaml\n {2}\d+:\d+ +error +\/models\/gpt-4o\/params\/temperature must be <= 2/,
        );
        expect(r.stdout).toContain('~ models.gpt-4o.params.temperature: 0.1 → 3');
        expect(r.stdout).toContain('untouched since base: dev, staging');
      }
      const sarif = JSON.parse(run(['check', '--base', 'HEAD', '--format', 'sarif'], keyless).stdout);
      expect(
        sarif.runs[0].results.find((x: { ruleId: string }) => x.ruleId === 'schema/maximum').locations[0]
          .physicalLocation.artifactLocation.uri,
      ).toBe('environments/prod/models.yaml');
      const github = run(['check', '--env', 'prod', '--format', 'github'], keyless).stdout;
      expect(github).toMatch(
        /^::error file=environments\/prod\/models\.yaml,line=\d+,col=\d+,title=schema\/maximum::/m,
      );
      git('checkout', '--', 'environments/prod/models.yaml');
    });

    it('secret generate writes a strong secret without printing it; the diff shows a keyed fingerprint', () => {
      const before = sops(['decrypt', '--extract', '["master_key"]', 'environments/prod/gateway.yaml']);
      const r = run(
        ['secret', 'generate', 'environments/prod/gateway.yaml', 'master_key', '--bits', '192'],
        withKey,
      );
      expect(r.code).toBe(0);
      const after = sops(['decrypt', '--extract', '["master_key"]', 'environments/prod/gateway.yaml']);
      expect(after).not.toBe(before);
      expect(after.length).toBeGreaterThanOrEqual(32);
      expect(r.stdout + r.stderr).not.toContain(after);
      const check = run(['check', '--base', 'HEAD', '--no-policy'], {
        ...withKey,
        LLMCM_FINGERPRINT_KEY: 'e2e',
      });
      expect(check.code).toBe(0);
      expect(check.stdout).toMatch(/~ gateway\.master_key \(secret, changed fp:[0-9a-f]{16}\)/);
      expect(check.stdout).not.toContain(after);
      expect(check.stdout).not.toContain(before);
      const noKey = run(['check', '--base', 'HEAD'], keyless);
      expect(noKey.stdout).toContain('ciphertext only');
    });

    it('secret generate needs a key (exit 3) and refuses a key the sops rules would leave in clear (exit 2)', () => {
      expect(run(['secret', 'generate', 'environments/prod/gateway.yaml', 'master_key'], keyless).code).toBe(
        3,
      );
      const r = run(['secret', 'generate', 'environments/prod/gateway.yaml', 'log_level'], withKey);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('would not be encrypted');
    });

    it('render: gateway configs reference secrets; --reveal prints values only when asked', () => {
      const litellm = run(['render', 'prod', '--format', 'litellm'], withKey);
      expect(litellm.code).toBe(0);
      expect(litellm.stdout).toContain('api_key: os.environ/PROVIDERS_OPENAI_API_KEY');
      expect(litellm.stdout).not.toContain('sk-proj-');
      const portkey = JSON.parse(run(['render', 'staging', '--format', 'portkey'], keyless).stdout);
      expect(portkey.configs.chat.strategy.mode).toBe('fallback');
      expect(run(['render', 'prod', '--format', 'json', '--reveal'], withKey).stdout).toContain(
        'sk-proj-DEMOprodFAKE',
      );
      expect(run(['render', 'prod', '--format', 'json', '--reveal'], keyless).stdout).toContain(
        'ENC[AES256_GCM',
      );
    });

    it('with policies and keys: passes per rule and file in json, junit and sarif, never a value', () => {
      const dir = mkdtempSync(join(tmpdir(), 'llmcm-e2e-check-policy-'));
      try {
        for (const part of ['llmcm.yaml', '.sops.yaml', 'environments', 'schemas', 'policies'])
          cpSync(join(projectRoot, part), join(dir, part), { recursive: true });
        const check = (format: string) => {
          const r = run(['check', '--dir', dir, '--format', format], withKey);
          expect(r.stderr).toBe('');
          expect([0, 1]).toContain(r.code);
          return r.stdout;
        };
        const json = check('json');
        const report = JSON.parse(json);
        expect(report.decrypted).toBe(true);
        expect(report.passes.length).toBeGreaterThan(0);
        const pass = report.passes.find((p: { environment: string }) => p.environment === 'prod');
        expect(Object.keys(pass).sort()).toEqual(['environment', 'file', 'ruleId', 'stage']);
        const junit = check('junit');
        expect(junit).toContain(`classname="${pass.file}" name="${pass.ruleId} passes [`);
        const sarifText = check('sarif');
        const sarif = JSON.parse(sarifText);
        expect(
          sarif.runs[0].results.some(
            (r: {
              kind?: string;
              ruleId: string;
              locations: { physicalLocation: { artifactLocation: { uri: string } } }[];
            }) =>
              r.kind === 'pass' &&
              r.ruleId === pass.ruleId &&
              r.locations[0]!.physicalLocation.artifactLocation.uri === pass.file,
          ),
        ).toBe(true);
        const withoutPasses = run(['check', '--dir', dir, '--format', 'sarif', '--no-passes'], withKey);
        expect(withoutPasses.stdout).not.toContain('"kind": "pass"');
        expect(JSON.parse(withoutPasses.stdout).runs[0].results.length).toBeGreaterThan(0);
        const text = check('text');
        expect(text).toMatch(/^policy \(prod\): \d+ rules? passed, \d+ warned, \d+ denied$/m);
        // Canary: decrypted secrets the check saw appear in no format.
        const masterKey = sops(['decrypt', '--extract', '["master_key"]', 'environments/prod/gateway.yaml']);
        expect(masterKey.length).toBeGreaterThan(8);
        for (const out of [json, junit, sarifText, text, check('github')]) {
          expect(out).not.toContain(masterKey);
          expect(out).not.toContain('sk-proj-DEMO');
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('bad input: an unknown environment is exit 2 with one line and a hint, no stack trace', () => {
      const r = run(['check', '--env', 'qa'], keyless);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /^llmcm: error: llmcm\.yaml:\d+: unknown environment 'qa'\n {2}hint: environments in llmcm\.yaml: dev, staging, prod\n$/,
      );
      expect(run(['check', '--format', 'xml'], keyless).code).toBe(2);
    });

    it('bad input: malformed YAML is exit 2 naming file:line:column, with or without keys', () => {
      const file = join(repo, 'environments/dev/flags.yaml');
      const original = readFileSync(file, 'utf8');
      writeFileSync(file, original.replace('debug_logging:', 'debug_logging: [\n'));
      try {
        for (const env of [keyless, withKey]) {
          const r = run(['check'], env);
          expect(r.code).toBe(2);
          expect(r.stderr).toMatch(/^llmcm: error: environments\/dev\/flags\.yaml:\d+:\d+: malformed YAML/);
          expect(r.stderr).not.toMatch(/\n\s+at /);
        }
      } finally {
        writeFileSync(file, original);
      }
    });

    it('a key that cannot decrypt is exit 3', () => {
      const other = execFileSync(toolPath('age-keygen')!, [], {
        stdio: ['ignore', 'pipe', 'ignore'],
      }).toString();
      const r = run(['check'], { ...baseEnv, SOPS_AGE_KEY: other });
      expect(r.code).toBe(3);
      expect(r.stderr.split('\n').filter(Boolean).length).toBeLessThanOrEqual(2);
      expect(r.stderr).not.toContain(
        readFileSync(keyFile, 'utf8')
          .split('\n')
          .find((l) => l.startsWith('AGE-SECRET-KEY'))!,
      );
    });
  },
);

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CommandContext } from '../../../src/cli/command.js';
import { policyBuildCommand } from '../../../src/cli/commands/policy-build.js';
import { policyTestCommand } from '../../../src/cli/commands/policy-test.js';
import { LlmcmError } from '../../../src/core/errors.js';
import { sha256Hex } from '../../../src/policy/canonical-json.js';
import { buildPolicyBundle, checkBundleFreshness, loadPolicyEngine } from '../../../src/policy/index.js';
import { runOpa } from '../../../src/policy/opa-cli.js';
import { runPolicyTests } from '../../../src/policy/policy-test.js';
import { describeWithTools, projectRoot, toolPath, toolsBin } from '../../support/tools.js';

const withOpa = { PATH: toolsBin };
const withoutOpa = { PATH: '' };

/** A scratch project holding a copy of this repo's policies/. */
function copyProject(): string {
  const root = mkdtempSync(join(tmpdir(), 'llmcm-policy-build-'));
  cpSync(join(projectRoot, 'policies'), join(root, 'policies'), { recursive: true });
  return root;
}

async function errorOf(promise: Promise<unknown>): Promise<LlmcmError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof LlmcmError) return error;
    throw error;
  }
  throw new Error('expected an error');
}

function context(cwd: string, values: CommandContext['values'], env: NodeJS.ProcessEnv) {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (chunk) => {
    out += chunk;
  });
  const ctx: CommandContext = {
    positionals: [],
    values,
    stdout,
    stderr: new PassThrough(),
    stdin: new PassThrough(),
    cwd,
    env,
    debug: false,
    color: false,
  };
  return { ctx, output: () => out };
}

describe('committed bundle', () => {
  it('is up to date with policies/rego and policies/data (run `llmcm policy build` and commit when this fails)', () => {
    const freshness = checkBundleFreshness(projectRoot);
    expect(freshness.reason ?? 'fresh').toBe('fresh');
    expect(freshness.fresh).toBe(true);
  });
});

describeWithTools(['opa'], 'policy build with the pinned opa', () => {
  it('rebuilds the committed bundle byte for byte, twice (reproducible wasm)', async () => {
    const committed = sha256Hex(readFileSync(join(projectRoot, 'policies/bundle/bundle.tar.gz')));
    const first = copyProject();
    const second = copyProject();
    const a = await buildPolicyBundle({ root: first, force: true, env: withOpa });
    const b = await buildPolicyBundle({ root: second, force: true, env: withOpa });
    expect(a.cached).toBe(false);
    expect(a.manifest.bundle_sha256).toBe(b.manifest.bundle_sha256);
    expect(a.manifest.policy_wasm_sha256).toBe(b.manifest.policy_wasm_sha256);
    expect(a.manifest.bundle_sha256).toBe(committed);
    const again = await buildPolicyBundle({ root: first, env: withOpa });
    expect(again).toMatchObject({ cached: true, updated: false });
  });

  it('the echo fixture bundle of the unit tests is up to date', async () => {
    const dir = join(projectRoot, 'test/unit/policy/fixtures');
    const out = join(mkdtempSync(join(tmpdir(), 'llmcm-echo-')), 'echo.tar.gz');
    const args = ['build', '-t', 'wasm'];
    for (const e of ['echo', 'kind', 'conflict', 'clock', 'greeting']) args.push('-e', `fixture/${e}`);
    const result = await runOpa(toolPath('opa')!, [...args, '-o', out, 'echo-policy'], { cwd: dir });
    expect(result.stderr).toBe('');
    expect(sha256Hex(readFileSync(out))).toBe(sha256Hex(readFileSync(join(dir, 'echo-bundle.tar.gz'))));
  });

  it('a stale bundle is rebuilt into the cache when opa is present', async () => {
    const root = copyProject();
    writeFileSync(
      join(root, 'policies/rego/llmcm/config/extra.rego'),
      'package llmcm.config\n\nextra := true\n',
    );
    expect(checkBundleFreshness(root).fresh).toBe(false);
    const engine = await loadPolicyEngine({ root, decisionLog: false, env: withOpa });
    expect(engine.stale).toBe(true);
    expect(readFileSync(join(root, 'policies/bundle/manifest.json'), 'utf8')).not.toContain(
      engine.manifest.source_hash,
    );
  });

  it('a stale bundle without opa is a clear error naming what to install', async () => {
    const root = copyProject();
    writeFileSync(
      join(root, 'policies/data/rules.yaml'),
      `${readFileSync(join(root, 'policies/data/rules.yaml'), 'utf8')}\n# edited\n`,
    );
    const error = await errorOf(loadPolicyEngine({ root, decisionLog: false, env: withoutOpa }));
    expect(error.code).toBe('POLICY_BUNDLE_STALE');
    expect(error.message).toContain('policies changed since the bundle was built');
    expect(error.hint).toContain('go install github.com/open-policy-agent/opa@v1.22.3');
    expect(error.exitCode).toBe(2);
  });

  it('a policy that does not compile names file and line', async () => {
    const root = copyProject();
    writeFileSync(
      join(root, 'policies/rego/llmcm/config/broken.rego'),
      'package llmcm.config\n\nbroken := {"a": 1\n',
    );
    const error = await errorOf(buildPolicyBundle({ root, env: withOpa }));
    expect(error).toMatchObject({
      code: 'POLICY_COMPILE_FAILED',
      file: 'policies/rego/llmcm/config/broken.rego',
    });
    expect(error.line).toBeGreaterThanOrEqual(3);
    expect(error.message).toContain('rego_parse_error');
    expect(error.hint).toMatch(/fix the Rego syntax/);
  });

  it('a type error names file and line', async () => {
    const root = copyProject();
    writeFileSync(
      join(root, 'policies/rego/llmcm/config/typo.rego'),
      'package llmcm.config\n\nodd := count(1)\n',
    );
    const error = await errorOf(buildPolicyBundle({ root, env: withOpa }));
    expect(error).toMatchObject({
      code: 'POLICY_COMPILE_FAILED',
      file: 'policies/rego/llmcm/config/typo.rego',
      line: 3,
    });
  });

  it('a missing entrypoint says which rule to define', async () => {
    const root = copyProject();
    const access = join(root, 'policies/rego/llmcm/access/access.rego');
    writeFileSync(access, readFileSync(access, 'utf8').replace('\ndecision := {', '\nverdict := {'));
    const error = await errorOf(buildPolicyBundle({ root, env: withOpa }));
    expect(error.code).toBe('POLICY_ENTRYPOINT_MISSING');
    expect(error.message).toContain('llmcm/access/decision');
    expect(error.hint).toContain("define rule 'decision' in package llmcm.access");
  });

  it('a data file that does not parse is refused before opa runs', async () => {
    const root = copyProject();
    writeFileSync(join(root, 'policies/data/access.yaml'), 'access:\n  roles: [\n');
    const error = await errorOf(buildPolicyBundle({ root, env: withOpa }));
    expect(error).toMatchObject({ code: 'POLICY_DATA_PARSE', file: 'policies/data/access.yaml' });
    expect(error.line).toBeGreaterThan(0);
  });

  it('`llmcm policy build --check` fails on a stale bundle and `policy build` fixes it', async () => {
    const root = copyProject();
    writeFileSync(join(root, 'policies/data/extra.yaml'), 'extra_setting: 1\n');
    const check = context(root, { check: true }, withOpa);
    expect(await policyBuildCommand.run(check.ctx)).toBe(1);
    expect(check.output()).toContain('stale');
    const build = context(root, {}, withOpa);
    expect(await policyBuildCommand.run(build.ctx)).toBe(0);
    expect(build.output()).toContain('wrote policies/bundle/bundle.tar.gz');
    expect(checkBundleFreshness(root).fresh).toBe(true);
    rmSync(root, { recursive: true, force: true });
  });
});

describeWithTools(['opa'], 'opa test with coverage', () => {
  it('the policies pass `opa check --strict` and are `opa fmt` clean', async () => {
    const opa = toolPath('opa')!;
    const strict = await runOpa(opa, ['check', '--strict', 'policies/rego', 'policies/data'], {
      cwd: projectRoot,
    });
    expect(strict.stderr + strict.stdout).toBe('');
    const format = await runOpa(opa, ['fmt', '--list', 'policies/rego'], { cwd: projectRoot });
    expect(format.stdout).toBe('');
  });

  it('every rule is unit-tested with at least 90% coverage', async () => {
    const result = await runPolicyTests({ root: projectRoot, threshold: 90, env: withOpa });
    expect(result.failed).toEqual([]);
    expect(result.passed).toBeGreaterThanOrEqual(40);
    expect(result.coverage).toBeGreaterThanOrEqual(90);
    expect(result.ok).toBe(true);
    const strict = await runPolicyTests({ root: projectRoot, threshold: 100, env: withOpa });
    expect(strict.coverage).toBe(result.coverage);
    expect(strict.ok).toBe(result.coverage === 100);
  });

  it('`llmcm policy test` fails when a test fails', async () => {
    const root = copyProject();
    writeFileSync(
      join(root, 'policies/rego/llmcm/config/wrong_test.rego'),
      'package llmcm.wrong_test\n\nimport data.llmcm.config\n\ntest_wrong if count(config.deny) == 1 with input as {"now": "2026-01-01T00:00:00Z", "config": {}}\n',
    );
    const run = context(root, {}, withOpa);
    expect(await policyTestCommand.run(run.ctx)).toBe(1);
    expect(run.output()).toContain('FAIL data.llmcm.wrong_test.test_wrong');
  });
});

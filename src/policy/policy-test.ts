import { LlmcmError } from '../core/errors.js';
import { compileError, parseOpaErrors, requirePinnedOpa, runOpa } from './opa-cli.js';
import { policyLayout } from './policy-sources.js';

/** Outcome of `opa test` with coverage over the project's policies. */
export interface PolicyTestResult {
  passed: number;
  failed: Array<{ name: string; package: string; location?: string; output?: string }>;
  /** Coverage in percent, as computed by `opa test --coverage`. */
  coverage: number;
  threshold: number;
  ok: boolean;
}

interface OpaTestCase {
  name: string;
  package: string;
  fail?: boolean;
  error?: unknown;
  skip?: boolean;
  output?: string;
  location?: { file?: string; row?: number };
}

/**
 * Runs the Rego unit tests (`opa test`) and the coverage check (`opa test --coverage --threshold N`)
 * with the pinned opa: one run for per-test results, one for coverage (opa reports them separately).
 */
export async function runPolicyTests(options: {
  root: string;
  threshold?: number;
  env?: NodeJS.ProcessEnv;
}): Promise<PolicyTestResult> {
  const threshold = options.threshold ?? 90;
  const opa = await requirePinnedOpa(options.root, options.env);
  const paths = [policyLayout.rego, policyLayout.data];
  const tests = await runOpa(opa, ['test', '--format', 'json', ...paths], { cwd: options.root });
  let cases: OpaTestCase[];
  try {
    cases = JSON.parse(tests.stdout || '[]') as OpaTestCase[];
  } catch {
    throw compileError(parseOpaErrors(tests.stderr || tests.stdout), 'policy tests do not compile');
  }
  if (!Array.isArray(cases)) throw compileError(parseOpaErrors(tests.stdout), 'policy tests do not compile');
  const failed = cases
    .filter((c) => c.fail || c.error)
    .map((c) => ({
      name: c.name,
      package: c.package,
      location: c.location?.file ? `${c.location.file}:${c.location.row ?? 0}` : undefined,
      output: c.error ? JSON.stringify(c.error) : c.output,
    }));
  const coverageRun = await runOpa(opa, ['test', '--coverage', '--format', 'json', ...paths], {
    cwd: options.root,
  });
  let coverage = 0;
  try {
    coverage = Number((JSON.parse(coverageRun.stdout) as { coverage?: number }).coverage ?? 0);
  } catch {
    // With failing tests opa prints the failures instead of the coverage report.
    if (failed.length > 0)
      return { passed: cases.length - failed.length, failed, coverage: 0, threshold, ok: false };
    throw new LlmcmError('opa test --coverage printed no coverage report', {
      code: 'POLICY_TEST_FAILED',
      kind: 'internal',
      hint: (coverageRun.stderr || '').split('\n')[0] || undefined,
    });
  }
  const passed = cases.filter((c) => !c.fail && !c.error && !c.skip).length;
  return {
    passed,
    failed,
    coverage,
    threshold,
    ok: failed.length === 0 && cases.length > 0 && coverage >= threshold,
  };
}

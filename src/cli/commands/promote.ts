import { resolve } from 'node:path';
import { monotonicMs } from '../../core/clock.js';
import { usageError } from '../../core/errors.js';
import { metricsFileOption } from '../../metrics/exposition.js';
import {
  classifyPromotionError,
  type PromotionObservation,
  storeWritesOfError,
  storeWritesOfOutcome,
  writePromotionMetrics,
} from '../../metrics/promotion-metrics.js';
import { PromotionRefusedError } from '../../promote/errors.js';
import { wireGate } from '../../promote/gate.js';
import { loadProjectContext } from '../../promote/project-deps.js';
import { type PromoteOutcome, promote } from '../../promote/promote.js';
import { renderStoreResults } from '../../promote/render.js';
import { resolveSource } from '../../promote/source.js';
import { createConfiguredSigner } from '../../repo/signing.js';
import { loadAgeIdentities } from '../../sops/age-keys.js';
import { booleanOption, type CommandSpec, listOption, stringOption } from '../command.js';
import { sourceOptions } from '../shared-options.js';

/**
 * Test-only fault hook (docs/promote.md, "Fault injection"): with LLMCM_TEST_KILL_AFTER_STORES=N the
 * process SIGKILLs itself right after the N-th store was applied, to prove lock + record recovery.
 */
function killHook(env: NodeJS.ProcessEnv): ((store: string, applied: number) => void) | undefined {
  const n = Number(env.LLMCM_TEST_KILL_AFTER_STORES ?? '');
  if (!Number.isInteger(n) || n <= 0) return undefined;
  return (_store, applied) => {
    if (applied >= n) process.kill(process.pid, 'SIGKILL');
  };
}

function numberOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw usageError(`--${name} needs a non-negative number`);
  return n;
}

type SourcePicker = (
  ctx: Awaited<ReturnType<typeof loadProjectContext>>,
) => Promise<{ commit: string; description: string; fromEnvironment?: string }>;

/** What a promotion run saw, for --metrics-file: the stores once the environment is known, the outcome. */
interface PromotionSeen {
  storeNames?: string[];
  outcome?: PromoteOutcome;
}

/**
 * Shared by promote and rollback: run the gated promotion and print the outcome. With --metrics-file
 * the run's metrics are written afterwards, also when it failed or was refused (what alerts are
 * for), unless the environment itself was not valid; the exit code and error stay the run's own.
 */
export async function runPromotion(
  context: Parameters<CommandSpec['run']>[0],
  environment: string,
  operation: 'promote' | 'rollback',
  pickSource: SourcePicker,
): Promise<number> {
  const metricsFile = stringOption(context, 'metrics-file');
  if (!metricsFile) return promoteAndReport(context, environment, operation, pickSource);
  const started = monotonicMs();
  const seen: PromotionSeen = {};
  const finish = async (result: PromotionObservation['result'], stores: PromotionObservation['stores']) =>
    writePromotionMetrics(
      resolve(context.cwd, metricsFile),
      {
        environment,
        result,
        durationSeconds: (monotonicMs() - started) / 1000,
        finishedAt: new Date(),
        stores,
      },
      context.stderr,
    );
  let code: number;
  try {
    code = await promoteAndReport(context, environment, operation, pickSource, seen);
  } catch (error) {
    if (seen.storeNames)
      await finish(classifyPromotionError(error), storeWritesOfError(error, seen.storeNames));
    throw error;
  }
  if (seen.outcome) await finish(seen.outcome.status, storeWritesOfOutcome(seen.outcome));
  return code;
}

async function promoteAndReport(
  context: Parameters<CommandSpec['run']>[0],
  environment: string,
  operation: 'promote' | 'rollback',
  pickSource: SourcePicker,
  seen?: PromotionSeen,
): Promise<number> {
  const actor = stringOption(context, 'actor') ?? context.env.LLMCM_ACTOR;
  if (!actor)
    throw usageError(
      '--actor is required (or set LLMCM_ACTOR)',
      'name who promotes, as the policy knows them',
    );
  const log = (line: string) => context.stderr.write(`llmcm: ${line}\n`);
  const project = await loadProjectContext({ cwd: context.cwd, env: context.env, log });
  const { assertEnvironment } = await import('../../promote/promote.js');
  assertEnvironment(project.deps, environment);
  if (seen) seen.storeNames = project.deps.storeConfigs(environment).map((c) => c.name);
  const source = await pickSource(project);
  await wireGate(project, context.env, {
    identities: (await loadAgeIdentities(context.env)).identities,
  });
  if (booleanOption(context, 'sign')) {
    const signer = await createConfiguredSigner(project.repo);
    project.deps.onSign = signer.onSign;
    project.deps.signingKey = signer.signingKey;
  }
  const timeoutMs = numberOption(stringOption(context, 'timeout-ms'), 'timeout-ms');
  const concurrency = numberOption(stringOption(context, 'concurrency'), 'concurrency');
  const hook = killHook(context.env);
  try {
    const out = await promote(project.deps, {
      environment,
      source: source.commit,
      actor,
      approvalIds: listOption(context, 'approval'),
      ...(stringOption(context, 'plan-hash') ? { planHash: stringOption(context, 'plan-hash')! } : {}),
      force: booleanOption(context, 'force'),
      operation,
      ...(source.fromEnvironment ? { sourceEnvironment: source.fromEnvironment } : {}),
      apply: { ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(concurrency ? { concurrency } : {}) },
      ...(hook ? { afterStoreApplied: hook } : {}),
    });
    if (seen) seen.outcome = out;
    if (out.recovered) {
      context.stdout.write(
        `recovered: promotion ${out.recovered.promotionId} was interrupted (${out.recovered.reason}); recorded as ${out.recovered.record.slice(0, 12)}\n`,
      );
    }
    if (out.status === 'up-to-date') {
      context.stdout.write(
        `${environment} is up to date with ${source.description} (${source.commit.slice(0, 12)}); nothing written\n`,
      );
      return 0;
    }
    context.stdout.write(
      `${operation === 'rollback' ? 'rolled back' : 'promoted'} ${environment} to ${source.description} (${source.commit.slice(0, 12)}) as ${out.promotionId}\n` +
        `${renderStoreResults(out.stores)}\n` +
        `  approvals: ${out.approvals.map((a) => a.approver).join(', ') || 'none'}; decision: ${out.decision?.decisionId ?? 'none'}\n` +
        `  plan: ${out.plan.hash}\n` +
        `  record: ${out.record}\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof PromotionRefusedError) {
      for (const reason of error.reasons) context.stderr.write(`  - ${reason}\n`);
    }
    throw error;
  }
}

/** The promotion options shared by promote and rollback. */
export const promotionOptions: CommandSpec['options'] = {
  actor: { type: 'string', description: 'who promotes (default $LLMCM_ACTOR)', valueName: 'NAME' },
  approval: {
    type: 'string',
    multiple: true,
    description: 'approval record id (repeatable; default: every approval recorded for the source)',
    valueName: 'ID',
  },
  'plan-hash': {
    type: 'string',
    description: 'refuse unless the plan still has this hash',
    valueName: 'HASH',
  },
  force: { type: 'boolean', description: 'overwrite values llmcm did not write (drift)' },
  'timeout-ms': { type: 'string', description: 'per-call store timeout (default 30000)', valueName: 'MS' },
  concurrency: { type: 'string', description: 'stores written at once (default 4)', valueName: 'N' },
  sign: { type: 'boolean', description: "sign the record commit with git's user.signingkey (gpg or ssh)" },
  'metrics-file': metricsFileOption,
};

/** `llmcm promote <env>`. */
export const promoteCommand: CommandSpec = {
  name: 'promote',
  summary: 'apply a checked, policy-approved source to every store of an environment, all or nothing',
  usage: 'promote ENV [--from ENV | --ref REF] --actor NAME [--approval ID]... [--plan-hash H] [--force]',
  details:
    'Refuses unless check passes on the exact source commit, the policy gate allows the actor and\n' +
    'approvals, and (with --plan-hash) the plan is the reviewed one. Applies under a per-environment\n' +
    'lock; on any failure every store is restored. Every attempt is recorded on refs/llmcm/promotions/ENV.\n' +
    'Exit codes: 0 done or up to date, 1 refused (check, policy, drift), 2 bad input, 3 key error, 4 store/lock error.',
  options: {
    ...sourceOptions,
    ...promotionOptions,
  },
  minArgs: 1,
  maxArgs: 1,
  async run(context) {
    const environment = context.positionals[0]!;
    return runPromotion(context, environment, 'promote', ({ repo, project }) =>
      resolveSource(
        repo,
        environment,
        { from: stringOption(context, 'from'), ref: stringOption(context, 'ref') },
        project.promotion,
      ),
    );
  },
};

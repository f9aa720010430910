import * as fs from 'node:fs';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import git from 'isomorphic-git';
import { parse as parseYaml } from 'yaml';
import { auditKeys } from '../../audit/key-history.js';
import { verifyRecords } from '../../audit/verify.js';
import { LlmcmError } from '../../core/errors.js';
import { keyedFingerprint, resolveFingerprintKey } from '../../core/fingerprint.js';
import { packageRoot } from '../../core/package-root.js';
import { recordApproval } from '../../promote/approvals.js';
import { detectDrift } from '../../promote/drift.js';
import { PromotionRefusedError } from '../../promote/errors.js';
import { wireGate } from '../../promote/gate.js';
import { loadProjectContext, type ProjectContext } from '../../promote/project-deps.js';
import { preparePlan, promote } from '../../promote/promote.js';
import { resolveSource } from '../../promote/source.js';
import { booleanOption, type CommandSpec, stringOption } from '../command.js';

/** The example config repo: what the demo copies into its scratch git repo. */
const exampleFiles = ['environments', 'llmcm.yaml', '.sops.yaml', 'policies', 'schemas'];
const demoKeyFile = join('test', 'fixtures', 'demo-age-key.txt');
const demoRecipientPattern = /public key: (age1[0-9a-z]+)/;

/** Who plays which part (members of policies/data/access.yaml). */
const cast = {
  dev: { actor: 'rita', approvers: [] as string[] },
  staging: { actor: 'rita', approvers: ['carol'] },
  prod: { actor: 'ravi', approvers: ['rita', 'sam'] },
} as const;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * The demo must work on any day, but the example policy data has real freeze windows (year-end).
 * When one covers today, the demo's gate clock moves to the end of that freeze and says so.
 * Only the demo does this; `llmcm promote` always uses the real time.
 */
export function demoClock(dir: string, now: Date): { now: Date; note?: string } {
  const file = join(dir, 'policies', 'data', 'change_windows.yaml');
  if (!existsSync(file)) return { now };
  const data = parseYaml(readFileSync(file, 'utf8')) as {
    change_windows?: { freezes?: { name?: string; start?: string; end?: string }[] };
  };
  const iso = `${now.toISOString().slice(0, 19)}Z`;
  const active = (data.change_windows?.freezes ?? []).filter(
    (f) => typeof f.start === 'string' && typeof f.end === 'string' && f.start <= iso && iso < f.end,
  );
  if (active.length === 0) return { now };
  const end = active
    .map((f) => f.end as string)
    .sort()
    .at(-1) as string;
  return {
    now: new Date(Date.parse(end) + 1000),
    note: `(today is inside the example freeze window '${active.map((f) => f.name).join("', '")}': the demo evaluates the gate as of ${end})`,
  };
}

async function commitAll(dir: string, message: string, author: string): Promise<string> {
  const base = { fs, dir };
  const status = await git.statusMatrix(base);
  for (const [filepath, head, workdir] of status) {
    if (workdir === 0 && head === 1) await git.remove({ ...base, filepath });
    else if (workdir !== 0) await git.add({ ...base, filepath });
  }
  return git.commit({ ...base, message, author: { name: author, email: `${author}@demo.example` } });
}

/**
 * `npm start`: the main job end to end on the embedded file store, on a scratch copy of the example
 * config repo, with the public demo age key. Prints a short report; never a secret value.
 */
export const demoCommand: CommandSpec = {
  name: 'demo',
  summary: 'run the main job on a scratch copy of the example config repo (what `npm start` runs)',
  usage: 'demo [--dir DIR] [--keep]',
  details:
    'Copies environments/, llmcm.yaml, .sops.yaml, policies/ and schemas/ into a scratch git repo, then:\n' +
    'encrypt/edit/decrypt a sample, check, plan, promote dev → staging → prod into the file store with\n' +
    'recorded demo approvals, audit, audit verify and drift. Uses the PUBLIC demo key in test/fixtures/.',
  options: {
    dir: {
      type: 'string',
      description: 'scratch directory to use (default: a new temp dir)',
      valueName: 'DIR',
    },
    keep: { type: 'boolean', description: 'keep the scratch directory afterwards' },
  },
  maxArgs: 0,
  async run(context) {
    const started = Date.now();
    const out = (line: string) => context.stdout.write(`${line}\n`);
    const step = (title: string) => out(`\n== ${title}`);
    const root = packageRoot();
    const keyFile = join(root, demoKeyFile);
    if (!existsSync(keyFile) || !existsSync(join(root, 'environments'))) {
      throw new LlmcmError('the demo needs the example config repo and test/fixtures/demo-age-key.txt', {
        code: 'DEMO_FILES_MISSING',
        kind: 'config',
        hint: 'run it from a checkout of the llmcm repository (npm start)',
      });
    }
    const requested = stringOption(context, 'dir');
    const dir = requested ? resolve(context.cwd, requested) : mkdtempSync(join(tmpdir(), 'llmcm-demo-'));
    const keep = booleanOption(context, 'keep') || requested !== undefined;
    const env: NodeJS.ProcessEnv = { ...context.env, SOPS_AGE_KEY_FILE: keyFile, LLMCM_ACTOR: undefined };
    delete env.SOPS_AGE_KEY;
    delete env.LLMCM_FINGERPRINT_KEY;
    out(`llmcm demo — scratch config repo: ${dir}`);
    out(
      '(demo data and the PUBLIC demo age key from test/fixtures/; secrets appear only as keyed fingerprints)',
    );
    try {
      mkdirSync(dir, { recursive: true });
      for (const name of exampleFiles) cpSync(join(root, name), join(dir, name), { recursive: true });
      writeFileSync(join(dir, '.gitignore'), '.llmcm/\n');
      await git.init({ fs, dir, defaultBranch: 'main' });
      await commitAll(dir, 'example config repo', 'dana');

      const { identities } = await (await import('../../sops/age-keys.js')).loadAgeIdentities(env);
      const { ageIdentitiesFrom } = await import('../../sops/age-keys.js');
      const ids = ageIdentitiesFrom(identities, 'demo key');
      const recipient = demoRecipientPattern.exec(readFileSync(keyFile, 'utf8'))?.[1];
      if (!recipient)
        throw new LlmcmError('the demo key file has no public key line', {
          code: 'DEMO_KEY',
          kind: 'config',
        });
      const { generateSecretValue } = await import('../../check/generate-secret.js');
      const { encryptText, decryptText } = await import('../../sops/codec.js');
      const { setValueInEncryptedText } = await import('../../sops/api.js');
      // The scratch repo's own fingerprint key (.git/llmcm/), so every fingerprint below agrees with audit.
      const fpKey = resolveFingerprintKey(env, join(dir, '.git', 'llmcm', 'fingerprint.key'));
      const fp = (path: string, value: string) => keyedFingerprint(fpKey, path, value);

      step('1. sops: encrypt, edit, decrypt');
      const sample = generateSecretValue(160);
      const sampleText = `webhook:\n  url: https://hooks.example.test/llm\n  signing_secret: ${sample}\n`;
      const encrypted = await encryptText(sampleText, {
        file: 'sample.yaml',
        format: 'yaml',
        keyGroups: [[recipient]],
      });
      if (encrypted.includes(sample)) throw new Error('demo invariant: ciphertext contains the plaintext');
      const roundTrip = await decryptText(encrypted, {
        file: 'sample.yaml',
        format: 'yaml',
        identities: ids,
      });
      out(
        `   encrypted a sample for ${recipient.slice(0, 16)}…: ${(encrypted.match(/ENC\[/g) ?? []).length - 1} values sealed, MAC set`,
      );
      out(
        `   decrypted it back: ${roundTrip === sampleText ? 'identical' : 'DIFFERENT'} (signing_secret ${fp('webhook.signing_secret', sample)})`,
      );
      const gatewayFile = join(dir, 'environments', 'dev', 'gateway.yaml');
      const newMasterKey = `sk-llm-${generateSecretValue(192)}`;
      const edited = await setValueInEncryptedText(
        readFileSync(gatewayFile, 'utf8'),
        ['master_key'],
        newMasterKey,
        {
          file: 'environments/dev/gateway.yaml',
          identities: ids,
        },
      );
      writeFileSync(gatewayFile, edited);
      const check = await decryptText(edited, { file: 'environments/dev/gateway.yaml', identities: ids });
      out(
        `   rotated dev gateway.master_key in place (minimal diff): now ${fp('gateway.master_key', newMasterKey)}`,
      );
      out(
        `   decrypt of the edited file verifies its MAC: ${check.includes(newMasterKey) ? 'ok' : 'FAILED'}`,
      );
      const rotated = await commitAll(dir, 'Rotate the dev gateway master key (#42)', 'carol');
      out(`   committed as ${rotated.slice(0, 12)} by carol`);

      step('2. check (schema, semantics, secret strength, policy) with the demo key');
      const { runCheck } = await import('../../check/run-check.js');
      const { createPolicyStageRunner } = await import('../../check/policy-seam.js');
      const project0 = await loadProjectContext({ cwd: dir, env });
      const checked = await runCheck({
        root: dir,
        identities,
        fingerprintKey: project0.deps.fingerprintKey,
        policy: createPolicyStageRunner({ env }),
      });
      const count = (s: string) => checked.findings.filter((f) => f.severity === s).length;
      out(
        `   ${checked.environments.join(', ')}: ${checked.files.length} files, ${plural(count('error'), 'error')}, ${plural(count('warning'), 'warning')}${checked.policySkipped ? ` (policy skipped: ${checked.policySkipped})` : ''}`,
      );
      for (const f of checked.findings.filter((x) => x.severity === 'error').slice(0, 5)) {
        out(`   ${f.file ?? ''}:${f.line ?? ''} ${f.ruleId}: ${f.message}`);
      }

      step('3. plan dev');
      const project: ProjectContext = await loadProjectContext({ cwd: dir, env });
      const headSource = await resolveSource(project.repo, 'dev', {}, project.project.promotion);
      const prepared = await preparePlan(project.deps, 'dev', headSource.commit);
      await prepared.close();
      for (const s of prepared.plan.stores) {
        const secretChanges = s.changes.filter((c) => c.secret).length;
        out(
          `   store ${s.store} (${s.kind}): +${s.counts.add} ~${s.counts.change} -${s.counts.delete} (${secretChanges} secrets, shown as fingerprints)`,
        );
      }
      out(`   plan hash ${prepared.plan.hash}`);

      step('4. promote dev → staging → prod (file store, policy gate, demo approvals)');
      const realNow = new Date();
      const clock = demoClock(dir, realNow);
      if (clock.note) out(`   ${clock.note}`);
      // A shifted clock that keeps running, so approvals recorded after this line are not "in the future".
      const shift = clock.now.getTime() - realNow.getTime();
      if (shift !== 0) project.deps.now = () => new Date(Date.now() + shift);
      await wireGate(project, env, { identities });
      let previous: string | undefined;
      for (const environment of project.project.promotion) {
        const role = cast[environment as keyof typeof cast] ?? { actor: 'rita', approvers: [] };
        const source = previous
          ? await resolveSource(project.repo, environment, { from: previous }, project.project.promotion)
          : headSource;
        const request = {
          environment,
          source: source.commit,
          actor: role.actor,
          approvalIds: [],
          force: false,
          operation: 'promote' as const,
          ...(previous ? { sourceEnvironment: previous } : {}),
        };
        if (role.approvers.length > 1) {
          // Show the gate at work: before the approvals are recorded, the policy refuses.
          try {
            await promote(project.deps, request);
            throw new LlmcmError(`the policy allowed ${environment} without approvals`, {
              code: 'DEMO_GATE',
              kind: 'internal',
            });
          } catch (error) {
            if (!(error instanceof PromotionRefusedError)) throw error;
            out(`   ${environment.padEnd(8)} refused without approvals: ${error.reasons.join('; ')}`);
          }
        }
        for (const approver of role.approvers) {
          await recordApproval(project.repo, {
            environment,
            source: source.commit,
            approver,
            identity: { name: approver, email: `${approver}@demo.example` },
          });
        }
        const t0 = Date.now();
        try {
          const result = await promote(project.deps, {
            ...request,
            ...(environment === 'dev' ? { planHash: prepared.plan.hash } : {}),
          });
          const writes = result.stores.reduce((n, s) => n + s.writes, 0);
          out(
            `   ${environment.padEnd(8)} ${result.status} by ${role.actor}${role.approvers.length ? ` approved by ${role.approvers.join(' + ')}` : ''}: ${writes} writes, decision ${result.decision?.decisionId?.slice(0, 8) ?? 'none'}, record ${result.record?.slice(0, 12)} (${Date.now() - t0} ms)`,
          );
        } catch (error) {
          if (error instanceof PromotionRefusedError) {
            out(`   ${environment.padEnd(8)} REFUSED: ${error.message}`);
            for (const r of error.reasons) out(`            - ${r}`);
            throw error;
          }
          throw error;
        }
        previous = environment;
      }
      const again = await promote(project.deps, {
        environment: 'dev',
        source: headSource.commit,
        actor: cast.dev.actor,
        approvalIds: [],
        force: false,
        operation: 'promote',
      });
      out(`   re-running the dev promotion: ${again.status} (nothing written)`);

      step('5. audit');
      const auditDecrypt = await (await import('../../audit/decrypt.js')).createAuditDecryptor(env);
      const events = await auditKeys(project.repo, {
        directory: project.project.directory,
        base: project.project.base,
        environments: project.deps.environments,
        fingerprintKey: project.deps.fingerprintKey,
        key: 'gateway.master_key',
        environment: 'dev',
        ...(auditDecrypt ? { decrypt: auditDecrypt } : {}),
      });
      for (const e of events) {
        out(
          `   dev gateway.master_key ${e.action} in ${e.commit.slice(0, 12)} by ${e.author}${e.pr ? ` (PR #${e.pr})` : ''}: ${e.fingerprint}${e.encrypted ? ' (ciphertext)' : ''}${e.promotions.length ? `, promoted by ${e.promotions.join(', ')}` : ''}`,
        );
      }
      const verified = await verifyRecords(project.repo);
      out(
        `   audit verify: ${verified.ok ? 'record chain intact' : 'PROBLEMS'} (${verified.environments.map((e) => `${e.environment} ${e.records}`).join(', ')} records)`,
      );
      for (const p of verified.problems) out(`   ${p.severity}: ${p.environment} ${p.message}`);

      step('6. drift');
      let drifted = false;
      for (const environment of project.project.promotion) {
        const report = await detectDrift(project.deps, environment);
        drifted ||= report.drifted;
        out(`   ${environment.padEnd(8)} ${report.stores.map((s) => `${s.store}: ${s.status}`).join(', ')}`);
      }
      out(
        `\ndone in ${((Date.now() - started) / 1000).toFixed(1)} s — ${keep ? `rendered config in ${join(dir, '.llmcm', 'store')}` : 'scratch repo removed (--keep keeps it)'}`,
      );
      return drifted || !verified.ok ? 1 : 0;
    } finally {
      if (!keep) rmSync(dir, { recursive: true, force: true });
    }
  },
};

import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSecretValue } from '../../../src/check/generate-secret.js';
import { runCheck } from '../../../src/check/run-check.js';
import {
  estimateEntropyBits,
  isKnownWeakSecret,
  providerKeyShapes,
} from '../../../src/check/secret-strength.js';
import { parseIdentityText } from '../../../src/sops/age-keys.js';
import { describeWithTools, projectRoot, toolPath } from '../../support/tools.js';

describe('entropy estimate and weak values', () => {
  it.each([
    ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 0, 10],
    ['abcdefghijklmnopqrstuvwxyz0123456789', 0, 60],
    ['Passw0rd!Passw0rd!Passw0rd!Passw0rd!', 0, 60],
    ['c7N2vQp9LxR4tZ8yWm3KbH6fJd1sGa5E', 180, 200],
  ])('%s → between %i and %i bits', (value, low, high) => {
    const bits = estimateEntropyBits(value);
    expect(bits).toBeGreaterThanOrEqual(low);
    expect(bits).toBeLessThanOrEqual(high);
  });

  it('generated secrets always clear the requested strength', () => {
    for (const bits of [128, 129, 192, 256, 512]) {
      for (let i = 0; i < 50; i++)
        expect(estimateEntropyBits(generateSecretValue(bits))).toBeGreaterThanOrEqual(bits);
    }
    expect(() => generateSecretValue(64)).toThrow(RangeError);
  });

  it('knows defaults and placeholders', () => {
    for (const weak of [
      'sk-1234',
      'changeme',
      'CHANGE_ME',
      'password',
      'your-api-key',
      'sk-xxxxxxxxxxxxxxxx',
    ]) {
      expect(isKnownWeakSecret(weak)).toBe(true);
    }
    expect(isKnownWeakSecret(generateSecretValue(128))).toBe(false);
  });

  it('provider key shapes', () => {
    expect(
      providerKeyShapes.openai!.pattern.test('sk-proj-DEMOprodFAKEkeyNOTrealLLMCMexample00000000000000000'),
    ).toBe(true);
    expect(providerKeyShapes.openai!.pattern.test('sk-ant-abc')).toBe(false);
    expect(
      providerKeyShapes.anthropic!.pattern.test('sk-ant-DEMOdevFAKEkeyNOTrealLLMCMexample00000000000000'),
    ).toBe(true);
    expect(providerKeyShapes.groq!.pattern.test('gsk_short')).toBe(false);
  });
});

describeWithTools(['sops'], 'secret strength with keys present (files encrypted by the real sops)', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'llmcm-strength-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const keyFile = join(projectRoot, 'test/fixtures/demo-age-key.txt');
  const identities = parseIdentityText(readFileSync(keyFile, 'utf8'));
  for (const part of ['llmcm.yaml', '.sops.yaml', 'environments', 'schemas'])
    cpSync(join(projectRoot, part), join(scratch, part), { recursive: true });
  const weak = {
    'environments/dev/gateway.yaml':
      'master_key: sk-1234\nwebhook_secret: short-secret-value-1234567\nlog_level: debug\n',
    'environments/dev/providers.yaml':
      'openai:\n  api_key: not-an-openai-key-at-all\nanthropic:\n  api_key: sk-ant-DEMOdevFAKEkeyNOTrealLLMCMexample00000000000000\nlocal-ollama:\n  type: ollama\n  base_url: http://127.0.0.1:11434\n',
    'environments/staging/gateway.yaml':
      'master_key: sk-llmcm-stg-Hq83JmZpX2vNcL7eRt4yW9aKs6dBf1Gu0Oi\nwebhook_secret: whsec_stg_T6pV3nQ8xJ2mZ5rK9cW1yH4bL7gF0dSa\ndatabase_url: postgresql://llmcm:hunter2hunter2@127.0.0.1:5432/gw\n',
  };
  for (const [file, text] of Object.entries(weak)) {
    writeFileSync(join(scratch, file), text);
    execFileSync(toolPath('sops')!, ['encrypt', '-i', file], {
      cwd: scratch,
      env: { ...process.env, SOPS_AGE_KEY_FILE: keyFile },
    });
  }

  it('flags weak, default and misshapen secrets at their location, never printing them', async () => {
    const result = await runCheck({ root: scratch, identities, fingerprintKey: new Uint8Array(32) });
    expect(result.decrypted).toBe(true);
    const strength = result.findings
      .filter((f) => f.stage === 'strength')
      .map((f) => `${f.ruleId} ${f.file}:${f.line}:${f.column} ${f.path}`);
    expect(strength).toEqual([
      'strength/known-weak-secret environments/dev/gateway.yaml:1:13 /gateway/master_key',
      'strength/weak-secret environments/dev/gateway.yaml:2:17 /gateway/webhook_secret',
      'strength/provider-key-shape environments/dev/providers.yaml:2:14 /providers/openai/api_key',
      'strength/weak-secret environments/staging/gateway.yaml:3:15 /gateway/database_url',
    ]);
    const printed = JSON.stringify(result.findings);
    for (const secret of ['sk-1234', 'short-secret-value', 'not-an-openai-key', 'hunter2'])
      expect(printed).not.toContain(secret);
    // With keys, plaintext constraints are checked instead of being listed.
    expect(result.findings.some((f) => f.ruleId === 'schema/not-checked-encrypted')).toBe(false);
  });

  it('the example environments pass in full with the demo key', async () => {
    const result = await runCheck({ root: projectRoot, identities, fingerprintKey: new Uint8Array(32) });
    expect(result.decrypted).toBe(true);
    expect(result.findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });
});

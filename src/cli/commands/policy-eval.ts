import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LlmcmError } from '../../core/errors.js';
import { parseJsonInput } from '../../core/json-input.js';
import { booleanOption, type CommandSpec, stringOption } from '../command.js';

/** `llmcm policy eval`: evaluate one input against the compiled policy, for debugging. */
export const policyEvalCommand: CommandSpec = {
  name: 'policy eval',
  summary: 'evaluate a policy input file in-process (wasm) and print the result as JSON',
  usage: 'policy eval --input FILE [--entrypoint E] [--no-validate] [--no-log]',
  details:
    'Entrypoints: llmcm/config/result (default), llmcm/access/decision, llmcm/config/deny, llmcm/config/warn.\n' +
    'The input must match schemas/policy-input.schema.json unless --no-validate is given.\n' +
    'The decision is appended to .llmcm/decisions.jsonl (input hashed, never stored) unless --no-log.',
  options: {
    input: { type: 'string', description: 'JSON file with the input (- for stdin)', valueName: 'FILE' },
    entrypoint: {
      type: 'string',
      description: 'rule to evaluate (default llmcm/config/result)',
      valueName: 'E',
    },
    'no-validate': { type: 'boolean', description: 'skip the input schema check' },
    'no-log': { type: 'boolean', description: 'do not append to the decision log' },
  },
  maxArgs: 0,
  async run(context) {
    const file = stringOption(context, 'input');
    if (!file)
      throw new LlmcmError('--input FILE is required', {
        code: 'USAGE',
        kind: 'usage',
        hint: 'llmcm policy eval --input input.json',
      });
    let text: string;
    try {
      text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(resolve(context.cwd, file), 'utf8');
    } catch (error) {
      throw new LlmcmError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, {
        code: 'INPUT_UNREADABLE',
        kind: 'input',
        file,
      });
    }
    const input = parseJsonInput(text, {
      code: 'POLICY_INPUT_PARSE',
      file,
      hint: 'the input must be one JSON value',
    });
    const { loadPolicyEngine } = await import('../../policy/engine.js');
    const engine = await loadPolicyEngine({
      root: context.cwd,
      decisionLog: booleanOption(context, 'no-log') ? false : undefined,
      env: context.env,
    });
    const entrypoint = stringOption(context, 'entrypoint') ?? 'llmcm/config/result';
    const { result, decision } = engine.evaluate(entrypoint, input, {
      skipValidation: booleanOption(context, 'no-validate'),
      inputFile: file,
    });
    context.stdout.write(
      `${JSON.stringify({ result: result ?? null, decision_id: decision.decision_id, input_sha256: decision.input_sha256 }, null, 2)}\n`,
    );
    if (engine.stale)
      context.stderr.write('llmcm: note: the committed policy bundle is stale; run llmcm policy build\n');
    return 0;
  },
};

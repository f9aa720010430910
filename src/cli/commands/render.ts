import { resolve } from 'node:path';
import { loadEnvironment } from '../../config/environment.js';
import { loadProject } from '../../config/project.js';
import { type RenderFormat, renderEnvironment } from '../../config/render.js';
import { usageError } from '../../core/errors.js';
import { loadAgeIdentities } from '../../sops/age-keys.js';
import { booleanOption, type CommandSpec, stringOption } from '../command.js';

const formats: RenderFormat[] = ['litellm', 'portkey', 'json', 'env'];

/** `llmcm render`: the merged environment as a gateway config (LiteLLM, Portkey) or JSON / .env. */
export const renderCommand: CommandSpec = {
  name: 'render',
  summary:
    'render an environment as LiteLLM or Portkey config, JSON or .env (secrets referenced, not printed)',
  usage: 'render ENV [--format litellm|portkey|json|env] [--reveal]',
  details: [
    'Secrets are written as references (os.environ/PROVIDERS_OPENAI_API_KEY for LiteLLM, $VAR-style placeholders elsewhere),',
    'so the output can be committed or shown in CI. --reveal writes the values held in the files instead:',
    'plaintext when an age key is present, the ENC[...] envelopes otherwise.',
  ].join('\n'),
  options: {
    format: {
      type: 'string',
      short: 'f',
      description: `output format: ${formats.join('|')}`,
      default: 'litellm',
      valueName: 'F',
    },
    reveal: {
      type: 'boolean',
      description: 'write secret values (plaintext only with a key) instead of references',
    },
    dir: { type: 'string', description: 'config repo root (default: current directory)', valueName: 'DIR' },
  },
  minArgs: 1,
  maxArgs: 1,
  async run(context) {
    const format = stringOption(context, 'format') ?? 'litellm';
    if (!formats.includes(format as RenderFormat))
      throw usageError(`unknown format '${format}'`, `use one of ${formats.join(', ')}`);
    const reveal = booleanOption(context, 'reveal');
    const project = await loadProject(resolve(context.cwd, stringOption(context, 'dir') ?? '.'));
    // Keys are only loaded when values are asked for: a plain render never holds plaintext secrets.
    const identities = reveal ? (await loadAgeIdentities(context.env)).identities : [];
    const loaded = await loadEnvironment(
      project,
      context.positionals[0]!,
      identities.length ? { identities } : {},
    );
    context.stdout.write(
      renderEnvironment(loaded, format as RenderFormat, { secrets: reveal ? 'keep' : 'reference' }),
    );
    return 0;
  },
};

import { booleanOption, type CommandSpec, stringOption } from '../command.js';
import { ignoreMacOption, inputTypeOption } from '../shared-options.js';

/** `llmcm edit`: decrypt to a private temp file, run $EDITOR, re-encrypt with minimal diffs. */
export const editCommand: CommandSpec = {
  name: 'edit',
  summary: 'edit an encrypted file in $EDITOR (temp file 0600, wiped afterwards; minimal diff on save)',
  usage: 'edit FILE [--input-type yaml|json|dotenv] [--ignore-mac]',
  details: `The plaintext is written to a 0600 file in a private 0700 temp directory and opened with
$VISUAL or $EDITOR (default: vi). Invalid content is refused and the editor reopens (at most
LLMCM_EDIT_MAX_ATTEMPTS times, default 5). Unchanged values keep their ciphertext; the layout is
kept. A FILE that does not exist is created, encrypted for the matching .sops.yaml rule.`,
  options: {
    'input-type': inputTypeOption,
    'ignore-mac': ignoreMacOption,
  },
  minArgs: 1,
  maxArgs: 1,
  async run(context) {
    const { runEditSession } = await import('../../sops/edit-session.js');
    return runEditSession({
      arg: context.positionals[0]!,
      cwd: context.cwd,
      env: context.env,
      inputType: stringOption(context, 'input-type'),
      ignoreMac: booleanOption(context, 'ignore-mac'),
      stderr: context.stderr,
      stdout: context.stdout,
    });
  },
};

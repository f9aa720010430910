import type { CommandSpec } from './command.js';

/** `llmcm <command> --help`. */
export function renderCommandHelp(command: CommandSpec): string {
  const lines = [`llmcm ${command.usage}`, '', command.summary];
  if (command.details) lines.push('', command.details.trimEnd());
  const names = Object.keys(command.options);
  if (names.length > 0) {
    lines.push('', 'Options:');
    const rows = names.map((name) => {
      const spec = command.options[name]!;
      const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.type === 'string' ? ` ${'valueName' in spec && spec.valueName ? spec.valueName : 'VALUE'}` : ''}`;
      return [flag, spec.description] as const;
    });
    rows.push(['    --debug', 'print stack traces for errors'], ['-h, --help', 'show this help']);
    const width = Math.max(...rows.map(([flag]) => flag.length));
    for (const [flag, text] of rows) lines.push(`  ${flag.padEnd(width)}  ${text}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `llmcm --help`: every command with its one-line summary. */
export async function renderGlobalHelp(loaders: Record<string, () => Promise<CommandSpec>>): Promise<string> {
  const commands = await Promise.all(
    Object.keys(loaders)
      .sort()
      .map((name) => loaders[name]!()),
  );
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = [
    'llmcm — configuration and secrets for LLM applications, as a policy-as-code GitOps pipeline',
    '',
    'Usage: llmcm <command> [options]      (llmcm <command> --help for details)',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Global options: --debug (stack traces), --no-color, --version',
    'Exit codes: 0 ok, 1 findings, 2 usage/config/bad input, 3 key/decrypt, 4 store, 70 internal',
  ];
  return `${lines.join('\n')}\n`;
}

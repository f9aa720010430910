import { booleanOption, type CommandSpec } from '../command.js';

/** `llmcm updatekeys`: re-wrap data keys for the recipients of the matching rules, a whole tree at once. */
export const updatekeysCommand: CommandSpec = {
  name: 'updatekeys',
  summary: 're-wrap the data key of sops files for their .sops.yaml rule recipients (files or whole trees)',
  usage: 'updatekeys FILE...|DIR... [--dry-run]',
  details: `For each sops file (directories are walked; non-sops files are skipped), the first matching
creation rule of the nearest .sops.yaml decides the recipients. The data key is re-wrapped for them;
encrypted values are not touched, so the diff is confined to the sops block.`,
  options: {
    'dry-run': { type: 'boolean', description: 'report what would change without writing' },
  },
  minArgs: 1,
  async run(context) {
    const sops = await import('../../sops/index.js');
    const ops = await import('../../sops/file-ops.js');
    const { relative } = await import('node:path');
    const identities = await sops.loadAgeIdentities(context.env);
    const explicit = new Set(context.positionals.map((p) => ops.resolveArg(context.cwd, p)));
    const files = ops.expandFileArguments([...explicit]);
    const dryRun = booleanOption(context, 'dry-run');
    let updated = 0;
    for (const file of files) {
      const shown = relative(context.cwd, file) || file;
      const format = sops.formatFromPath(file);
      const text = sops.readText(file);
      let meta: ReturnType<typeof sops.readSopsMetadata>;
      try {
        meta = sops.readSopsMetadata(text, format, shown);
      } catch (error) {
        if (explicit.has(file)) throw error;
        continue; // a non-sops file met while walking a directory
      }
      if (!meta) {
        if (explicit.has(file)) {
          const { LlmcmError } = await import('../../core/errors.js');
          throw new LlmcmError('sops metadata not found: this file is not encrypted', {
            code: 'SOPS_NO_METADATA',
            kind: 'input',
            file: shown,
          });
        }
        continue;
      }
      const rule = sops.findCreationRule(file);
      if (!rule) {
        context.stderr.write(`llmcm: ${shown}: no creation rule matches; skipped\n`);
        continue;
      }
      const current = sops.recipientGroupsOf(meta);
      const wanted = rule.keyGroups.filter((g) => g.length > 0);
      const same =
        JSON.stringify(current.map((g) => [...g].sort())) ===
          JSON.stringify(wanted.map((g) => [...g].sort())) &&
        (wanted.length <= 1 ||
          (meta.shamirThreshold ?? wanted.length) === (rule.shamirThreshold ?? wanted.length));
      if (same) {
        context.stdout.write(`${shown}: already up to date\n`);
        continue;
      }
      const before = new Set(current.flat());
      const after = new Set(wanted.flat());
      const added = [...after].filter((r) => !before.has(r));
      const removed = [...before].filter((r) => !after.has(r));
      const change =
        [...added.map((r) => `+${r}`), ...removed.map((r) => `-${r}`)].join(' ') || 'key groups changed';
      if (dryRun) {
        context.stdout.write(`${shown}: would update (${change})\n`);
        continue;
      }
      const out = await sops.rewrapText(text, {
        file: shown,
        format,
        identities,
        settings: { keyGroups: wanted, shamirThreshold: rule.shamirThreshold },
      });
      ops.writeResult(out, { file, inPlace: true, stdout: context.stdout });
      updated++;
      context.stdout.write(`${shown}: updated (${change})\n`);
    }
    context.stderr.write(`llmcm: ${updated} file(s) updated\n`);
    return 0;
  },
};

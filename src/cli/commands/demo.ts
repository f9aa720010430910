import type { CommandSpec } from '../command.js';

/** The README's main job (`npm start`). Grows with the pipeline; see README "What npm start does". */
export const demoCommand: CommandSpec = {
  name: 'demo',
  summary: 'run the main job on a scratch copy of the example config repo (what `npm start` runs)',
  usage: 'demo [--dir DIR] [--keep]',
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
    context.stdout.write('llmcm demo: the pipeline is being assembled; nothing to run yet.\n');
    return 0;
  },
};

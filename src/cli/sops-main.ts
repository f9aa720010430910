import { startCli } from './run.js';
import { sopsFileCommandLoaders } from './sops-commands.js';

// Entry of the code-cached bundle dist/cli/sops-main.cjs (loaded by launch.cjs): the sops file
// commands only, with exactly the full CLI's behaviour (same runCli).
startCli(sopsFileCommandLoaders);

import { startCli } from './run.js';
import { sopsFileCommandLoaders } from './sops-commands.js';

// Entry of the start-up-optimised bundle (dist/cli/sops-main.cjs, loaded by launch.cjs with a V8
// code cache): the sops file commands only, with exactly the full CLI's behaviour (same runCli).
startCli(sopsFileCommandLoaders);

import { checkCommandLoaders } from './check-commands.js';
import { startCli } from './run.js';

// Entry of the code-cached bundle dist/cli/check-main.cjs (loaded by launch.cjs): `llmcm check`
// only, with exactly the full CLI's behaviour (same runCli).
startCli(checkCommandLoaders);

import { startCli } from './run.js';
import { scanCommandLoaders } from './scan-commands.js';

// Entry of the code-cached bundle dist/cli/scan-main.cjs (loaded by launch.cjs): `llmcm scan`
// only, with exactly the full CLI's behaviour (same runCli).
startCli(scanCommandLoaders);

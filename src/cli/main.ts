#!/usr/bin/env node
import { commandLoaders } from './registry.js';
import { startCli } from './run.js';

// The full CLI as an ES module: every command, each loaded on demand. The installed `llmcm` binary is
// launch.cjs, which sends the sops file commands to a code-cached bundle (sops-main.ts) and
// everything else here.
startCli(commandLoaders);

#!/usr/bin/env bash
# The README's test command: bring the reference tools and servers, build the CLI, run every suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-test-env.sh
npm run -s build
npx vitest run "$@"

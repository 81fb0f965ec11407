#!/usr/bin/env bash
# The long fuzzing run: every fuzz target (test/fuzz/targets) with FUZZ_RUNS cases each
# (default 100000; the tests run a few hundred to a few thousand), one after the other.
# Prints one line per target; a crash, a hang or an unexpected error is printed whole
# with its seed, replay path and counterexample, and the script exits 1.
#   scripts/fuzz.sh                 all targets
#   scripts/fuzz.sh tar jwe         some of them
#   FUZZ_SEED=N FUZZ_PATH=P scripts/fuzz.sh TARGET   replay one reported case
set -euo pipefail
cd "$(dirname "$0")/.."
export FUZZ_RUNS="${FUZZ_RUNS:-100000}"
if [ ! -d node_modules ]; then npm ci --no-audit --no-fund; fi
npx tsc -p tsconfig.json
exec node dist/test/fuzz/harness/cli.js "$@"

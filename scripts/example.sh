#!/usr/bin/env bash
# The main job on the built-in example, offline: installs what is missing, builds, runs the generation loop.
# Extra arguments go to `harness run` (e.g. --seed 7).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${HARNESS_BUILD_DIR:-$root/build}
"$root/scripts/setup.sh"
cd "$root"
# A fresh run dir each time (an earlier run is never overwritten; `harness resume DIR` continues one).
run_dir=${HARNESS_RUN_DIR:-runs/example-$(date +%Y%m%d-%H%M%S)}
echo "example: run dir $run_dir"
exec "$build/harness/harness" run examples/ledger/harness.yaml --run-dir "$run_dir" "$@"

#!/usr/bin/env bash
# The main job on the built-in example, offline: installs what is missing, builds, runs the generation loop.
# Extra arguments go to `harness run` (e.g. --seed 7).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${HARNESS_BUILD_DIR:-$root/build}
"$root/scripts/setup.sh"
cd "$root"
exec "$build/harness/harness" run examples/ledger/harness.yaml --run-dir "${HARNESS_RUN_DIR:-runs/example}" "$@"

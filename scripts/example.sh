#!/usr/bin/env bash
# The main job on the built-in example, offline: installs what is missing, builds only what the example runs (the
# harness and the demo agent, optimised, in build-example/; the test script builds the rest in build/), runs the
# generation loop. Extra arguments go to `harness run` (e.g. --seed 7).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export HARNESS_BUILD_DIR=${HARNESS_EXAMPLE_BUILD_DIR:-$root/build-example}
export HARNESS_BUILD_TYPE=${HARNESS_BUILD_TYPE:-Release}
export HARNESS_CMAKE_ARGS="-DHARNESS_TESTS=OFF -DHARNESS_BENCH=OFF ${HARNESS_CMAKE_ARGS:-}"
export HARNESS_TARGETS="harness demo-agent"
"$root/scripts/setup.sh"
cd "$root"
# A fresh run dir each time (an earlier run is never overwritten; `harness resume DIR` continues one).
run_dir=${HARNESS_RUN_DIR:-runs/example-$(date +%Y%m%d-%H%M%S)}
echo "example: running examples/ledger/harness.yaml into $run_dir"
start=$SECONDS
rc=0
"$HARNESS_BUILD_DIR/harness/harness" run examples/ledger/harness.yaml --run-dir "$run_dir" "$@" || rc=$?
echo "example: run finished in $((SECONDS - start)) s (exit $rc); report: $run_dir/report.md"
exit $rc

#!/usr/bin/env bash
# The whole test suite from a fresh Debian 12 machine: installs what is missing, builds, runs every test.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${HARNESS_BUILD_DIR:-$root/build}
# The Test build type (CMakeLists.txt): -O1 -g1, half the compile time of RelWithDebInfo. The example keeps its
# optimised build in build-example/ (scripts/example.sh).
export HARNESS_BUILD_TYPE=${HARNESS_BUILD_TYPE:-Test}
"$root/scripts/setup.sh"
cd "$build"
# Two at a time (HARNESS_TEST_JOBS): every test keeps to its own temporary folder, ports the OS picks and the
# processes of its own run (found by the run's marker in their environment, never by a machine-wide pgrep), and
# the loop's timing tests run on a fake clock in-process (tests/harness/fakes.h).
ctest --output-on-failure --timeout 900 -j"${HARNESS_TEST_JOBS:-2}"
# End-to-end scripts: exit 0 passed, 77 skipped (each prints why; a skip is never counted as a pass), else failed.
passed=0 skipped=() failed=()
for t in "$root"/tests/e2e/*.sh; do
  [[ -e "$t" ]] || continue
  echo "== e2e: $(basename "$t")"
  rc=0
  HARNESS_BIN="$build/harness/harness" bash "$t" || rc=$?
  case $rc in
    0) passed=$((passed + 1)) ;;
    77) skipped+=("$(basename "$t")") ;;
    *) failed+=("$(basename "$t")") ;;
  esac
done
echo "== e2e: $passed passed, ${#skipped[@]} skipped${skipped:+ (${skipped[*]})}, ${#failed[@]} failed${failed:+: ${failed[*]}}"
[[ ${#failed[@]} == 0 ]]

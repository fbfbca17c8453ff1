#!/usr/bin/env bash
# The sanitizer job: the trace, telemetry and config unit tests with their malformed-input corpus (issue 18)
# built with -fsanitize=address,undefined (build-asan/), then the telemetry tests (the OTLP receiver and the LLM
# proxy, their corpus included) with ThreadSanitizer (build-tsan/). Only those libraries and test binaries are
# built; tests that run the harness binary run the regular build's (HARNESS_BUILD_DIR, default build/, which must
# exist: scripts/test.sh builds it first). HARNESS_SANITIZE_JOBS (default asan,tsan), HARNESS_JOBS,
# HARNESS_BUILD_LOCK (a file to flock around each build on a shared machine). Each step prints its time.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
regular=${HARNESS_BUILD_DIR:-$root/build}
jobs=${HARNESS_SANITIZE_JOBS:-asan,tsan}
lock=()
[[ -n "${HARNESS_BUILD_LOCK:-}" ]] && lock=(flock "$HARNESS_BUILD_LOCK")
binary=$regular/harness/harness
[[ -x "$binary" ]] || { echo "sanitize: $binary is missing: build the regular tree first (scripts/setup.sh)"; exit 2; }

# Every report ends the process with an error (UBSan recovers by default); LSan checks leaks at exit.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}

step() {  # step NAME SANITIZERS TARGETS CTEST_REGEX
  local name=$1 sanitizers=$2 targets=$3 regex=$4 build=$root/build-$1 t0=$SECONDS
  echo "sanitize: $name: configuring $build (-fsanitize=$sanitizers)"
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Test -DHARNESS_SANITIZE=ON -DHARNESS_SANITIZERS="$sanitizers" \
    -DHARNESS_BENCH=OFF -DHARNESS_TEST_BINARY="$binary" ${HARNESS_CMAKE_ARGS:-} >/dev/null
  local args=()
  for t in $targets; do args+=(--target "$t"); done
  "${lock[@]}" cmake --build "$build" -j"${HARNESS_JOBS:-2}" "${args[@]}"
  local t1=$SECONDS
  echo "sanitize: $name: built in $((t1 - t0)) s"
  (cd "$build" && ctest --output-on-failure --timeout 900 -j"${HARNESS_TEST_JOBS:-2}" -R "$regex")
  echo "sanitize: $name: tests ran in $((SECONDS - t1)) s ($((SECONDS - t0)) s in all)"
}

[[ ",$jobs," == *,asan,* ]] &&
  step asan address,undefined "trace_tests telemetry_tests harness_config_tests" '^(trace|telemetry|harness_config)\.'
[[ ",$jobs," == *,tsan,* ]] && step tsan thread "telemetry_tests" '^telemetry\.'
echo "sanitize: done"

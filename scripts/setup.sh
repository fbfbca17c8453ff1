#!/usr/bin/env bash
# Installs the missing Debian packages (scripts/debian-packages.txt), configures and builds into build/.
# Run by scripts/example.sh and scripts/test.sh; safe to run again (does only what is missing).
# HARNESS_BUILD_DIR, HARNESS_BUILD_TYPE, HARNESS_CMAKE_ARGS, HARNESS_JOBS and HARNESS_TARGETS (default: all; none:
# the packages only) tune it;
# each step says what it does and how long it took.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${HARNESS_BUILD_DIR:-$root/build}

step_start=0
step() { step_start=$SECONDS; echo "setup: $*"; }
done_step() { echo "setup: ... done in $((SECONDS - step_start)) s"; }

missing=()
while read -r pkg; do
  [[ -z "$pkg" || "$pkg" == \#* ]] && continue
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done < "$root/scripts/debian-packages.txt"
if ((${#missing[@]})); then
  step "installing ${missing[*]}"
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
  done_step
fi

[[ "${HARNESS_TARGETS:-}" == none ]] && exit 0
step "configuring $build (${HARNESS_BUILD_TYPE:-RelWithDebInfo})"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=${HARNESS_BUILD_TYPE:-RelWithDebInfo} ${HARNESS_CMAKE_ARGS:-} >/dev/null
done_step
targets=()
for t in ${HARNESS_TARGETS:-}; do targets+=(--target "$t"); done
step "building ${HARNESS_TARGETS:-everything} with -j${HARNESS_JOBS:-2}"
cmake --build "$build" -j"${HARNESS_JOBS:-2}" "${targets[@]}"
done_step

#!/usr/bin/env bash
# Installs the missing Debian packages (scripts/debian-packages.txt), configures and builds into build/.
# Sourced or run by scripts/example.sh and scripts/test.sh; safe to run again (does only what is missing).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${HARNESS_BUILD_DIR:-$root/build}

missing=()
while read -r pkg; do
  [[ -z "$pkg" || "$pkg" == \#* ]] && continue
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done < "$root/scripts/debian-packages.txt"
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=${HARNESS_BUILD_TYPE:-RelWithDebInfo} ${HARNESS_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j"${HARNESS_JOBS:-2}"

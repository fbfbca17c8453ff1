#!/usr/bin/env bash
# Installs the pinned Claude Code and Codex CLIs from npm into a cache folder kept between runs, and prints the
# folder's bin/ path. Exit 0: installed (or already cached); exit 77: npm/node unavailable or registry unreachable
# (the reason is printed on stderr; callers SKIP, never pass). Safe to run concurrently (flock on the cache).
set -uo pipefail
CLAUDE_CODE_VERSION=${CLAUDE_CODE_VERSION:-2.1.330}
CODEX_VERSION=${CODEX_VERSION:-0.169.0}
cache=${HARNESS_E2E_NPM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/harness-e2e/npm}
prefix="$cache/claude-$CLAUDE_CODE_VERSION-codex-$CODEX_VERSION"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "install_clis: node/npm missing, installing Debian's nodejs and npm" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm >&2 || { echo "install_clis: apt-get install nodejs npm failed" >&2; exit 77; }
  else
    echo "install_clis: node/npm not installed (apt-get install nodejs npm)" >&2; exit 77
  fi
fi
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [[ -x "$prefix/node_modules/.bin/claude" && -x "$prefix/node_modules/.bin/codex" ]]; then
  echo "$prefix/node_modules/.bin"; exit 0
fi
# A registry found unreachable is not asked again for 10 minutes, so a suite of e2e scripts skips quickly offline.
if [[ -n $(find "$cache" -maxdepth 1 -name .unreachable -mmin -10 2>/dev/null) ]]; then
  echo "install_clis: npm registry unreachable (checked $(date -r "$cache/.unreachable" +%H:%M:%S)): $(cat "$cache/.unreachable")" >&2
  exit 77
fi
if ! timeout 30 npm view --fetch-retries=1 --fetch-retry-mintimeout=1000 --fetch-timeout=20000 \
    "@anthropic-ai/claude-code@$CLAUDE_CODE_VERSION" version >/dev/null 2>"$cache/npm-view.err"; then
  { grep -v -i "warn" "$cache/npm-view.err" | grep -m1 . || echo "npm view timed out"; } >"$cache/.unreachable"
  echo "install_clis: npm registry unreachable or version missing: $(cat "$cache/.unreachable")" >&2; exit 77
fi
rm -f "$cache/.unreachable"
mkdir -p "$prefix"
[[ -f "$prefix/package.json" ]] || echo '{"private":true}' >"$prefix/package.json"
if ! (cd "$prefix" && timeout 600 npm install --no-audit --no-fund --loglevel=error \
        "@anthropic-ai/claude-code@$CLAUDE_CODE_VERSION" "@openai/codex@$CODEX_VERSION" >&2); then
  echo "install_clis: npm install failed" >&2; exit 77
fi
if [[ ! -x "$prefix/node_modules/.bin/claude" || ! -x "$prefix/node_modules/.bin/codex" ]]; then
  echo "install_clis: npm install finished but claude/codex binaries are missing under $prefix" >&2; exit 77
fi
echo "$prefix/node_modules/.bin"

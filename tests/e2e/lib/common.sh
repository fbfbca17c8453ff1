# Shared by the real-agent e2e scripts (tests/e2e/agent_*.sh): paths, the pinned CLIs, the scripted model server,
# and assertion helpers. Exit codes of a script: 0 passed, 77 skipped (the reason printed), anything else failed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
build=${HARNESS_BUILD_DIR:-$root/build}
harness=${HARNESS_BIN:-$build/harness/harness}
model_server=${MODEL_SERVER_BIN:-$build/tests/support/model_server/model_server}
test_name=$(basename "$0" .sh)

fail() { echo "FAIL $test_name: $*"; exit 1; }
skip() { echo "SKIP $test_name: $*"; exit 77; }

[[ -x "$harness" ]] || fail "no harness binary at $harness (build the harness target first)"
[[ -x "$model_server" ]] || fail "no model server at $model_server (build the model_server target first)"
command -v sqlite3 >/dev/null || fail "sqlite3 is not installed (scripts/debian-packages.txt)"
command -v python3 >/dev/null || fail "python3 is not installed (scripts/debian-packages.txt)"

# The pinned CLIs on PATH, or SKIP when npm cannot provide them.
use_agent_clis() {
  local bin log
  log=$(mktemp)
  if ! bin=$("$root/tests/e2e/lib/install_clis.sh" 2>"$log"); then
    local why
    why=$(tail -n 3 "$log")
    rm -f "$log"
    skip "cannot install the agent CLIs from npm: $why"
  fi
  rm -f "$log"
  export PATH="$bin:$PATH"
  # The CLIs run their tools in login shells (`bash -lc`), which read the machine's dotfiles: a pyenv in ~/.bashrc
  # whose rehash lock was left by a killed shell makes every one of them wait 60 s (seen in CI: three scripts timed
  # out). A home of their own keeps the scripts hermetic; the npm cache above was resolved from the real one.
  export HOME="$work/home"
  mkdir -p "$HOME"
}

work=$(mktemp -d "${TMPDIR:-/tmp}/harness-e2e-$test_name.XXXXXX")
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then kill "$server_pid" 2>/dev/null || true; fi
  if [[ -n "${KEEP_E2E_WORK:-}" ]]; then echo "work dir kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# start_model_server SCRIPT: starts the scripted model server; sets $model_port, writes $work/results.json and
# $work/requests.jsonl.
start_model_server() {
  rm -f "$work/port"
  "$model_server" --script "$1" --port-file "$work/port" --results "$work/results.json" \
    --log "$work/requests.jsonl" >"$work/model_server.out" 2>"$work/model_server.err" &
  server_pid=$!
  for _ in $(seq 1 200); do
    [[ -s "$work/port" ]] && break
    kill -0 "$server_pid" 2>/dev/null || fail "model server exited: $(cat "$work/model_server.err")"
    sleep 0.05
  done
  [[ -s "$work/port" ]] || fail "model server did not start"
  model_port=$(cat "$work/port")
}

# stop_model_server: stops it; fails the test when the script's assertions failed or turns were left unplayed.
stop_model_server() {
  kill -TERM "$server_pid"
  local rc=0
  wait "$server_pid" || rc=$?
  server_pid=""
  [[ $rc == 0 ]] || fail "model server reported failures: $(cat "$work/model_server.err")"
}

# Offline environment for Claude Code against the model server, with its own config dir ($1).
claude_env() {
  export ANTHROPIC_BASE_URL="http://127.0.0.1:$model_port"
  export ANTHROPIC_API_KEY="sk-ant-e2e-dummy"
  export CLAUDE_CONFIG_DIR="$1"
  export CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_AUTOUPDATER=1 DISABLE_TELEMETRY=1
  export DISABLE_ERROR_REPORTING=1 DISABLE_BUG_COMMAND=1 CLAUDE_CODE_DISABLE_FEEDBACK_SURVEY=1
  unset ANTHROPIC_AUTH_TOKEN CLAUDE_CODE_OAUTH_TOKEN OTEL_EXPORTER_OTLP_ENDPOINT CLAUDE_CODE_ENABLE_TELEMETRY
}

# expect_eq WHAT GOT WANT
expect_eq() { [[ "$2" == "$3" ]] || fail "$1: got '$2', expected '$3'"; }
# sql DB QUERY: one value
sql() { sqlite3 -batch -noheader "$1" "$2"; }

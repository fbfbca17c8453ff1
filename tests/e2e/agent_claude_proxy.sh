#!/usr/bin/env bash
# E2E 5 (issue 5): the traffic of E2E 1 (the real Claude Code CLI edits a file, runs a failing test, edits again,
# the test passes) sent through the run's LLM proxy: a one-agent `harness run` with the claude-code preset and
# `proxy.enabled: true`, the model server as the proxy's upstream. Checked: every request the model server served
# came through the proxy as one llm span under the agent span, and each span's usage equals what the server sent
# for that message id, counted once in the run's totals; the agent still fixed the bug; no key text in the run store or the agent's files.
# SKIP (exit 77) when npm cannot provide the CLI.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
use_agent_clis

source "$(dirname "${BASH_SOURCE[0]}")/lib/calc_turns.sh"
start_model_server "$work/script.yaml"

cat >"$work/harness.yaml" <<YAML
name: e2e-proxy
target:
  repo: $repo
  bug: "Fix calc.sh and make test.sh pass."
verify:
  command: sh test.sh
generations: 1
population: 1
runner:
  preset: claude-code
  env:
    ANTHROPIC_BASE_URL: "http://127.0.0.1:$model_port"
    CLAUDE_ALLOWED_TOOLS: "Bash Edit Read"
  wall_timeout: 2m
  idle_timeout: 1m
proxy:
  enabled: true
seed: 5
YAML
export ANTHROPIC_API_KEY="sk-ant-e2e-proxy-KEYTEXT-0123456789"
export CLAUDE_BIN="$(command -v claude)"
unset ANTHROPIC_AUTH_TOKEN CLAUDE_CODE_OAUTH_TOKEN
"$harness" run "$work/harness.yaml" --run-dir "$work/run" >"$work/run.out" 2>&1 ||
  fail "harness run exited $?: $(tail -n 20 "$work/run.out")"
stop_model_server
grep -q "LLM proxy on http://127.0.0.1:" "$work/run.out" || fail "the run did not start its proxy: $(cat "$work/run.out")"

db="$work/run/run.db"
expect_eq "verify events" "$(sql "$db" "SELECT group_concat(type, ',') FROM events WHERE type LIKE 'verify.%'")" "verify.passed"
agent=$(sql "$db" "SELECT span_id FROM spans WHERE kind='agent'")
# Every request served (side calls included) is one proxy llm span that saw its usage; each scripted turn is also
# one llm span of the agent's session (exact, from the transcript), where its usage is counted; the proxy's copy
# is not counted again; record, status and summary agree (lib/exact_usage.py).
python3 "$root/tests/e2e/lib/exact_usage.py" "$work/run" "$work/results.json" --proxy --harness "$harness" \
  --label "claude through the proxy" || fail "figures disagree with what the model server served"
expect_eq "proxy llm spans not under the agent span" \
  "$(sql "$db" "SELECT count(*) FROM spans WHERE json_extract(attributes,'$.\"harness.source\"')='proxy' AND parent_span_id <> '$agent'")" 0
expect_eq "proxy llm spans not ok" \
  "$(sql "$db" "SELECT count(*) FROM spans WHERE json_extract(attributes,'$.\"harness.source\"')='proxy' AND status <> 'ok'")" 0
expect_eq "telemetry refusals" "$(sql "$db" "SELECT count(*) FROM events WHERE type='telemetry.rejected'")" 0
# The key went upstream (the model server saw it) but was never stored by the harness.
if grep -rlF "KEYTEXT" "$db" "$work/run"/run.db* "$work/run"/gen-* "$work/run"/*.md "$work/run"/*.json 2>/dev/null; then
  fail "the API key text was stored in the run dir"
fi
echo "PASS $test_name"

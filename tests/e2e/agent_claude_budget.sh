#!/usr/bin/env bash
# Issue 14: a token budget enforced at the LLM proxy, before the spend, with the real Claude Code CLI. The traffic
# of E2E 5 (five scripted turns, 1,240 to 1,612 tokens each) through the run's proxy with budget.agent.tokens:
# 2565 (the first two turns): the proxy forwards calls while budget is left, answers the next with its API-shaped 400, and the CLI shows
# it and stops (no retry storm); the agent is ended as killed_budget. Checked: the tokens the proxy forwarded
# exceed the budget by at most one call, the later turns were never served, the refusal is an event.
# SKIP (exit 77) when npm cannot provide the CLI.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
use_agent_clis

source "$(dirname "${BASH_SOURCE[0]}")/lib/calc_turns.sh"
start_model_server "$work/script.yaml"

cat >"$work/harness.yaml" <<YAML
name: e2e-budget
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
budget:
  agent: {tokens: 2565}
seed: 5
YAML
export ANTHROPIC_API_KEY="sk-ant-e2e-budget-0123456789"
export CLAUDE_BIN="$(command -v claude)"
unset ANTHROPIC_AUTH_TOKEN CLAUDE_CODE_OAUTH_TOKEN
code=0
"$harness" run "$work/harness.yaml" --run-dir "$work/run" >"$work/run.out" 2>&1 || code=$?
# The server says which turns were never asked for: with the budget used up exactly by the first two (1,240 + 1,325), the last three.
kill -TERM "$server_pid"; wait "$server_pid" || true; server_pid=""
grep -q "3 turn(s) never requested, first: second-edit" "$work/model_server.err" ||
  fail "the budget did not stop the agent after the second turn: $(cat "$work/model_server.err")"
expect_eq "harness exit (no validated fix)" "$code" 1

db="$work/run/run.db"
expect_eq "agent outcome" "$(sql "$db" "SELECT outcome FROM harness_agents")" killed_budget
refused=$(sql "$db" "SELECT count(*) FROM events WHERE type='budget.refused'")
# Claude Code 2.1.330 sends a short burst of attempts (six, within about 60 ms, none after a backoff) before it
# gives up; a retry loop would go on until the wall timeout.
[ "$refused" -ge 1 ] && [ "$refused" -le 10 ] || fail "budget.refused events: $refused (expected 1 to 10: the CLI must stop, not retry)"
grep -qF "API Error: 400 harness budget used up: this agent's budget of 2565 tokens" "$work/run/gen-001/agent-01/stdout.raw" ||
  fail "the CLI did not show the proxy's budget message"
# What the proxy forwarded: each call's usage as the server sent it (kept in gen_ai.usage.* on every proxy span).
forwarded=$(sql "$db" "SELECT coalesce(sum(json_extract(attributes,'$.\"gen_ai.usage.input_tokens\"') + json_extract(attributes,'$.\"gen_ai.usage.output_tokens\"')), 0) FROM spans WHERE json_extract(attributes,'$.\"harness.source\"')='proxy'")
largest=$(sql "$db" "SELECT coalesce(max(json_extract(attributes,'$.\"gen_ai.usage.input_tokens\"') + json_extract(attributes,'$.\"gen_ai.usage.output_tokens\"')), 0) FROM spans WHERE json_extract(attributes,'$.\"harness.source\"')='proxy'")
[ "$forwarded" -lt $((2565 + largest)) ] || fail "the proxy forwarded $forwarded tokens: more than one call ($largest) past the 2565 budget"
[ "$forwarded" -ge 2565 ] || fail "forwarded $forwarded tokens only: refused before the budget was used up"
echo "forwarded $forwarded tokens (budget 2565, largest call $largest), $refused refusal(s); turns 3-5 never served"
echo "PASS $test_name"

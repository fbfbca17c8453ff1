#!/usr/bin/env bash
# Issue 14: a token budget enforced at the LLM proxy, before the spend, with the real Codex CLI (the OpenAI-shaped
# refusal; agent_claude_budget.sh has the Anthropic one). The four-response session of E2E 3 through the run's
# proxy with budget.agent.tokens: 1700, what the first two responses use as the store counts them (input without
# cached tokens, plus output: 1,040 + 660): the proxy forwards those two, answers the third with its 400
# (`x-should-retry: false`), Codex shows the message and stops (no retry storm), the agent is ended as
# killed_budget, and the last two responses are never served. SKIP (exit 77) when npm cannot provide the CLI.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
use_agent_clis

source "$(dirname "${BASH_SOURCE[0]}")/lib/codex_turns.sh"
git -C "$repo" init -q && git -C "$repo" add . && git -C "$repo" -c user.email=e2e@x -c user.name=e2e commit -qm init
start_model_server "$work/script.yaml"
cat >"$work/harness.yaml" <<YAML
name: e2e-codex-budget
target: {repo: $repo, bug: "Fix calc.sh and make test.sh pass."}
verify: {command: sh test.sh}
generations: 1
population: 1
runner:
  preset: codex
  env: {OPENAI_BASE_URL: "http://127.0.0.1:$model_port/v1"}
  wall_timeout: 2m
  idle_timeout: 1m
proxy: {enabled: true}
budget:
  agent: {tokens: 1700}
strategies: {list: [{name: careful, model: gpt-5-codex}]}
seed: 5
YAML
code=0
OPENAI_API_KEY=dummy CODEX_BIN="$(command -v codex)" "$harness" run "$work/harness.yaml" --run-dir "$work/run" \
  >"$work/run.out" 2>&1 || code=$?
kill -TERM "$server_pid"; wait "$server_pid" || true; server_pid=""
grep -q "2 turn(s) never requested, first: rerun" "$work/model_server.err" ||
  fail "the budget did not stop Codex after the second response: $(cat "$work/model_server.err")"
expect_eq "harness exit (no validated fix)" "$code" 1

db="$work/run/run.db"
expect_eq "agent outcome" "$(sql "$db" "SELECT outcome FROM harness_agents")" killed_budget
refused=$(sql "$db" "SELECT count(*) FROM events WHERE type='budget.refused'")
[ "$refused" -ge 1 ] && [ "$refused" -le 10 ] || fail "budget.refused events: $refused (expected 1 to 10: the CLI must stop, not retry)"
# Codex ends the turn with the body of the 400 as its error: `turn.failed` in its JSON stream.
grep '"type":"turn.failed"' "$work/run/gen-001/agent-01/stdout.raw" |
  grep -qF "harness budget used up: this agent's budget of 1700 tokens" ||
  fail "Codex did not show the proxy's budget message: $(tail -c 600 "$work/run/gen-001/agent-01/stdout.raw")"
# What the proxy forwarded, as the store counts it (input without cached tokens, plus output): kept in gen_ai.usage.*
# on each proxy span (its columns are zero: the rollout's llm span counts the call, harness.usage_counted_on).
forwarded=$(sql "$db" "SELECT coalesce(sum(json_extract(attributes,'$.\"gen_ai.usage.input_tokens\"') + json_extract(attributes,'$.\"gen_ai.usage.output_tokens\"')), 0) FROM spans WHERE json_extract(attributes,'$.\"harness.source\"')='proxy'")
expect_eq "tokens the proxy forwarded (the first two responses)" "$forwarded" 1700
echo "forwarded $forwarded tokens (budget 1700), $refused refusal(s); responses 3-4 never served"
echo "PASS $test_name"

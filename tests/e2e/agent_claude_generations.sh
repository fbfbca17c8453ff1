#!/usr/bin/env bash
# E2E 4 (issue 5): a two-generation `harness run` with the claude-code runner preset (the real Claude Code CLI)
# on a small repository whose verify fails. Generation 1's agent runs the test and gets a tool error with a known
# text, then gives up; the scripted model server asserts that the prompt generation 2's agent receives contains that
# text (generation 1's top important observation), and generation 2's agent fixes the bug. Checked afterwards: the
# observation is gen 1's first [important] one, both agents' sessions sit under their agent spans with the tokens
# served, and the run ends with a validated fix. SKIP (exit 77) when npm cannot provide the CLI.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
use_agent_clis

repo="$work/repo"
mark="E2E-MARK-7f3a"
mkdir -p "$repo"
printf 'echo 41\n' >"$repo/total.sh"
printf 'r=$(sh total.sh); if [ "$r" = 42 ]; then echo PASSED; else echo "FAILED: ledger total $r != 42 ('"$mark"')"; exit 1; fi\n' >"$repo/test.sh"
git -C "$repo" init -q && git -C "$repo" add . && git -C "$repo" -c user.email=e2e@x -c user.name=e2e commit -qm init

cat >"$work/script.yaml" <<YAML
turns:
  - name: g1-run-test
    expect_contains: "ledger total"
    expect_not_contains: "$mark"
    tool_use:
      - {name: Bash, input: {command: "sh test.sh", description: "Run the test"}}
    usage: {input_tokens: 900, output_tokens: 30}
  - name: g1-give-up
    expect_contains: "$mark"
    text: "I could not find the cause."
    usage: {input_tokens: 1000, output_tokens: 9}
  - name: g2-fix
    expect_contains: "$mark"
    text: "Generation 1 saw the total off by one; fixing total.sh."
    tool_use:
      - {name: Bash, input: {command: "sed -i 's/echo 41/echo 42/' total.sh", description: "Fix the total"}}
    usage: {input_tokens: 1500, output_tokens: 50, cache_read_input_tokens: 600}
  - name: g2-done
    text: "Fixed."
    usage: {input_tokens: 1600, output_tokens: 4, cache_read_input_tokens: 1400}
YAML
start_model_server "$work/script.yaml"

cat >"$work/harness.yaml" <<YAML
name: e2e-gens
target:
  repo: $repo
  bug: "sh test.sh fails: the ledger total is wrong."
verify:
  command: sh test.sh
generations: 2
population: 1
concurrency: 1
runner:
  preset: claude-code
  env:
    ANTHROPIC_BASE_URL: "http://127.0.0.1:$model_port"
    CLAUDE_ALLOWED_TOOLS: "Bash Edit Read"
  wall_timeout: 2m
  idle_timeout: 1m
stop:
  after_fixes: 1
seed: 7
YAML
export ANTHROPIC_API_KEY="sk-ant-e2e-dummy"
export CLAUDE_BIN="$(command -v claude)"
unset ANTHROPIC_AUTH_TOKEN CLAUDE_CODE_OAUTH_TOKEN
"$harness" run "$work/harness.yaml" --run-dir "$work/run" >"$work/run.out" 2>&1 ||
  fail "harness run exited $?: $(tail -n 20 "$work/run.out")"
stop_model_server

db="$work/run/run.db"
expect_eq "agents" "$(sql "$db" "SELECT count(*) FROM spans WHERE kind='agent'")" 2
expect_eq "claude sessions under agent spans" \
  "$(sql "$db" "SELECT count(*) FROM spans s JOIN spans a ON s.parent_span_id=a.span_id WHERE s.kind='session' AND a.kind='agent'")" 2
top=$(sed -n '/\[important\]/{p;q}' "$work/run/observations.md")
[[ "$top" == *"$mark"* ]] || fail "the first [important] observation does not carry the gen-1 tool error: '$top'"
grep -qF "$mark" "$work/run/gen-002/agent-01/prompt.md" 2>/dev/null ||
  grep -rqF "$mark" "$work/run"/gen-002/*/prompt.md || fail "generation 2's prompt.md lacks the observation"
expect_eq "verify events" "$(sql "$db" "SELECT group_concat(type, ',') FROM (SELECT type FROM events WHERE type LIKE 'verify.%' ORDER BY id)")" "verify.passed"
read -r want_in want_out < <(python3 - "$work/results.json" <<'PY'
import json, sys
u = [e["usage"] for e in json.load(open(sys.argv[1]))["served"] if e["turn_index"] is not None]
print(sum(x["input_tokens"] for x in u), sum(x["output_tokens"] for x in u))
PY
)
expect_eq "llm tokens of the run (in out)" \
  "$(sql "$db" "SELECT sum(input_tokens)||' '||sum(output_tokens) FROM spans")" "$want_in $want_out"
echo "PASS $test_name"

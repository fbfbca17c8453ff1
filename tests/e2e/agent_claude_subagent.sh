#!/usr/bin/env bash
# E2E 2 (issue 5): the real Claude Code CLI spawns a subagent with its Agent tool (in the foreground); the
# subagent runs two Bash calls (one fails) and answers. The stream-json is imported with its session transcripts
# picked up (`--claude-transcripts`): the subagent span must hang under the Agent call's tool span, its tool calls
# and all three of its model messages (stream-json omits the last one) under it, and the tokens must equal what the
# script served to the main agent and to the subagent. Then the same script through `harness run` (claude-code
# preset), without and with the proxy (issue 11): one llm span per model request, each with the usage served,
# the agent record, status and summary equal to the served sum, the spawn link resolving, and all of it the same
# after `trace rebuild`. SKIP (exit 77) when npm cannot provide the CLI.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
use_agent_clis

repo="$work/repo"
mkdir -p "$repo"
printf 'echo 5\n' >"$repo/calc.sh"
git -C "$repo" init -q && git -C "$repo" add . && git -C "$repo" -c user.email=e2e@x -c user.name=e2e commit -qm init

cat >"$work/script.yaml" <<'YAML'
turns:
  - name: spawn
    when: {system_not_contains: "cc_is_subagent=true"}
    expect_contains: "how many lines"
    tool_use:
      - name: Agent
        input: {description: "Count lines", prompt: "Count the lines of calc.sh", subagent_type: general-purpose,
                run_in_background: false}
    usage: {input_tokens: 1300, output_tokens: 25, cache_creation_input_tokens: 700}
  - name: sub-count
    when: {system_contains: "cc_is_subagent=true"}
    expect_contains: "Count the lines of calc.sh"
    tool_use:
      - {name: Bash, input: {command: "wc -l < calc.sh", description: "Count lines"}}
    usage: {input_tokens: 500, output_tokens: 10}
  - name: sub-fail
    when: {system_contains: "cc_is_subagent=true"}
    tool_use:
      - {name: Bash, input: {command: "cat missing.txt", description: "Read a missing file"}}
    usage: {input_tokens: 550, output_tokens: 11, cache_read_input_tokens: 400}
  - name: sub-answer
    when: {system_contains: "cc_is_subagent=true"}
    expect_contains: "No such file"
    text: "calc.sh has 1 line."
    usage: {input_tokens: 600, output_tokens: 8, cache_read_input_tokens: 450}
  - name: main-answer
    when: {system_not_contains: "cc_is_subagent=true"}
    expect_contains: "calc.sh has 1 line."
    text: "It has one line."
    usage: {input_tokens: 1400, output_tokens: 6, cache_read_input_tokens: 1000}
YAML
start_model_server "$work/script.yaml"
claude_env "$work/claude-config"
(cd "$repo" && printf 'Use a subagent to find out how many lines calc.sh has.' | timeout 120 claude -p \
   --output-format stream-json --verbose --permission-mode acceptEdits --allowedTools "Bash Read Agent" \
   --max-turns 20 >"$work/stream.jsonl" 2>"$work/claude.err") ||
  fail "claude exited $?: $(tail -n 5 "$work/claude.err")"
stop_model_server

"$harness" import "$work/stream.jsonl" --format claude-stream --out "$work/trace" \
  --claude-transcripts "$work/claude-config/projects/*/*.jsonl" >"$work/import.out" || fail "harness import failed"
grep -q 'subagent transcript picked up' "$work/import.out" || fail "no subagent transcript picked up: $(cat "$work/import.out")"
db="$work/trace/run.db"
agent_call=$(sql "$db" "SELECT span_id FROM spans WHERE kind='tool' AND name='Agent'")
[[ -n "$agent_call" ]] || fail "no Agent tool span"
expect_eq "subagents" "$(sql "$db" "SELECT count(*) FROM spans WHERE kind='subagent'")" 1
expect_eq "the subagent's parent" "$(sql "$db" "SELECT parent_span_id FROM spans WHERE kind='subagent'")" "$agent_call"
sub=$(sql "$db" "SELECT span_id FROM spans WHERE kind='subagent'")
main=$(sql "$db" "SELECT span_id FROM spans WHERE kind='session'")
expect_eq "the Agent call belongs to the main session" "$(sql "$db" "SELECT session_id FROM spans WHERE span_id='$agent_call'")" "$main"
expect_eq "subagent tool calls (nested under it)" \
  "$(sql "$db" "SELECT group_concat(name||':'||status, ',') FROM (SELECT * FROM spans WHERE kind='tool' AND session_id='$sub' AND parent_span_id='$sub' ORDER BY (SELECT min(id) FROM events e WHERE e.span_id=spans.span_id))")" \
  "Bash:ok,Bash:error"
sql "$db" "SELECT json_extract(attributes,'$.\"error.message\"') FROM spans WHERE session_id='$sub' AND status='error'" |
  grep -qF 'missing.txt: No such file' || fail "the subagent's tool error text is missing"
expect_eq "main session tool calls" "$(sql "$db" "SELECT group_concat(name, ',') FROM spans WHERE kind='tool' AND session_id='$main'")" "Agent"
expect_eq "llm spans main/sub" \
  "$(sql "$db" "SELECT (SELECT count(*) FROM spans WHERE kind='llm' AND session_id='$main')||'/'||(SELECT count(*) FROM spans WHERE kind='llm' AND session_id='$sub')")" "2/3"
read -r main_io sub_io < <(python3 - "$work/results.json" <<'PY'
import json, sys
s = [e for e in json.load(open(sys.argv[1]))["served"] if e["turn_index"] is not None]
def tot(es): return "%d,%d,%d,%d" % tuple(sum(e["usage"][k] for e in es) for k in
    ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"))
print(tot([e for e in s if not e["turn"].startswith("sub-")]), tot([e for e in s if e["turn"].startswith("sub-")]))
PY
)
q="sum(input_tokens)||','||sum(output_tokens)||','||sum(cache_read_tokens)||','||sum(cache_creation_tokens)"
# The main thread's output counts are made up from the result line on the session span (stream-json's are
# provisional); the subagent's come from its transcript, exact per message.
expect_eq "main session tokens" "$(sql "$db" "SELECT $q FROM spans WHERE session_id='$main'")" "$main_io"
expect_eq "subagent tokens" "$(sql "$db" "SELECT $q FROM spans WHERE kind='llm' AND session_id='$sub'")" "$sub_io"
tree=$("$harness" trace tree "$work/trace" --json) || fail "harness trace tree failed"
python3 - "$tree" "$sub" "$agent_call" <<'PY' || fail "trace tree does not nest the subagent under the Agent call: $tree"
import json, sys
tree, sub, call = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
def walk(n, parent=None):
    if isinstance(n, dict):
        if n.get("span_id") == sub or n.get("id") == sub: yield n, parent
        for v in n.values(): yield from walk(v, n if "span_id" in n or "id" in n else parent)
    elif isinstance(n, list):
        for v in n: yield from walk(v, parent)
found = list(walk(tree))
assert found, "subagent not in tree"
PY

# Through `harness run`: the agent's transcripts are picked up after the session.
git -C "$repo" add -A && git -C "$repo" -c user.email=e2e@x -c user.name=e2e commit -qm "verify" --allow-empty
claude_run() {
  local name=$1 proxy=$2
  mv "$work/requests.jsonl" "$work/requests-before-$name.jsonl" 2>/dev/null || true
  start_model_server "$work/script.yaml"
  cat >"$work/$name.yaml" <<YAML
target: {repo: $repo, bug: "Use a subagent to find out how many lines calc.sh has."}
verify: {command: "true", baseline: false}
generations: 1
population: 1
runner:
  preset: claude-code
  env: {ANTHROPIC_BASE_URL: "http://127.0.0.1:$model_port", CLAUDE_ALLOWED_TOOLS: "Bash Read Agent"}
  wall_timeout: 2m
proxy: {enabled: $proxy}
YAML
  CLAUDE_BIN="$(command -v claude)" "$harness" run "$work/$name.yaml" --run-dir "$work/$name" >"$work/$name.out" 2>&1 ||
    [[ $? == 1 ]] || fail "harness run ($name) failed: $(tail -n 20 "$work/$name.out")"
  stop_model_server
  cp "$work/results.json" "$work/$name.results.json"
}
for mode in plain:false proxied:true; do
  name=${mode%%:*} proxy=${mode#*:}
  claude_run "$name" "$proxy"
  flag=""; [[ $proxy == true ]] && flag=--proxy
  db="$work/$name/run.db"
  expect_eq "subagents ($name)" "$(sql "$db" "SELECT count(*) FROM spans WHERE kind='subagent'")" 1
  python3 "$root/tests/e2e/lib/exact_usage.py" "$work/$name" "$work/$name.results.json" $flag --harness "$harness" \
    --label "claude with a subagent ($name)" || fail "figures disagree with what was served ($name)"
  cp -r "$work/$name" "$work/$name-rebuilt"
  "$harness" trace rebuild "$work/$name-rebuilt" >/dev/null || fail "trace rebuild ($name) failed"
  python3 "$root/tests/e2e/lib/exact_usage.py" "$work/$name-rebuilt" "$work/$name.results.json" $flag --harness "$harness" \
    --label "claude with a subagent, rebuilt ($name)" || fail "figures changed with trace rebuild ($name)"
  "$harness" trace replay "$work/$name" --expand-subagents >"$work/$name.replay" || fail "trace replay ($name) failed"
done
echo "PASS $test_name"

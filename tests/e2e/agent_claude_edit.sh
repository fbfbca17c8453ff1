#!/usr/bin/env bash
# E2E 1 (issue 5): the real Claude Code CLI (pinned, from npm) against the scripted model server edits a file,
# runs a failing test, edits again and the test passes. Its stream-json is imported and the trace must hold exactly
# what the script served: the session, one llm span per model message (deduplicated per message id) and the
# session's tokens equal to those served, the four tool calls in order, the one failed Bash call with its error text and exit code.
# SKIP (exit 77) when npm cannot provide the CLI.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
use_agent_clis

repo="$work/repo"
mkdir -p "$repo"
printf 'echo 5\n' >"$repo/calc.sh"
printf 'r=$(sh calc.sh); if [ "$r" = 4 ]; then echo PASSED; else echo "FAILED: add(2,2) = $r"; exit 1; fi\n' >"$repo/test.sh"
git -C "$repo" init -q && git -C "$repo" add . && git -C "$repo" -c user.email=e2e@x -c user.name=e2e commit -qm init

cat >"$work/script.yaml" <<YAML
turns:
  - name: first-edit
    expect_contains: "make test.sh pass"
    text: "I will change calc.sh."
    tool_use:
      - {name: Edit, input: {file_path: "$repo/calc.sh", old_string: "echo 5", new_string: "echo 3"}}
    usage: {input_tokens: 1200, output_tokens: 40, cache_creation_input_tokens: 300}
  - name: run-test
    expect_contains: "has been updated"
    tool_use:
      - {name: Bash, input: {command: "sh test.sh", description: "Run the test"}}
    usage: {input_tokens: 1300, output_tokens: 25, cache_read_input_tokens: 1000}
  - name: second-edit
    expect_contains: "FAILED: add(2,2) = 3"
    text: "Still wrong; 2+2 is 4."
    tool_use:
      - {name: Edit, input: {file_path: "$repo/calc.sh", old_string: "echo 3", new_string: "echo 4"}}
    usage: {input_tokens: 1400, output_tokens: 55, cache_read_input_tokens: 1100}
  - name: rerun-test
    tool_use:
      - {name: Bash, input: {command: "sh test.sh", description: "Run the test again"}}
    usage: {input_tokens: 1500, output_tokens: 20, cache_read_input_tokens: 1200}
  - name: done
    expect_contains: "PASSED"
    text: "The test passes now."
    usage: {input_tokens: 1600, output_tokens: 12, cache_read_input_tokens: 1300}
YAML
start_model_server "$work/script.yaml"
claude_env "$work/claude-config"
(cd "$repo" && printf 'Fix calc.sh and make test.sh pass.' | timeout 120 claude -p --output-format stream-json --verbose \
   --permission-mode acceptEdits --allowedTools "Bash Edit Read" --max-turns 20 >"$work/stream.jsonl" 2>"$work/claude.err") ||
  fail "claude exited $?: $(tail -n 5 "$work/claude.err")"
stop_model_server
expect_eq "calc.sh after the session" "$(cat "$repo/calc.sh")" "echo 4"

"$harness" import "$work/stream.jsonl" --format claude-stream --out "$work/trace" >/dev/null || fail "harness import failed"
db="$work/trace/run.db"
# What the script served, per message id (each request is one message).
read -r want_in want_out want_cr want_cc want_msgs < <(python3 - "$work/results.json" <<'PY'
import json, sys
s = [e for e in json.load(open(sys.argv[1]))["served"] if e["turn_index"] is not None]
u = [e["usage"] for e in s]
print(sum(x["input_tokens"] for x in u), sum(x["output_tokens"] for x in u),
      sum(x["cache_read_input_tokens"] for x in u), sum(x["cache_creation_input_tokens"] for x in u), len(s))
PY
)
expect_eq "messages served" "$want_msgs" 5
expect_eq "sessions" "$(sql "$db" "SELECT count(*) FROM spans WHERE kind='session'")" 1
expect_eq "llm spans (one per message id)" "$(sql "$db" "SELECT count(*) FROM spans WHERE kind='llm'")" "$want_msgs"
# Input and cache figures are final on every stream line: exact per message. Output counts there are
# provisional; the result line's totals make up the rest on the session span (claude.usage_unattributed).
expect_eq "llm tokens in/cache-read/cache-write" \
  "$(sql "$db" "SELECT sum(input_tokens)||' '||sum(cache_read_tokens)||' '||sum(cache_creation_tokens) FROM spans WHERE kind='llm'")" \
  "$want_in $want_cr $want_cc"
expect_eq "session tokens in/out/cache-read/cache-write" \
  "$(sql "$db" "SELECT sum(input_tokens)||' '||sum(output_tokens)||' '||sum(cache_read_tokens)||' '||sum(cache_creation_tokens) FROM spans")" \
  "$want_in $want_out $want_cr $want_cc"
expect_eq "tool calls in order" \
  "$(sql "$db" "SELECT group_concat(name, ',') FROM (SELECT name FROM spans WHERE kind='tool' ORDER BY (SELECT min(id) FROM events e WHERE e.span_id=spans.span_id))")" \
  "Edit,Bash,Edit,Bash"
expect_eq "failed tool calls" "$(sql "$db" "SELECT count(*) FROM spans WHERE kind='tool' AND status='error'")" 1
expect_eq "the failed call" \
  "$(sql "$db" "SELECT name||'|'||json_extract(attributes,'$.\"process.exit.code\"') FROM spans WHERE kind='tool' AND status='error'")" \
  "Bash|1"
sql "$db" "SELECT json_extract(attributes,'$.\"error.message\"') FROM spans WHERE kind='tool' AND status='error'" |
  grep -qF 'FAILED: add(2,2) = 3' || fail "the tool error text does not name the failure"
expect_eq "tool.call.failed events" "$(sql "$db" "SELECT count(*) FROM events WHERE type='tool.call.failed'")" 1
expect_eq "file.write events" "$(sql "$db" "SELECT count(*) FROM events WHERE type='file.write' AND json_extract(payload,'$.path')='$repo/calc.sh'")" 2
expect_eq "every span in the session" "$(sql "$db" "SELECT count(*) FROM spans s WHERE kind IN ('llm','tool') AND session_id <> (SELECT span_id FROM spans WHERE kind='session')")" 0
stats=$("$harness" trace stats "$work/trace" --json) || fail "harness trace stats failed"
python3 - "$stats" "$want_in" "$want_out" <<'PY' || fail "trace stats disagree: $stats"
import json, sys
s = json.loads(sys.argv[1])
def find(d, key):
    if isinstance(d, dict):
        if key in d and not isinstance(d[key], (dict, list)): return d[key]
        for v in d.values():
            r = find(v, key)
            if r is not None: return r
    return None
assert find(s, "input_tokens") == int(sys.argv[2]), ("input_tokens", find(s, "input_tokens"))
assert find(s, "output_tokens") == int(sys.argv[3]), ("output_tokens", find(s, "output_tokens"))
PY
echo "PASS $test_name"

#!/usr/bin/env bash
# E2E 3 (issue 5): the real Codex CLI (pinned, from npm) against the scripted model server (OpenAI Responses over
# SSE) runs a failing test, applies a patch (apply_patch through its command tool, which Codex turns into a
# file_change item) and runs the test again. The imported `codex exec --json` stream must hold the command_execution
# and file_change spans with their exit codes and the usage Codex summed from what the script served.
# SKIP (exit 77) when npm cannot provide the CLI.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
use_agent_clis

repo="$work/repo"
mkdir -p "$repo" "$work/codex-home"
printf 'echo 5\n' >"$repo/calc.sh"
printf 'r=$(sh calc.sh); if [ "$r" = 4 ]; then echo PASSED; else echo "FAILED: add(2,2) = $r"; exit 1; fi\n' >"$repo/test.sh"

cat >"$work/script.yaml" <<'YAML'
turns:
  - name: run-test
    expect_contains: "make test.sh pass"
    reasoning: "Run the test first."
    tool_use:
      - {name: exec_command, input: {cmd: "sh test.sh"}}
    usage: {input_tokens: 2000, output_tokens: 40, cache_read_input_tokens: 1000, reasoning_tokens: 12}
  - name: patch
    expect_contains: "FAILED: add(2,2) = 5"
    tool_use:
      - name: exec_command
        input: {cmd: "apply_patch <<'EOF'\n*** Begin Patch\n*** Update File: calc.sh\n@@\n-echo 5\n+echo 4\n*** End Patch\nEOF\n"}
    usage: {input_tokens: 2100, output_tokens: 60, cache_read_input_tokens: 1500}
  - name: rerun
    tool_use:
      - {name: exec_command, input: {cmd: "sh test.sh"}}
    usage: {input_tokens: 2200, output_tokens: 20}
  - name: done
    expect_contains: "PASSED"
    text: "Fixed calc.sh; the test passes."
    usage: {input_tokens: 2300, output_tokens: 10, cache_read_input_tokens: 2000}
YAML
start_model_server "$work/script.yaml"
(cd "$repo" && printf 'Fix calc.sh and make test.sh pass.' | CODEX_HOME="$work/codex-home" E2E_KEY=dummy timeout 120 \
   codex exec --json --skip-git-repo-check --dangerously-bypass-approvals-and-sandbox --disable plugins \
   -m gpt-5-codex -c model_provider=e2e -c model_providers.e2e.name=e2e \
   -c "model_providers.e2e.base_url=http://127.0.0.1:$model_port/v1" -c model_providers.e2e.wire_api=responses \
   -c model_providers.e2e.env_key=E2E_KEY - >"$work/codex.jsonl" 2>"$work/codex.err") ||
  fail "codex exited $?: $(tail -n 5 "$work/codex.err")"
stop_model_server
expect_eq "calc.sh after the session" "$(cat "$repo/calc.sh")" "echo 4"

"$harness" import "$work/codex.jsonl" --format codex --out "$work/trace" >/dev/null || fail "harness import failed"
db="$work/trace/run.db"
read -r want_in want_out want_cached < <(python3 - "$work/results.json" <<'PY'
import json, sys
u = [e["usage"] for e in json.load(open(sys.argv[1]))["served"] if e["turn_index"] is not None]
print(sum(x["input_tokens"] for x in u), sum(x["output_tokens"] for x in u),
      sum(x["input_tokens_details"]["cached_tokens"] for x in u))
PY
)
expect_eq "sessions" "$(sql "$db" "SELECT count(*) FROM spans WHERE kind='session'")" 1
expect_eq "llm spans (one per turn)" "$(sql "$db" "SELECT count(*) FROM spans WHERE kind='llm'")" 1
expect_eq "turn usage in/out/cached" \
  "$(sql "$db" "SELECT sum(input_tokens)||' '||sum(output_tokens)||' '||sum(cache_read_tokens) FROM spans WHERE kind='llm'")" \
  "$want_in $want_out $want_cached"
expect_eq "tool calls in order" \
  "$(sql "$db" "SELECT group_concat(name, ',') FROM (SELECT name FROM spans WHERE kind='tool' ORDER BY (SELECT min(id) FROM events e WHERE e.span_id=spans.span_id))")" \
  "shell,apply_patch,shell"
expect_eq "command exit codes and status" \
  "$(sql "$db" "SELECT group_concat(json_extract(attributes,'$.\"process.exit.code\"')||':'||status, ',') FROM (SELECT * FROM spans WHERE name='shell' ORDER BY (SELECT min(id) FROM events e WHERE e.span_id=spans.span_id))")" \
  "1:error,0:ok"
expect_eq "command line" "$(sql "$db" "SELECT DISTINCT json_extract(attributes,'$.\"process.command_line\"') FROM spans WHERE name='shell'")" \
  "/bin/bash -lc 'sh test.sh'"
sql "$db" "SELECT json_extract(attributes,'$.\"gen_ai.tool.call.result\"') FROM spans WHERE name='shell' AND status='error'" |
  grep -qF 'FAILED: add(2,2) = 5' || fail "the failed command's output is not on its span"
expect_eq "the failed command's error" \
  "$(sql "$db" "SELECT json_extract(attributes,'$.\"error.message\"') FROM spans WHERE name='shell' AND status='error'")" \
  "exit code 1
FAILED: add(2,2) = 5"
expect_eq "file_change span" "$(sql "$db" "SELECT status FROM spans WHERE name='apply_patch'")" "ok"
expect_eq "file.write event of the patch" \
  "$(sql "$db" "SELECT json_extract(payload,'$.path') FROM events WHERE type='file.write'")" "$repo/calc.sh"
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

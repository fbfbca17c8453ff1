#!/usr/bin/env bash
# E2E 3 (issues 5, 11): the real Codex CLI (pinned, from npm) against the scripted model server (OpenAI Responses
# over SSE) runs a failing test, applies a patch (apply_patch through its command tool, which Codex turns into a
# file_change item) and runs the test again: one turn, four model responses. The imported `codex exec --json`
# stream must hold the command_execution and file_change spans with their exit codes and the turn's usage.
# Then through `harness run` with the codex preset, the model server named by runner.env.OPENAI_BASE_URL while the
# harness's own OPENAI_BASE_URL names a decoy server (which must see nothing): the rollout picked up after the
# session gives one llm span per response with its exact usage; the agent record, status and summary agree with
# what was served; again with the proxy on (every call through it exactly once); `trace rebuild` changes no
# figure; runner.env.CODEX_BASE_URL is refused naming the key. SKIP (exit 77) when npm cannot provide the CLI.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
use_agent_clis

source "$(dirname "${BASH_SOURCE[0]}")/lib/codex_turns.sh"
mkdir -p "$work/codex-home"
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
# The store's input excludes cached tokens (docs/agents.md); OpenAI's includes them.
print(sum(x["input_tokens"] - x["input_tokens_details"]["cached_tokens"] for x in u), sum(x["output_tokens"] for x in u),
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

# The same script through `harness run` with the codex runner preset: the strategy's model and effort must reach
# the model server, the patched workspace must pass verify, and every figure must be the served one.
git -C "$repo" checkout -q -- . 2>/dev/null || true
printf 'echo 5\n' >"$repo/calc.sh"
git -C "$repo" init -q && git -C "$repo" add . && git -C "$repo" -c user.email=e2e@x -c user.name=e2e commit -qm init
# A decoy on the host's loopback where the harness's own environment points: Codex must not go there.
mkdir -p "$work/decoy"
printf 'turns: []\n' >"$work/decoy/script.yaml"
"$model_server" --script "$work/decoy/script.yaml" --port-file "$work/decoy/port" --results "$work/decoy/results.json" \
  --allow-leftover >/dev/null 2>&1 &
decoy_pid=$!
for _ in $(seq 1 100); do [[ -s "$work/decoy/port" ]] && break; sleep 0.05; done
[[ -s "$work/decoy/port" ]] || fail "decoy model server did not start"
trap 'kill $decoy_pid 2>/dev/null || true; cleanup' EXIT

# codex_run NAME [PROXY]: one agent through `harness run`; its run dir is $work/NAME.
codex_run() {
  local name=$1 proxy=${2:-false}
  [[ -e "$work/requests.jsonl" ]] && mv "$work/requests.jsonl" "$work/requests-before-$name.jsonl"
  start_model_server "$work/script.yaml"
  cat >"$work/$name.yaml" <<YAML
target: {repo: $repo, bug: "Fix calc.sh and make test.sh pass."}
verify: {command: sh test.sh}
generations: 1
population: 1
runner:
  preset: codex
  env: {OPENAI_BASE_URL: "http://127.0.0.1:$model_port/v1"}
  wall_timeout: 2m
proxy: {enabled: $proxy}
# A sandbox forces the proxy on: the unproxied leg runs unsandboxed, the proxied one sandboxed (issue 12).
sandbox: {mode: $([[ $proxy == true ]] && echo on || echo off)}
strategies: {list: [{name: careful, model: gpt-5-codex, params: {effort: high}}]}
YAML
  OPENAI_BASE_URL="http://127.0.0.1:$(cat "$work/decoy/port")/v1" OPENAI_API_KEY=dummy CODEX_BIN="$(command -v codex)" \
    "$harness" run "$work/$name.yaml" --run-dir "$work/$name" >"$work/$name.out" 2>&1 ||
    fail "harness run ($name) exited $?: $(tail -n 20 "$work/$name.out")"
  stop_model_server
  cp "$work/results.json" "$work/$name.results.json"
}

codex_run run
expect_eq "model and effort the server saw" \
  "$(python3 -c 'import json,sys; b=json.loads(open(sys.argv[1]).readline())["body"]; print(b["model"], b["reasoning"]["effort"])' "$work/requests.jsonl")" \
  "gpt-5-codex high"
expect_eq "requests at runner.env.OPENAI_BASE_URL" "$(wc -l <"$work/requests.jsonl")" 4
expect_eq "requests at the harness's own OPENAI_BASE_URL (the decoy)" \
  "$(curl -s "http://127.0.0.1:$(cat "$work/decoy/port")/__results" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["served"]) + len(d["unexpected"]))')" 0
db="$work/run/run.db"
expect_eq "verify of the codex agent" "$(sql "$db" "SELECT group_concat(type) FROM events WHERE type LIKE 'verify.%'")" "verify.passed"
expect_eq "codex session under the agent span" \
  "$(sql "$db" "SELECT a.kind||'>'||s.name FROM spans s JOIN spans a ON s.parent_span_id=a.span_id WHERE s.kind='session'")" "agent>codex"
expect_eq "llm spans (one per response, from the rollout)" "$(sql "$db" "SELECT count(*) FROM spans WHERE kind='llm'")" 4
expect_eq "the rollout is a raw input" "$(sql "$db" "SELECT count(*) FROM raw_inputs WHERE format='codex-rollout'")" 1
python3 "$root/tests/e2e/lib/exact_usage.py" "$work/run" "$work/run.results.json" --harness "$harness" --label codex ||
  fail "codex figures disagree with what was served"

codex_run proxied true
python3 "$root/tests/e2e/lib/exact_usage.py" "$work/proxied" "$work/proxied.results.json" --proxy --harness "$harness" \
  --label "codex through the proxy" || fail "codex figures through the proxy disagree with what was served"

# `trace rebuild` re-derives every span from the raw inputs: the same spans, the same figures.
for name in run proxied; do
  cp -r "$work/$name" "$work/$name-rebuilt"
  "$harness" trace rebuild "$work/$name-rebuilt" >/dev/null || fail "trace rebuild ($name) failed"
  expect_eq "llm spans after rebuild ($name)" "$(sql "$work/$name-rebuilt/run.db" "SELECT count(*) FROM spans WHERE kind='llm'")" \
    "$(sql "$work/$name/run.db" "SELECT count(*) FROM spans WHERE kind='llm'")"
  flag=""; [[ $name == proxied ]] && flag=--proxy
  python3 "$root/tests/e2e/lib/exact_usage.py" "$work/$name-rebuilt" "$work/$name.results.json" $flag --harness "$harness" \
    --label "codex after rebuild ($name)" || fail "figures changed with trace rebuild ($name)"
done

# The variable the preset once read is refused, naming the one to use.
sed 's/OPENAI_BASE_URL:/CODEX_BASE_URL:/' "$work/run.yaml" >"$work/old.yaml"
rc=0
"$harness" validate "$work/old.yaml" >"$work/old.out" 2>&1 || rc=$?
expect_eq "exit code of a config with runner.env.CODEX_BASE_URL" "$rc" 2
grep -qF "runner.env.CODEX_BASE_URL is not read by the codex preset" "$work/old.out" ||
  fail "no clear error for runner.env.CODEX_BASE_URL: $(cat "$work/old.out")"
echo "PASS $test_name"

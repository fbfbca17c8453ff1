#!/usr/bin/env bash
# E2E (issue 16): the built-in LLM observer and meta-agent with the real Codex CLI (observer.llm and
# strategies.meta: codex; `codex exec --json --output-schema`) against the scripted model server (OpenAI Responses).
# The same shell agent as advisor_claude.sh fixes the bug only under the strategy lock-audit, which only the
# meta-agent knows. Checked: the observer's observation is in observations.md, the meta-agent's proposal reaches
# generation 2's prompt.md, every advisor call went through the run's LLM proxy once and its tokens are counted once
# (spans under the observer spans, summary.json's totals.advisors), and the answer is recorded on its span. Then a
# Codex that ends its turn in an error falls back (meta.failed, the run goes on). SKIP (exit 77) when npm cannot
# provide the CLI.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
use_agent_clis

advisor_preset=codex
advisor_env() { echo "    OPENAI_BASE_URL: \"http://127.0.0.1:$model_port/v1\""; }
source "$(dirname "${BASH_SOURCE[0]}")/lib/advisor_setup.sh"

cat >"$work/script.yaml" <<'YAML'
turns:
  - name: observer-g1
    api: openai
    tools: false
    when: {last_user_contains: "You are the observer"}
    expect_contains: "FAILED: ledger total 41 != 42"
    text: '{"observations":[{"priority":"important","kind":"hypothesis","text":"total.sh prints 41 where the test wants 42: the off-by-one is in total.sh","evidence":["g01-a01"]}]}'
    usage: {input_tokens: 700, output_tokens: 60}
  - name: meta-g2
    api: openai
    tools: false
    when: {last_user_contains: "You design the next generation"}
    expect_contains: "off-by-one is in total.sh"
    text: '{"strategies":[{"name":"lock-audit","based_on":"minimal-fix","approach":"audit-the-total","instructions":"Read total.sh and make it print the right total","model":"","budget_steps":6,"why":"The observer found the off-by-one in total.sh","observations":["O-0001"]}]}'
    usage: {input_tokens: 900, output_tokens: 80}
  - name: observer-g2
    api: openai
    tools: false
    when: {last_user_contains: "You are the observer"}
    text: '{"observations":[]}'
    usage: {input_tokens: 300, output_tokens: 20}
YAML
start_model_server "$work/script.yaml"
export OPENAI_API_KEY=sk-e2e-dummy
export CODEX_BIN="$(command -v codex)"
unset OPENAI_BASE_URL
write_config "$work/harness.yaml" 3 "proxy: {enabled: true}"
"$harness" run "$work/harness.yaml" --run-dir "$work/run" >"$work/run.out" 2>&1 ||
  fail "harness run exited $?: $(tail -n 20 "$work/run.out")"
stop_model_server
run="$work/run"
db="$run/run.db"
grep -q "lock-audit" "$run"/gen-002/*/prompt.md || fail "generation 2's prompt.md does not carry the proposed strategy"
grep -q "off-by-one is in total.sh" "$run/observations.md" || fail "observations.md lacks the LLM observer's observation"
expect_eq "proposal" "$(sql "$db" "SELECT json_extract(payload,'$.preset')||':'||json_extract(payload,'$.strategies[0].name')||':'||json_extract(payload,'$.strategies[0].new') FROM events WHERE type='meta.proposed'")" "codex:lock-audit:1"
expect_eq "advisor spans" "$(sql "$db" "SELECT group_concat(name, ',') FROM (SELECT name FROM spans WHERE name LIKE 'advisor.%' ORDER BY start_ns)")" "advisor.observer,advisor.meta-agent,advisor.observer"
expect_eq "proxy calls under advisor spans" \
  "$(sql "$db" "SELECT count(*) FROM spans p JOIN spans a ON p.parent_span_id=a.span_id WHERE p.kind='llm' AND json_extract(p.attributes,'$.\"harness.source\"')='proxy' AND a.name LIKE 'advisor.%'")" 3
read -r want_in want_out < <(python3 - "$work/results.json" <<'PY'
import json, sys
u = [e["usage"] for e in json.load(open(sys.argv[1]))["served"] if e["turn_index"] is not None]
print(sum(x["input_tokens"] for x in u), sum(x["output_tokens"] for x in u))
PY
)
python3 - "$run/summary.json" "$want_in" "$want_out" <<'PY' || fail "summary.json's advisor figures disagree: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"])' "$run/summary.json")"
import json, sys
a = json.load(open(sys.argv[1]))["totals"]["advisors"]
assert a["questions"] == 3 and a["llm_calls"] == 3, a
assert (a["input_tokens"], a["output_tokens"]) == (int(sys.argv[2]), int(sys.argv[3])), a
PY
expect_eq "recorded answers" "$(sql "$db" "SELECT count(*) FROM events WHERE type='advisor.answered' AND json_extract(payload,'$.error')=''")" 3

# A Codex turn that fails (the API answers 400 every time; Codex says why on stdout): each question falls back, the run goes on.
cat >"$work/script2.yaml" <<'YAML'
turns: []
fallback:
  http_status: 400
  error_message: "model refused"
YAML
start_model_server "$work/script2.yaml"
write_config "$work/harness2.yaml" 2
rc=0
"$harness" run "$work/harness2.yaml" --run-dir "$work/run2" >"$work/run2.out" 2>&1 || rc=$?
[[ $rc == 1 ]] || fail "harness run (fallback) exited $rc, expected 1 (no fix): $(tail -n 20 "$work/run2.out")"
stop_model_server
expect_eq "fallbacks recorded" "$(sql "$work/run2/run.db" "SELECT count(*) FROM events WHERE type IN ('observer.llm.failed','meta.failed') AND json_extract(payload,'$.attempts')=1 AND json_extract(payload,'$.error') LIKE '%exited with status 1: failed: %model refused%'")" 3
grep -q "fell back to the round_robin policy" "$work/run2/report.md" || fail "report.md does not say the meta-agent fell back"
echo "PASS $test_name"

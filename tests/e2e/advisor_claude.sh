#!/usr/bin/env bash
# E2E (issue 16): the built-in LLM observer and meta-agent with the real Claude Code CLI (observer.llm and
# strategies.meta: claude-code) against the scripted model server; the agents are a small shell agent (JSONL
# protocol) that fixes the bug only when its prompt names the strategy `lock-audit`, which no config lists.
# 1. Generation 1's agent fails. The observer answers one observation (merged with the rules' by fingerprint: it
#    repeats the rules' top finding in other words, and adds one of its own); the meta-agent's first answer names
#    an unknown observation id (refused, retried with the error in its prompt), its second proposes the new
#    strategy lock-audit. Generation 2's prompt.md carries lock-audit, its agent fixes the bug. Checked: the
#    advisors' spans sit under generation 1's observer span with the served tokens, their cost is in the run's
#    budget (summary.json), events meta.retried / meta.proposed, the report's convergence path shows the proposal.
# 2. Resume of a finished run asks nothing again (the model server is gone); the advisors' spend counts in the
#    run's budget (a run budget only they push over stops generation 2).
# 3. A malformed answer twice, a CLI that crashes, and a timeout: each falls back (meta.failed /
#    observer.llm.failed with the reason) and the run goes on.
# SKIP (exit 77) when npm cannot provide the CLI.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
use_agent_clis

advisor_preset=claude-code
advisor_env() { echo "    ANTHROPIC_BASE_URL: \"http://127.0.0.1:$model_port\""; }
source "$(dirname "${BASH_SOURCE[0]}")/lib/advisor_setup.sh"

cat >"$work/script.yaml" <<'YAML'
turns:
  - name: observer-g1
    when: {last_user_contains: "You are the observer"}
    expect_contains: "FAILED: ledger total 41 != 42"
    tool_use:
      - name: StructuredOutput
        input:
          observations:
            - {priority: important, kind: hypothesis, text: "total.sh prints 41 where the test wants 42: the off-by-one is in total.sh, not in test.sh", evidence: [g01-a01]}
            - {priority: important, kind: tool_error, text: "bash sh test.sh failed (exit 1): FAILED: ledger total 41 != 42", evidence: [g01-a01]}
    usage: {input_tokens: 700, output_tokens: 60}
  - name: meta-g2-bad
    when: {last_user_contains: "You design the next generation"}
    expect_contains: "off-by-one is in total.sh"
    tool_use:
      - name: StructuredOutput
        input:
          strategies:
            - {name: lock-audit, based_on: minimal-fix, approach: audit, instructions: "Audit total.sh", model: "", budget_steps: 0, why: "x", observations: [O-9999]}
    usage: {input_tokens: 800, output_tokens: 70}
  - name: meta-g2-retry
    when: {last_user_contains: "You design the next generation"}
    expect_contains: "unknown observation \"O-9999\""
    tool_use:
      - name: StructuredOutput
        input:
          strategies:
            - {name: lock-audit, based_on: minimal-fix, approach: audit-the-total, instructions: "Read total.sh and make it print the right total", model: "", budget_steps: 6, why: "The observer found the off-by-one in total.sh", observations: [O-0001]}
    usage: {input_tokens: 900, output_tokens: 80}
  - name: observer-g2
    when: {last_user_contains: "You are the observer"}
    expect_contains: "lock-audit"
    tool_use:
      - {name: StructuredOutput, input: {observations: []}}
    usage: {input_tokens: 300, output_tokens: 20}
YAML
start_model_server "$work/script.yaml"
claude_env "$work/claude-unused"
export CLAUDE_BIN="$(command -v claude)"
write_config "$work/harness.yaml" 3
"$harness" run "$work/harness.yaml" --run-dir "$work/run" >"$work/run.out" 2>&1 ||
  fail "harness run exited $?: $(tail -n 20 "$work/run.out")"
stop_model_server

run="$work/run"
db="$run/run.db"
grep -q "lock-audit" "$run"/gen-002/*/prompt.md || fail "generation 2's prompt.md does not carry the proposed strategy"
expect_eq "generation 2's strategy" "$(sql "$db" "SELECT json_extract(payload,'$.strategies[0].name')||':'||json_extract(payload,'$.strategies[0].new')||':'||json_extract(payload,'$.strategies[0].based_on') FROM events WHERE type='meta.proposed'")" "lock-audit:1:minimal-fix"
expect_eq "meta.retried" "$(sql "$db" "SELECT count(*) FROM events WHERE type='meta.retried' AND json_extract(payload,'$.error') LIKE '%unknown observation%'")" 1
expect_eq "validated fix" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["validated_fixes"])' "$run/summary.json")" 1
# The observer's answers merged with the rules' by fingerprint: its own observation is added, and the one repeating
# the rules' tool error counts on O-0001 (the rules saw it in g01-a01 and g02-a01, the observer once more).
grep -q "off-by-one is in total.sh" "$run/observations.md" || fail "observations.md lacks the LLM observer's observation"
grep -q "O-0001 (seen 3×" "$run/observations.md" || fail "the observer's copy of the rules' finding was not merged: $(grep O-0001 "$run/observations.md")"
expect_eq "advisor spans under generation 1's observer span" \
  "$(sql "$db" "SELECT group_concat(a.name||'/'||json_extract(a.attributes,'$.\"harness.advisor.attempt\"'), ',') FROM (SELECT * FROM spans ORDER BY start_ns) a JOIN spans o ON a.parent_span_id=o.span_id WHERE a.kind='observer' AND o.name='observe generation 1'")" \
  "advisor.observer/1,advisor.meta-agent/1,advisor.meta-agent/2"
expect_eq "advisor span under generation 2's observer span" \
  "$(sql "$db" "SELECT count(*) FROM spans a JOIN spans o ON a.parent_span_id=o.span_id WHERE a.name='advisor.observer' AND o.name='observe generation 2'")" 1
grep -q 'unknown observation "O-9999"' "$run/advisors/meta-agent-g01.2/prompt.md" || fail "the retry's prompt does not carry the error"
read -r want_in want_out < <(python3 - "$work/results.json" <<'PY'
import json, sys
u = [e["usage"] for e in json.load(open(sys.argv[1]))["served"] if e["turn_index"] is not None]
print(sum(x["input_tokens"] for x in u), sum(x["output_tokens"] for x in u))
PY
)
expect_eq "advisor llm tokens in run.db (served)" \
  "$(sql "$db" "WITH RECURSIVE t(id) AS (SELECT span_id FROM spans WHERE name LIKE 'advisor.%' UNION ALL SELECT s.span_id FROM spans s JOIN t ON s.parent_span_id=t.id) SELECT sum(input_tokens)||' '||sum(output_tokens) FROM spans WHERE span_id IN (SELECT id FROM t)")" \
  "$want_in $want_out"
python3 - "$run/summary.json" "$want_in" "$want_out" <<'PY' || fail "summary.json's advisor figures disagree: $(cat "$run/summary.json")"
import json, sys
s = json.load(open(sys.argv[1])); want = int(sys.argv[2]) + int(sys.argv[3])
a = s["totals"]["advisors"]
assert a["questions"] == 4 and a["failed"] == 0 and a["llm_calls"] == 4 and a["tokens"] == want, a
assert s["totals"]["tokens"] == 2 * 110, s["totals"]
PY
grep -q "meta-agent claude-code chose slot 1: lock-audit (new, from minimal-fix)" "$run/report.md" || fail "report.md does not show the proposal"
grep -q "The observer found the off-by-one" "$run/report.md" || fail "report.md does not say why lock-audit was proposed"

# 2. Nothing is asked again on resume (no model server runs now: a question would fail and be recorded).
before=$(sql "$db" "SELECT count(*) FROM events WHERE type IN ('advisor.answered','meta.failed','observer.llm.failed')")
"$harness" resume "$run" >"$work/resume.out" 2>&1 || fail "resume exited $?: $(tail -n 5 "$work/resume.out")"
expect_eq "advisor events after resume" "$(sql "$db" "SELECT count(*) FROM events WHERE type IN ('advisor.answered','meta.failed','observer.llm.failed')")" "$before"

# 2b. The advisors' spend is in the run's budget: 1,500 tokens is more than generation 1's agent (110) but less than
# it plus what its observer and the meta-agent used, so generation 2 is stopped for the run budget at once.
cat >"$work/script-budget.yaml" <<'YAML'
turns:
  - name: observer-g1
    when: {last_user_contains: "You are the observer"}
    tool_use:
      - {name: StructuredOutput, input: {observations: []}}
    usage: {input_tokens: 700, output_tokens: 60}
  - name: meta-g2
    when: {last_user_contains: "You design the next generation"}
    tool_use:
      - {name: StructuredOutput, input: {strategies: [{name: minimal-fix, based_on: "", approach: "", instructions: "", model: "", budget_steps: 0, why: "keep going", observations: []}]}}
    usage: {input_tokens: 800, output_tokens: 70}
fallback:
  tool_use:
    - {name: StructuredOutput, input: {observations: []}}
YAML
start_model_server "$work/script-budget.yaml"
claude_env "$work/claude-unused"
write_config "$work/harness-budget.yaml" 3 "budget: {run: {tokens: 1500}}"
rc=0
"$harness" run "$work/harness-budget.yaml" --run-dir "$work/run-budget" >"$work/run-budget.out" 2>&1 || rc=$?
stop_model_server
[[ $rc == 1 ]] || fail "harness run (budget) exited $rc, expected 1: $(tail -n 20 "$work/run-budget.out")"
expect_eq "run budget tripped in generation 2 with the advisors' tokens" \
  "$(sql "$work/run-budget/run.db" "SELECT json_extract(payload,'$.generation')||':'||(json_extract(payload,'$.tokens') >= 110 + 760 + 870) FROM events WHERE type='budget.exceeded' AND json_extract(payload,'$.scope')='run'")" "2:1"

# 3. Fallbacks: the meta-agent answers garbage twice; the observer's CLI crashes; then a timeout.
cat >"$work/script2.yaml" <<'YAML'
turns:
  - name: observer-g1
    when: {last_user_contains: "You are the observer"}
    tool_use:
      - {name: StructuredOutput, input: {observations: [{priority: important, kind: "", text: "  ", evidence: []}]}}
    usage: {input_tokens: 10, output_tokens: 5}
  - name: observer-g1-retry
    when: {last_user_contains: "You are the observer"}
    expect_contains: "observations[0].text: expected a non-empty string"
    text: "I cannot answer in that shape."   # Claude Code asks again for the tool: the fallback's "OK" is its text
    usage: {input_tokens: 10, output_tokens: 5}
  - name: meta-g2
    when: {last_user_contains: "You design the next generation"}
    tool_use:
      - {name: StructuredOutput, input: {strategies: [{name: "no spaces allowed", based_on: "", approach: "", instructions: "", model: "", budget_steps: 0, why: "", observations: []}]}}
    usage: {input_tokens: 10, output_tokens: 5}
  - name: meta-g2-retry
    when: {last_user_contains: "You design the next generation"}
    tool_use:
      - {name: StructuredOutput, input: {strategies: [{name: brand-new, based_on: "", approach: "", instructions: "", model: "", budget_steps: 0, why: "", observations: []}]}}
    usage: {input_tokens: 10, output_tokens: 5}
YAML
start_model_server "$work/script2.yaml"
claude_env "$work/claude-unused"
write_config "$work/harness2.yaml" 2
rc=0
"$harness" run "$work/harness2.yaml" --run-dir "$work/run2" >"$work/run2.out" 2>&1 || rc=$?
[[ $rc == 1 ]] || fail "harness run (fallbacks) exited $rc, expected 1 (no fix): $(tail -n 20 "$work/run2.out")"
stop_model_server
db2="$work/run2/run.db"
expect_eq "observer fallback" "$(sql "$db2" "SELECT json_extract(payload,'$.attempts')||':'||(json_extract(payload,'$.error') LIKE 'observer.llm claude-code output is not JSON: %') FROM events WHERE type='observer.llm.failed' LIMIT 1")" "2:1"
expect_eq "meta fallback" "$(sql "$db2" "SELECT json_extract(payload,'$.attempts')||':'||(json_extract(payload,'$.error') LIKE '%new strategy \"brand-new\" without params%') FROM events WHERE type='meta.failed'")" "2:1"
expect_eq "generation 2 ran the policy's strategy" "$(sql "$db2" "SELECT json_extract(attributes,'$.\"harness.strategy\"') FROM spans WHERE kind='agent' AND name='g02-a01'")" "minimal-fix"
grep -q "fell back" "$work/run2/report.md" || fail "report.md does not say the meta-agent fell back"

# A CLI that crashes, and one that hangs past observer.command_timeout.
printf '#!/bin/sh\necho "claude: boom" >&2\nexit 3\n' >"$work/crash.sh"
printf '#!/bin/sh\nsleep 30\n' >"$work/hang.sh"
chmod +x "$work/crash.sh" "$work/hang.sh"
for kind in crash hang; do
  write_config "$work/h-$kind.yaml" 2
  sed -i 's/command_timeout: 60s/command_timeout: 2s/' "$work/h-$kind.yaml"
  rc=0
  CLAUDE_BIN="$work/$kind.sh" "$harness" run "$work/h-$kind.yaml" --run-dir "$work/run-$kind" >"$work/run-$kind.out" 2>&1 || rc=$?
  [[ $rc == 1 ]] || fail "harness run ($kind) exited $rc, expected 1 (no fix): $(tail -n 20 "$work/run-$kind.out")"
  want=$([[ $kind == crash ]] && echo "%exited with status 3: claude: boom%" || echo "%timed out after 2s (killed)%")
  expect_eq "$kind: observer and meta-agent fell back" \
    "$(sql "$work/run-$kind/run.db" "SELECT count(*) FROM events WHERE type IN ('observer.llm.failed','meta.failed') AND json_extract(payload,'$.error') LIKE '$want' AND json_extract(payload,'$.attempts')=1")" 3
done
echo "PASS $test_name"

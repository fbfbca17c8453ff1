#!/usr/bin/env bash
# E2E (issue 17): `harness run --from`. A short run of the built-in example (one generation of two demo agents, no
# fix) leaves observations; a second run started --from it holds them before its first agent starts: observations.md
# marks them inherited, the first prompt of generation 1 carries the earlier run's top finding, the report says what
# was inherited and what the run added, and `harness trace why` opens an inherited evidence label in the earlier
# run's store. A run of another repository is refused (exit 2, nothing written), and accepted with --force, which
# the report says. The report of the run --from compares it with the earlier run. Exit 0 pass, else fail.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
harness=${HARNESS_BIN:-$root/build/harness/harness}
fail() { echo "FAIL from_runs: $*"; exit 1; }
[[ -x "$harness" ]] || fail "no harness binary at $harness"
work=$(mktemp -d /tmp/harness-e2e-from.XXXXXX)
short="$root/examples/ledger/.e2e-from-short.yaml"
trap 'rm -f "$short"; [[ -n "${KEEP:-}" ]] || rm -rf "$work"' EXIT
sed -e 's/^generations: .*/generations: 1/' -e 's/^population: .*/population: 2/' \
  "$root/examples/ledger/harness.yaml" >"$short"

rc=0
CI=true "$harness" run "$short" --run-dir "$work/a" --seed 3 --quiet || rc=$?
[[ $rc == 1 ]] || fail "the short run exited $rc, expected 1 (no fix in one generation of two agents)"
top=$(sed -n 's/^- \[important\] O-0001 ([^)]*) \(.*\) — evidence.*/\1/p' "$work/a/observations.md")
[[ -n "$top" ]] || fail "the short run has no important O-0001: $(head -12 "$work/a/observations.md")"
count_a=$(sqlite3 "$work/a/run.db" "SELECT count(*) FROM observations")

rc=0
CI=true "$harness" run "$root/examples/ledger/harness.yaml" --run-dir "$work/b" --seed 5 --from "$work/a" \
  >"$work/b.out" 2>&1 || rc=$?
[[ $rc == 0 || $rc == 1 ]] || fail "the run --from exited $rc: $(tail -n 5 "$work/b.out")"
grep -q "inherited $count_a observations from $work/a" "$work/b.out" || fail "no 'inherited' line: $(head -5 "$work/b.out")"
grep -qF "$top" "$work/b/gen-001/agent-01/prompt.md" || fail "generation 1's first prompt lacks the inherited '$top'"
grep -q "(seen [0-9]*×, inherited" "$work/b/observations.md" || fail "observations.md marks nothing inherited"
grep -q "^- Inherited from earlier runs: $count_a" "$work/b/observations.md" || fail "observations.md lacks the inherited count"
added=$(sqlite3 "$work/b/run.db" "SELECT count(*) FROM observations WHERE first_gen > 0")
grep -qF "**Started from:** $count_a observations inherited from run a ($work/a); this run added $added." "$work/b/report.md" ||
  fail "report.md does not say what was inherited: $(grep -n 'Started from' "$work/b/report.md")"
# report.html puts run a's figures beside b's (harness/report/run_figures.h); a, which started blind, has no such section.
grep -q '<section id="compared"><h2>Compared with the runs it started from</h2>' "$work/b/report.html" ||
  fail "report.html of the run --from has no comparison"
grep -q '<tr><td>a</td><td>completed</td>' "$work/b/report.html" || fail "report.html compares with no row for run a"
grep -q '<tr class="this"><td>b <span class="muted">(this run)</span>' "$work/b/report.html" ||
  fail "report.html compares without a row for the run itself"
! grep -q 'id="compared"' "$work/a/report.html" || fail "report.html of a run started blind has a comparison"
grep -q '^## Compared with the runs it started from$' "$work/b/report.md" || fail "report.md has no comparison"
label=$(grep -o "a/g01-a0[0-9]#e[0-9]*" "$work/b/observations.md" | head -1)
[[ -n "$label" ]] || fail "no inherited evidence label in observations.md"
why=$("$harness" trace why "$work/b" "$label") || fail "trace why $label failed"
[[ "$why" == *"(in the earlier run $work/a)"* && "$why" == *"event #e${label##*#e} "* ]] ||
  fail "trace why did not open $label in the earlier run: $why"

# Another target: a repository of its own.
mkdir -p "$work/other"
git -C "$work/other" init -q
echo 'exit 1' >"$work/other/test.sh"
git -C "$work/other" add . && git -C "$work/other" -c user.email=e@x -c user.name=e commit -qm init
cat >"$work/other.yaml" <<YAML
target: {repo: $work/other, bug: "test.sh fails"}
verify: {command: sh test.sh}
generations: 1
population: 1
runner: {preset: command, command: ["true"]}
YAML
rc=0
CI=true "$harness" run "$work/other.yaml" --run-dir "$work/c" --from "$work/a" >"$work/c.out" 2>&1 || rc=$?
[[ $rc == 2 ]] || fail "a run of another target was not refused (exit $rc): $(tail -n 3 "$work/c.out")"
grep -q "another target: repository" "$work/c.out" || fail "the refusal does not say why: $(cat "$work/c.out")"
[[ ! -e "$work/c" ]] || fail "the refused run left $work/c"
rc=0
CI=true "$harness" run "$work/other.yaml" --run-dir "$work/c" --from "$work/a" --force --quiet || rc=$?
[[ $rc == 1 ]] || fail "the forced run exited $rc"
grep -q "another target accepted with --force: repository" "$work/c/report.md" || fail "report.md does not say it was forced"

# `harness runs` over the three: the figures of each summary.json, and the failure a and b share.
"$harness" runs "$work" --json >"$work/runs.json" || fail "harness runs failed"
"$harness" runs "$work" >"$work/runs.txt" || fail "harness runs (text) failed"
python3 - "$work" <<'PY' || fail "harness runs disagrees with the summaries: $(cat "$work/runs.txt")"
import json, sys, os
work = sys.argv[1]
j = json.load(open(os.path.join(work, "runs.json")))
rows = {r["run_id"]: r for r in j["runs"]}
assert sorted(rows) == ["a", "b", "c"], sorted(rows)
for rid, r in rows.items():
    s = json.load(open(os.path.join(work, rid, "summary.json")))
    t = s["totals"]
    assert r["validated_fixes"] == t["validated_fixes"] and r["agents"] == t["agents"], (rid, r, t)
    assert r["attempts"] == t["attempts"] and r["generations"] == len(s["generations"]), (rid, r)
    assert r["tokens"] == t["tokens"] + t["advisors"]["tokens"], (rid, r, t)
    # summary.json rounds dollars to 6 places
    assert abs(r["cost_usd"] - (t["cost_usd"] + t["advisors"]["cost_usd"])) < 1e-5, (rid, r, t)
    assert r["config_hash"] == s["run"]["config_hash"], (rid, r)
    if t["validated_fixes"]:
        assert r["first_fix_generation"] >= 1 and r["agent_runs_to_first_fix"] >= 1, r
        assert r["cost_usd_per_fix"] == r["cost_usd"] / t["validated_fixes"], r
    else:
        assert r["first_fix_generation"] is None and r["cost_usd_per_fix"] is None, r
assert rows["b"]["from"] == ["a"] and rows["c"]["from"] == ["a"] and rows["a"]["from"] == [], rows
assert rows["a"]["target"] == rows["b"]["target"] != rows["c"]["target"], rows
assert any(set(f["runs"]) >= {"a", "b"} for f in j["shared_failures"]), j["shared_failures"]
PY
echo "PASS from_runs"

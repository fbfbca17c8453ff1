#!/usr/bin/env bash
# The second built-in example (examples/cascade, issue 12) through `harness run`: two demo agents of one generation
# run the service's test (fixed ports 7401-7403) at the same moment (a barrier right before the test binary).
# Unsandboxed (`sandbox.mode: off`) one of them cannot bind and every check it reads fails for a reason that is not
# the bug; sandboxed, both see the real failures and no clash reaches the observations. Then
# the example itself, sandboxed as shipped, finds and validates the two-part fix. Loopback only.
# Exit 0 pass, 77 skip, else fail.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
harness=${HARNESS_BIN:-$root/build/harness/harness}
fail() { echo "FAIL cascade: $*"; exit 1; }
[[ -x "$harness" ]] || fail "no harness binary at $harness"
command -v bwrap >/dev/null || { echo "SKIP cascade: bwrap is not installed (scripts/debian-packages.txt)"; exit 77; }
bwrap --unshare-net --unshare-pid --ro-bind / / --dev /dev --proc /proc true 2>/dev/null ||
  { echo "SKIP cascade: bwrap cannot create namespaces here"; exit 77; }
command -v sqlite3 >/dev/null && command -v python3 >/dev/null || fail "python3 and sqlite3 are needed"

work=$(mktemp -d /tmp/harness-e2e-cascade.XXXXXX)
trap '[[ -n "${KEEP:-}" ]] || rm -rf "$work"' EXIT
"$root/examples/cascade/prepare.sh" "$work/repo" >/dev/null

# Both agents build first, then wait for each other, then start the test binary within milliseconds of each other.
mkdir "$work/barrier"
cat > "$work/barrier.sh" <<BARRIER
#!/bin/sh
touch "$work/barrier/\$\$"
for _ in \$(seq 600); do [ \$(ls "$work/barrier" | wc -l) -ge 2 ] && exit 0; sleep 0.05; done
exit 1
BARRIER
chmod +x "$work/barrier.sh"

write_config() {  # MODE FILE
  python3 - "$root/examples/cascade/harness.yaml" "$2" "$1" "$work" <<'PY'
import sys
src, dst, mode, work = sys.argv[1:]
text = open(src).read()
def swap(old, new):
    global text
    if old not in text:
        sys.exit(f"examples/cascade/harness.yaml no longer holds {old!r}: update tests/e2e/cascade.sh")
    text = text.replace(old, new)
swap("  prepare: ./prepare.sh      # makes .work/repo from project/ (deterministic commit)\n", "")
swap("repo: .work/repo", f"repo: {work}/repo")
swap("generations: 4", "generations: 1")
swap("population: 4", "population: 2")
swap("  repeat: 3 ", "  repeat: 1 ")
swap("  mode: auto ", f"  mode: {mode}\n  writable: [{work}/barrier]\n  readable: [{work}/barrier.sh] ")
text = text.replace("params: {budget_steps: 4}",
    "params: {budget_steps: 1, test_command: 'make -s build/cascade_test && "
    f"{work}/barrier.sh && ./build/cascade_test'}}")
text += "workspace: {keep: all}\n"
open(dst, "w").write(text)
PY
}
# The output of every test run of a run's agents (budget_steps 1: one each).
test_outputs() {
  sqlite3 "$1/run.db" "select json_extract(payload,'$.output') from events where type like 'tool.call.%'
                       and json_extract(payload,'$.output') like '%deadline (%/6 rounds)%'"
}

write_config off "$work/off.yaml"
"$harness" run "$work/off.yaml" --run-dir "$work/run-off" >"$work/off.log" 2>&1 || true
off=$(test_outputs "$work/run-off")
[[ $(grep -c "FAIL setup: cannot listen on 127.0.0.1:74" <<<"$off") == 1 ]] ||
  { cat "$work/off.log"; echo "$off"; fail "mode off: expected exactly one agent to find its port taken"; }
grep -q "FAIL deadline (0/6 rounds); first failure: round 1" <<<"$off" || fail "mode off: the other agent did not run"

write_config on "$work/on.yaml"
"$harness" run "$work/on.yaml" --run-dir "$work/run-on" >"$work/on.log" 2>&1 || true
on=$(test_outputs "$work/run-on")
[[ $(grep -c "FAIL deadline (0/6 rounds); first failure: round 1" <<<"$on") == 2 ]] ||
  { cat "$work/on.log"; echo "$on"; fail "sandboxed: expected both agents to see the real failure"; }
grep -q "Address already in use" <<<"$on" && fail "sandboxed: the agents clashed"
grep -q "Address already in use" "$work/run-on/observations.md" && fail "sandboxed: a clash reached the observations"
[[ $(sqlite3 "$work/run-on/run.db" "select json_extract(attributes,'$.\"harness.sandbox\"') from spans where kind='run'") == on ]] ||
  fail "run span does not say sandbox on"

# The example as shipped (sandboxed by default), from its own folder: it finds and validates the two-part fix.
cp -r "$root/examples/cascade" "$work/example"
rm -rf "$work/example/.work" "$work/example/project/build"
sed -i "s|exec \"\$here/../lib/prepare_repo.sh\"|exec \"$root/examples/lib/prepare_repo.sh\"|" "$work/example/prepare.sh"
"$harness" run "$work/example/harness.yaml" --run-dir "$work/run-example" >"$work/example.log" 2>&1 ||
  { tail -30 "$work/example.log"; fail "the example found no validated fix"; }
summary="$work/run-example/summary.json"
[[ $(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['run']['sandbox'])" "$summary") == on ]] ||
  fail "the example did not run sandboxed"
patch=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['winner']['patch_path'])" "$summary")
grep -q "kGatewayTimeoutMs = 600" "$work/run-example/$patch" && grep -q "kAuthRetries = 0" "$work/run-example/$patch" ||
  fail "the winning patch is not the two-part fix: $(cat "$work/run-example/$patch")"
echo "PASS cascade"

#!/usr/bin/env bash
# Agents as Slurm jobs on a real one-node cluster (issue 7). Installs slurm-wlm and munge from Debian when missing,
# starts munged, slurmctld and slurmd on 127.0.0.1 in a temporary directory (tests/e2e/lib/slurm_cluster.bash),
# then checks with the real harness binary:
#   1. the built-in example (examples/ledger, one generation) with runner.launcher and verify.launcher slurm: every
#      agent and verify run is a Slurm job, the job ids in run.db are the ones squeue --states=all reports;
#   2. a stuck agent (no output, idle timeout 2s) is cancelled through Slurm (its job ends CANCELLED);
#   3. a harness SIGKILLed mid-generation, then `harness resume`: the old jobs are cancelled, none stays queued;
#   4. jobs Slurm rejects (unknown partition): recorded with Slurm's message, the run stops with exit 3.
# Every daemon it started is stopped on exit. Prints SKIPPED (exit 77) with the reason when Slurm cannot be
# installed or started; any other problem is a FAIL (exit 1).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${HARNESS_BUILD_DIR:-$root/build}
harness=${HARNESS_BIN:-$build/harness/harness}
fail() { echo "FAIL slurm: $*"; exit 1; }
skip() { echo "SKIPPED slurm: $*"; exit 77; }
# shellcheck source=lib/slurm_cluster.bash
source "$root/tests/e2e/lib/slurm_cluster.bash"

[[ -x "$harness" ]] || fail "no harness binary at $harness (build first)"
command -v sqlite3 >/dev/null || fail "sqlite3 is missing (scripts/debian-packages.txt installs it)"
reason=$(slurm_cluster_install) || skip "$reason"

work=$(mktemp -d "${TMPDIR:-/tmp}/harness-slurm.XXXXXX")
cleanup() {
  local rc=$?
  [[ -n "${harness_pid:-}" ]] && kill -KILL "$harness_pid" 2>/dev/null
  if [[ $rc -ne 0 && $rc -ne 77 && -d "$work/cluster/log" ]]; then
    echo "--- slurmctld.log (tail)"; tail -n 15 "$work/cluster/log/slurmctld.log" 2>/dev/null || true
    echo "--- slurmd.log (tail)"; tail -n 15 "$work/cluster/log/slurmd.log" 2>/dev/null || true
  fi
  slurm_cluster_stop
  [[ -n "${HARNESS_KEEP_SLURM_TEST:-}" ]] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
slurm_cluster_start "$work/cluster" >"$work/start.log" 2>&1 ||
  skip "the one-node cluster did not start: $(cat "$work/start.log")"
echo "slurm: one-node cluster up (SLURM_CONF=$SLURM_CONF)"

db() { sqlite3 -batch -noheader "$1/run.db" "$2"; }
# "id name state" of every job the controller remembers (MinJobAge keeps ended ones a day).
jobs_all() { squeue --states=all --noheader --format='%i %j %T'; }
# Jobs not ended yet; empty when nothing is queued or running.
jobs_live() { squeue --noheader --format='%i %j %T'; }
state_of() { jobs_all | awk -v id="$1" '$1 == id { print $3 }'; }
name_of() { jobs_all | awk -v id="$1" '$1 == id { print $2 }'; }
wait_until() {  # wait_until SECONDS COMMAND...: polls the command until it succeeds
  local limit=$1; shift
  for _ in $(seq 1 $((limit * 10))); do "$@" && return 0; sleep 0.1; done
  return 1
}

# --- 1. the built-in example, agents and verification as jobs -----------------------------------------------
"$root/examples/ledger/prepare.sh" "$work/repo" >/dev/null
python3 - "$root/examples/ledger/harness.yaml" "$work/ledger.yaml" "$work" <<'EOF'
import sys
src, dst, work = sys.argv[1:]
text = open(src).read()
edits = {
    "  prepare: ./prepare.sh\n": "",
    "  repo: .work/repo\n": f"  repo: {work}/repo\n",
    "generations: 6\n": "generations: 1\n",
    "population: 4\n": "population: 2\n",
    "  timeout: 120\n": "  timeout: 120\n  launcher: slurm\n",
    "  preset: demo ": "  launcher: slurm\n  slurm: {time: \"10\", submit_timeout: 30s}\n  preset: demo ",
}
# A budget for a whole search in one generation: the agents keep an edit that helps, so verification runs.
text = text.replace("budget_steps: 4", "budget_steps: 12")
for old, new in edits.items():
    if old not in text:
        sys.exit(f"examples/ledger/harness.yaml no longer holds {old!r}: update tests/e2e/slurm.sh")
    text = text.replace(old, new)
open(dst, "w").write(text + f"workspace:\n  root: {work}/workspaces\n  keep: none\n")
EOF
"$harness" validate "$work/ledger.yaml" >/dev/null || fail "the edited example config does not validate"
set +e
"$harness" run "$work/ledger.yaml" --run-dir "$work/run1" --quiet >"$work/run1.log" 2>&1
rc=$?
set -e
[[ $rc -eq 0 || $rc -eq 1 ]] || fail "harness run of the example exited $rc: $(tail -n 5 "$work/run1.log")"
agents=$(db "$work/run1" "SELECT count(*) FROM harness_agents")
[[ "$agents" -ge 2 ]] || fail "the example ran $agents agents, expected 2"
run1_dir=$(cd "$work/run1" && pwd)
while IFS='|' read -r id ext outcome; do
  [[ "$ext" =~ ^slurm:([0-9]+)$ ]] || fail "agent $id ran as '$ext', not as a Slurm job"
  job=${BASH_REMATCH[1]}
  [[ "$outcome" == completed ]] || fail "agent $id (job $job) ended $outcome: $(db "$work/run1" "SELECT end_reason FROM harness_agents WHERE id='$id'")"
  [[ "$(state_of "$job")" == COMPLETED ]] || fail "job $job of agent $id is '$(state_of "$job")' in squeue, expected COMPLETED"
  [[ "$(name_of "$job")" == harness-run1-*-"$id" ]] || fail "job $job is named '$(name_of "$job")', expected harness-run1-<hash>-$id"
  attr=$(db "$work/run1" "SELECT json_extract(attributes, '\$.\"slurm.job_id\"') FROM spans WHERE kind='agent' AND name='$id'")
  [[ "$attr" == "$job" ]] || fail "agent span of $id has slurm.job_id '$attr', expected $job"
done < <(db "$work/run1" "SELECT id, external_id, outcome FROM harness_agents")
verified=$(db "$work/run1" "SELECT coalesce(sum(verify_repeats), 0) FROM harness_agents")
agent_jobs=$(jobs_all | awk '$2 ~ /^harness-run1-/' | wc -l)
[[ "$agent_jobs" -eq $((agents + verified)) ]] ||
  fail "squeue shows $agent_jobs jobs of run1, expected $agents agents + $verified verify runs"
[[ "$verified" -ge 1 ]] || fail "no verification ran as a job (with 12 steps a demo agent keeps an edit that helps)"
[[ -z "$(jobs_live)" ]] || fail "jobs still queued after run1: $(jobs_live)"
echo "slurm: example ran $agents agents and $verified verify runs as Slurm jobs, ids match squeue (exit $rc)"

# --- 2. a stuck agent is cancelled through Slurm -------------------------------------------------------------
cat >"$work/stuck.yaml" <<EOF
name: stuck
target: {repo: $work/repo, bug: "stuck agents and leftover jobs"}
verify: {command: "make test", baseline: false}
generations: 1
population: 1
concurrency: 1
runner:
  command: [sh, -c, "exec sleep 300"]
  format: jsonl
  idle_timeout: 2s
  launcher: slurm
EOF
set +e
"$harness" run "$work/stuck.yaml" --run-dir "$work/run2" --quiet >"$work/run2.log" 2>&1
rc=$?
set -e
[[ $rc -eq 1 ]] || fail "the stuck run exited $rc, expected 1: $(tail -n 5 "$work/run2.log")"
IFS='|' read -r ext outcome < <(db "$work/run2" "SELECT external_id, outcome FROM harness_agents")
[[ "$outcome" == killed_stuck ]] || fail "the stuck agent ended $outcome, expected killed_stuck"
job=${ext#slurm:}
[[ "$(state_of "$job")" == CANCELLED ]] || fail "the stuck agent's job $job is '$(state_of "$job")', expected CANCELLED"
[[ -z "$(jobs_live)" ]] || fail "jobs still queued after the stuck run: $(jobs_live)"
echo "slurm: stuck agent killed after its idle timeout; job $job CANCELLED"

# --- 3. harness SIGKILLed mid-generation, then resumed ---------------------------------------------------------
# Attempt 1 of each agent hangs; the attempts a resume starts finish at once.
cat >"$work/resume.yaml" <<EOF
name: resume
target: {repo: $work/repo, bug: "stuck agents and leftover jobs"}
verify: {command: "make test", baseline: false}
generations: 1
population: 2
concurrency: 2
runner:
  command: [sh, -c, "echo '{\"hv\":1,\"type\":\"message\",\"session\":\"s1\",\"role\":\"assistant\",\"text\":\"attempt {attempt}\"}'; if [ {attempt} = 1 ]; then exec sleep 300; fi"]
  format: jsonl
  launcher: slurm
EOF
"$harness" run "$work/resume.yaml" --run-dir "$work/run3" --quiet >"$work/run3.log" 2>&1 &
harness_pid=$!
two_jobs_running() {
  [[ -f "$work/run3/run.db" ]] || return 1
  local n
  n=$(db "$work/run3" "SELECT count(*) FROM harness_agents WHERE external_id LIKE 'slurm:%'" 2>/dev/null) || return 1
  [[ "$n" -eq 2 ]] && [[ $(jobs_live | awk '$2 ~ /^harness-run3-/ && $3 == "RUNNING"' | wc -l) -eq 2 ]]
}
wait_until 60 two_jobs_running || fail "run3 did not get two running jobs: $(tail -n 5 "$work/run3.log"); $(jobs_live)"
{ kill -KILL "$harness_pid" && wait "$harness_pid"; } 2>/dev/null || true  # quietly: no "Killed" job notice
harness_pid=""
old_jobs=$(db "$work/run3" "SELECT substr(external_id, 7) FROM harness_agents WHERE attempt = 1" | sort -n | xargs)
for job in $old_jobs; do
  [[ "$(state_of "$job")" == RUNNING ]] || fail "job $job should outlive the killed harness; it is '$(state_of "$job")'"
done
set +e
timeout 120 "$harness" resume "$work/run3" --quiet >"$work/resume.log" 2>&1
rc=$?
set -e
[[ $rc -eq 1 ]] || fail "harness resume exited $rc, expected 1: $(tail -n 5 "$work/resume.log")"
for job in $old_jobs; do
  [[ "$(state_of "$job")" == CANCELLED ]] || fail "the killed attempt's job $job is '$(state_of "$job")', expected CANCELLED"
done
cancelled=$(db "$work/run3" "SELECT count(*) FROM events WHERE type='slurm.leftover_cancelled'")
[[ "$cancelled" -eq 2 ]] || fail "run.db records $cancelled slurm.leftover_cancelled events, expected 2"
while IFS='|' read -r id attempt status ext; do
  if [[ "$attempt" == 1 ]]; then
    [[ "$status" == interrupted ]] || fail "$id attempt 1 is $status, expected interrupted"
  else
    [[ "$status" == completed && "$ext" =~ ^slurm:[0-9]+$ ]] || fail "$id attempt $attempt is $status as '$ext'"
    [[ "$(state_of "${ext#slurm:}")" == COMPLETED ]] || fail "$id attempt $attempt: job ${ext#slurm:} is '$(state_of "${ext#slurm:}")'"
  fi
done < <(db "$work/run3" "SELECT id, attempt, status, external_id FROM harness_agents")
[[ -z "$(jobs_live)" ]] || fail "jobs still queued after the resume: $(jobs_live)"
if pgrep -f "job-name=harness-run3-" >/dev/null; then fail "an srun of run3 is still alive: $(pgrep -af 'job-name=harness-run3-')"; fi
echo "slurm: killed run resumed; jobs $old_jobs of the killed attempts CANCELLED, queue empty"

# --- 4. jobs Slurm rejects: Slurm's message on the agents, the run stops with exit 3 ----------------------------
sed -e 's/^name: stuck$/name: rejected/' -e 's/  launcher: slurm/  launcher: slurm\n  slurm: {partition: nosuch}/' \
  -e 's/^population: 1$/population: 2/' -e 's/^concurrency: 1$/concurrency: 2/' "$work/stuck.yaml" >"$work/rejected.yaml"
set +e
timeout 120 "$harness" run "$work/rejected.yaml" --run-dir "$work/run4" --quiet >"$work/run4.log" 2>&1
rc=$?
set -e
[[ $rc -eq 3 ]] || fail "the rejected run exited $rc, expected 3: $(tail -n 5 "$work/run4.log")"
expected="slurm: srun: error: invalid partition specified: nosuch; srun: error: Unable to allocate resources: Invalid partition name specified"
while IFS='|' read -r id status outcome reason; do
  [[ "$status|$outcome" == "interrupted|launch_failed" ]] || fail "$id is $status/$outcome, expected interrupted/launch_failed"
  [[ "$reason" == "$expected" ]] || fail "$id records '$reason', expected '$expected'"
done < <(db "$work/run4" "SELECT id, status, outcome, end_reason FROM harness_agents")
[[ "$(db "$work/run4" "SELECT status || ' ' || exit_code FROM harness_run")" == "failed 3" ]] ||
  fail "run4 is recorded as '$(db "$work/run4" "SELECT status || ' ' || exit_code FROM harness_run")', expected 'failed 3'"
echo "slurm: rejected jobs recorded with Slurm's message; run stopped with exit 3"

slurm_cluster_stop
for pid_file in "$work/cluster/slurmctld.pid" "$work/cluster/slurmd.pid" "$work/cluster/munge/munged.pid"; do
  [[ -f "$pid_file" ]] || continue
  pid=$(cat "$pid_file")
  if kill -0 "$pid" 2>/dev/null; then fail "a daemon ($pid_file: $pid) outlived the test's stop"; fi
done
echo "PASS slurm: agents ran as Slurm jobs; stuck, killed and rejected jobs handled; daemons stopped"

#!/usr/bin/env bash
# A nightly bug hunt from cron (no CI system needed). Runs the config, keeps the run dir, makes sure the report
# exists, posts it, uploads the run dir, prunes old runs, and exits with the harness's code:
#   0 validated fix found, 1 none, 2 config or usage error, 3 infrastructure failure, 130 interrupted.
# Example crontab line:
#   17 2 * * *  HARNESS_CONFIG=/srv/bugs/harness.yaml HARNESS_NOTIFY='mail -s "$HARNESS_SUBJECT" team@example.com' \
#               /srv/harness/examples/ci/nightly.sh >> /var/log/harness-nightly.log 2>&1
# Settings (environment):
#   HARNESS_CONFIG       config to run (default: examples/ledger/harness.yaml)
#   HARNESS_RUNS_DIR     where run dirs go (default: <repo>/runs); each night is nightly-<UTC time>
#   HARNESS_KEEP_RUNS    nightly run dirs kept (default 14; older ones are deleted)
#   HARNESS_BIN          the harness binary (default: build it with scripts/setup.sh, then build/harness/harness)
#   HARNESS_NOTIFY       a shell command that gets the report (subject line, blank line, report.md) on stdin;
#                        it sees HARNESS_SUBJECT, HARNESS_RUN_DIR, HARNESS_EXIT_CODE. E.g. 'mail -s "$HARNESS_SUBJECT" me@x'
#   HARNESS_WEBHOOK_URL  posts {"text": subject + headline + report path} as JSON (Slack/Mattermost/Teams-style)
#   HARNESS_UPLOAD       a shell command run after the report, e.g. 'rsync -a "$HARNESS_RUN_DIR" backup:/srv/runs/'
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
config=${HARNESS_CONFIG:-$root/examples/ledger/harness.yaml}
runs=${HARNESS_RUNS_DIR:-$root/runs}
keep=${HARNESS_KEEP_RUNS:-14}
mkdir -p "$runs"

# One hunt at a time: a night that overruns must not collide with the next.
exec 9>"$runs/.nightly.lock"
if ! flock -n 9; then
  echo "nightly: the previous hunt still runs; skipping this one"
  exit 0
fi

harness=${HARNESS_BIN:-}
if [[ -z "$harness" ]]; then
  "$root/scripts/setup.sh" || { echo "nightly: set-up failed"; exit 3; }
  harness=$root/build/harness/harness
fi

run_dir=$runs/nightly-$(date -u +%Y%m%d-%H%M%S)
echo "nightly: $(date -u +%FT%TZ) running $config into $run_dir"
# No terminal under cron, so the harness logs plain lines; stdin closed so nothing can wait on it.
"$harness" run "$config" --run-dir "$run_dir" </dev/null
code=$?
case $code in
  0) verdict="validated fix found" ;;
  1) verdict="no validated fix" ;;
  2) verdict="config or usage error" ;;
  3) verdict="infrastructure failure" ;;
  130) verdict="interrupted (continue with: harness resume $run_dir)" ;;
  *) verdict="unexpected exit code $code" ;;
esac
echo "nightly: exit $code: $verdict"

# The run writes its reports itself; this covers a run that died before it could.
if [[ -f "$run_dir/run.db" ]]; then
  "$harness" report "$run_dir" >/dev/null || echo "nightly: could not write the report"
fi
subject="harness nightly $(basename "$run_dir"): $verdict"
export HARNESS_SUBJECT=$subject HARNESS_RUN_DIR=$run_dir HARNESS_EXIT_CODE=$code

if [[ -n "${HARNESS_NOTIFY:-}" ]]; then
  { echo "$subject"; echo; cat "$run_dir/report.md" 2>/dev/null || echo "(no report.md: the run stopped before writing one)"; } |
    sh -c "$HARNESS_NOTIFY" || echo "nightly: HARNESS_NOTIFY failed"
fi
if [[ -n "${HARNESS_WEBHOOK_URL:-}" ]]; then
  python3 - "$run_dir/summary.json" <<'PY' | curl -fsS -m 30 -X POST -H 'Content-Type: application/json' \
      --data-binary @- "$HARNESS_WEBHOOK_URL" >/dev/null || echo "nightly: webhook post failed"
import json, os, sys
text = os.environ["HARNESS_SUBJECT"]
try:
    s = json.load(open(sys.argv[1], encoding="utf-8"))
    h, t = s["headline"], s["totals"]
    text += f"\n{h['title']}: {h['detail']}\n{t['agents']} agents, {t['tokens']} tokens, ${t['cost_usd']:.2f}"
except (OSError, ValueError, KeyError):
    text += "\n(no summary.json)"
print(json.dumps({"text": text + "\nreport: " + os.path.join(os.environ["HARNESS_RUN_DIR"], "report.html")}))
PY
fi
if [[ -n "${HARNESS_UPLOAD:-}" ]]; then
  sh -c "$HARNESS_UPLOAD" || echo "nightly: HARNESS_UPLOAD failed"
fi

# Keep the newest $keep nightly run dirs (names sort by time).
ls -1d "$runs"/nightly-* 2>/dev/null | head -n -"$keep" | while read -r old; do
  echo "nightly: pruning $old"
  rm -rf -- "$old"
done
exit "$code"

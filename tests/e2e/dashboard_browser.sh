#!/usr/bin/env bash
# Browser check of the live dashboard (issue 15). `harness run` of the built-in example with --serve; headless
# Chromium (Debian's `chromium`, driven over its DevTools protocol by python3-websocket, both installed when
# missing) opens the printed URL once and, without reloading, must see in the DOM an agent row go from running to
# done and observations appear; an evidence link must open its event in the agent's replay. A screenshot is kept as
# build/artifacts/dashboard.png. Without the token, or with a wrong one, the server answers 401; a POST gets 405.
# Prints SKIP with the reason (exit 77) when Chromium cannot be installed; any other problem is a FAIL (exit 1).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${HARNESS_BUILD_DIR:-$root/build}
harness=${HARNESS_BIN:-$build/harness/harness}
artifacts=${HARNESS_ARTIFACTS_DIR:-$build/artifacts}
fail() { echo "FAIL dashboard_browser: $*"; exit 1; }

need=()
command -v chromium >/dev/null || need+=(chromium)
/usr/bin/python3 -c "import websocket" 2>/dev/null || need+=(python3-websocket)
if ((${#need[@]})); then
  echo "dashboard_browser: installing ${need[*]}"
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo -n"
  if ! { $sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
           "${need[@]}"; } >/tmp/dashboard_browser_apt.log 2>&1; then
    echo "SKIP dashboard_browser: ${need[*]} not installed and apt-get could not install them:"
    tail -n 3 /tmp/dashboard_browser_apt.log
    exit 77
  fi
fi
[[ -x "$harness" ]] || fail "no harness binary at $harness (build first)"

work=$(mktemp -d)
profile=$(mktemp -d)
run_pid="" browser_pid=""
cleanup() {
  for p in $browser_pid $run_pid; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work" "$profile"
}
trap cleanup EXIT
mkdir -p "$artifacts"

# The example as scripts/example.sh runs it, with the dashboard beside it.
"$harness" run "$root/examples/ledger/harness.yaml" --run-dir "$work/run" --seed 3 --serve --quiet \
  >"$work/run.out" 2>"$work/run.err" &
run_pid=$!
url=""
for _ in $(seq 1 600); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/?token=[0-9a-f]*' "$work/run.err" | head -n 1 || true)
  [[ -n "$url" ]] && break
  kill -0 "$run_pid" 2>/dev/null || fail "the run ended before printing the dashboard URL: $(tail -n 5 "$work/run.err")"
  sleep 0.1
done
[[ -n "$url" ]] || fail "no dashboard URL printed in 60 s: $(tail -n 5 "$work/run.err")"
base=${url%%/?token=*}

# The token guards every path; the server takes no writes.
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[[ $(code "$base/") == 401 ]] || fail "GET / without the token did not get 401"
[[ $(code "$base/api/run?run=.&token=0123") == 401 ]] || fail "GET /api/run with a wrong token did not get 401"
[[ $(code -X POST "$url") == 405 ]] || fail "POST with the token did not get 405"
[[ $(code "$url") == 200 ]] || fail "GET of the printed URL did not get 200"

/usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
  --disable-sync --no-first-run --user-data-dir="$profile" --remote-debugging-port=0 --window-size=1400,1500 \
  --hide-scrollbars "$url" >"$work/browser.log" 2>&1 &
browser_pid=$!

/usr/bin/python3 - "$profile" "$artifacts/dashboard.png" <<'PY' || fail "the page did not show the run live (above)"
import base64, json, os, sys, time, urllib.request
import websocket

profile, shot = sys.argv[1], sys.argv[2]
deadline = time.time() + 30
while not os.path.exists(os.path.join(profile, "DevToolsActivePort")):
    if time.time() > deadline: sys.exit("chromium wrote no DevToolsActivePort")
    time.sleep(0.1)
port = open(os.path.join(profile, "DevToolsActivePort")).read().split()[0]
pages = []
while not pages:
    pages = [t for t in json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list")) if t["type"] == "page"]
ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=30)
seq = 0
def call(method, **params):
    global seq
    seq += 1
    ws.send(json.dumps({"id": seq, "method": method, "params": params}))
    while True:
        msg = json.loads(ws.recv())
        if msg.get("id") == seq:
            if "error" in msg: sys.exit(f"{method}: {msg['error']}")
            return msg["result"]
def js(expr):
    r = call("Runtime.evaluate", expression=expr, returnByValue=True)
    if "exceptionDetails" in r: sys.exit(f"{expr}: {r['exceptionDetails']}")
    return r["result"].get("value")
def wait_for(what, expr, seconds=240):
    end = time.time() + seconds
    while time.time() < end:
        v = js(expr)
        if v: return v
        time.sleep(0.2)
    sys.exit(f"timed out waiting for {what}; page text: {js('document.body.innerText')[:1500]}")

wait_for("the page to load", "document.readyState === 'complete' && !!document.getElementById('updates')", 30)
js("window.__loadedOnce = 'yes'")  # gone if the page reloads
running = wait_for("an agent running", "(document.querySelector('tr.agent[data-state=running]') || {}).id")
print("dashboard_browser: saw", running, "running")
obs_before = js("document.querySelectorAll('#observations li.obs').length")
wait_for(f"{running} to be done", f"document.getElementById('{running}').dataset.state === 'done'")
print("dashboard_browser: saw", running, "done")
wait_for("new observations", f"document.querySelectorAll('#observations li.obs').length > {obs_before}")
print("dashboard_browser: observations", obs_before, "->", js("document.querySelectorAll('#observations li.obs').length"))
if js("window.__loadedOnce") != "yes": sys.exit("the page reloaded")
if js("performance.getEntriesByType('navigation').length") != 1: sys.exit("more than one navigation")
# An evidence label opens its event in the agent's replay.
label = wait_for("an evidence link to an event", "(() => { const a = [...document.querySelectorAll('a.evidence')]"
                 ".find(x => /#e\\d+$/.test(x.textContent)); if (a) { a.click(); return a.textContent; } })()", 30)
event = label.split("#e")[1]
wait_for(f"event {label} highlighted in the replay", f"!!document.querySelector('#ev-{event}.hit')", 30)
print("dashboard_browser: evidence", label, "opened in the replay")
updates = js("Number(document.getElementById('updates').dataset.count)")
if updates < 3: sys.exit(f"only {updates} pushed updates")
js("window.scrollTo(0, 0)")
data = call("Page.captureScreenshot", format="png")["data"]
open(shot, "wb").write(base64.b64decode(data))
print("dashboard_browser: pushed updates", updates, "screenshot", shot)
PY
rc=0
wait "$run_pid" || rc=$?
run_pid=""
[[ $rc == 0 || $rc == 1 ]] || fail "the run exited $rc: $(tail -n 5 "$work/run.err")"
[[ -s "$artifacts/dashboard.png" ]] || fail "no screenshot written"
echo "PASS dashboard_browser: running -> done and new observations without a reload, 401 without the token ($artifacts/dashboard.png)"

#!/usr/bin/env bash
# The sandbox end to end through `harness run` (issue 12): two agents of one generation both serve 127.0.0.1:8080 at
# once and both verify; an agent sees only its own loopback, cannot reach a server on the host's 127.0.0.1, cannot
# read a file planted in the host's home nor change a host file; the run's LLM proxy is reached (llm spans); an
# allow_hosts entry (a server on the host's loopback standing in for the outside) is reached through the egress
# proxy and a denied host is recorded; a daemon the agent forks is gone after it. Then `sandbox.mode: off` shows
# the port clash. Loopback only. Exit 0 pass, 77 skip, else fail.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
harness=${HARNESS_BIN:-$root/build/harness/harness}
fail() { echo "FAIL sandbox: $*"; exit 1; }
[[ -x "$harness" ]] || fail "no harness binary at $harness"
command -v bwrap >/dev/null || { echo "SKIP sandbox: bwrap is not installed (scripts/debian-packages.txt)"; exit 77; }
bwrap --unshare-net --unshare-pid --ro-bind / / --dev /dev --proc /proc true 2>/dev/null ||
  { echo "SKIP sandbox: bwrap cannot create namespaces here"; exit 77; }
command -v python3 >/dev/null && command -v curl >/dev/null && command -v sqlite3 >/dev/null ||
  fail "python3, curl and sqlite3 are needed"

work=$(mktemp -d /tmp/harness-e2e-sandbox.XXXXXX)
planted="$HOME/.harness-sandbox-planted-$$"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -f "$planted" "$host_file"; rm -rf "$work"
}
trap cleanup EXIT
echo "host secret" > "$planted"
# Outside /tmp (private in a sandbox: a write there would land in the sandbox's own tmpfs), on the host's disk.
host_file="$root/build/.sandbox-e2e-host-file-$$"
echo "untouched" > "$host_file"

# Two servers on the host's loopback: one that must stay unreachable, one allowed through the egress proxy.
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
hidden_port=$(free_port); allowed_port=$(free_port)
(cd "$work" && exec python3 -m http.server "$hidden_port" --bind 127.0.0.1 >/dev/null 2>&1) & pids+=($!)
(cd "$work" && exec python3 -m http.server "$allowed_port" --bind 127.0.0.1 >/dev/null 2>&1) & pids+=($!)
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$allowed_port/" && curl -s -o /dev/null "http://127.0.0.1:$hidden_port/" && break; sleep 0.05; done

mkdir "$work/repo"
git -C "$work/repo" init -q
echo base > "$work/repo/f.txt"
git -C "$work/repo" add . && git -C "$work/repo" -c user.email=t@t -c user.name=t commit -qm base

# The agent: facts into its workspace, a daemon, a server on the fixed port 8080 held while the other agent holds
# its own, then a change the verify command checks (which itself serves 8080 again).
cat > "$work/agent.sh" <<AGENT
#!/bin/sh
out=facts.txt
echo "links=\$(ip -o link | awk '{print \$2}' | tr -d '\n')" > \$out
echo changed > $host_file 2>/dev/null && echo "host-write=ok" >> \$out || echo "host-write=fail" >> \$out
cat $planted >/dev/null 2>&1 && echo "home-read=ok" >> \$out || echo "home-read=fail" >> \$out
curl -s -m 2 -o /dev/null http://127.0.0.1:$hidden_port/ && echo "host-server=reached" >> \$out || echo "host-server=unreachable" >> \$out
echo "proxy=\$(curl -s -o /dev/null -w '%{http_code}' "\$ANTHROPIC_BASE_URL/v1/messages" -d '{}')" >> \$out
echo "allowed=\$(curl -s -m 5 -o /dev/null -w '%{http_code}' --noproxy '' -p http://127.0.0.1:$allowed_port/)" >> \$out
echo "denied=\$(curl -s -m 5 -o /dev/null -w '%{http_connect}' --noproxy '' -p http://127.0.0.2:$allowed_port/)" >> \$out
setsid sh -c 'sleep 7321 &' </dev/null >/dev/null 2>&1
python3 -c '
import socket,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
  s.bind(("127.0.0.1",8080)); s.listen(); print("bind8080=ok"); time.sleep(2)
except OSError as e: print("bind8080=" + e.strerror)
' >> \$out
grep -q "bind8080=ok" \$out && echo changed >> f.txt
echo '{"type":"session.start","session_id":"s"}'
AGENT
chmod +x "$work/agent.sh"
# verify: serves 8080 for a moment and fetches from it (two verify runs at once must not clash either)
cat > "$work/verify.sh" <<'VERIFY'
#!/bin/sh
grep -q changed f.txt || exit 1
python3 -c '
import http.server,threading,urllib.request,time
s=http.server.HTTPServer(("127.0.0.1",8080),http.server.SimpleHTTPRequestHandler)
threading.Thread(target=s.serve_forever,daemon=True).start(); time.sleep(1)
assert urllib.request.urlopen("http://127.0.0.1:8080/").status == 200'
VERIFY
chmod +x "$work/verify.sh"

write_config() {  # MODE FILE
  cat > "$2" <<YAML
name: sandbox-e2e
target: {repo: repo, bug: "serve on 8080"}
verify: {command: "sh $work/verify.sh"}
generations: 1
population: 2
concurrency: 2
runner: {command: [$work/agent.sh], format: jsonl}
workspace: {keep: all}
proxy: {anthropic_upstream: "http://127.0.0.1:$hidden_port"}
sandbox: {mode: $1, readable: [agent.sh, verify.sh], allow_hosts: ["127.0.0.1:$allowed_port"]}
stop: {after_fixes: 0}
YAML
}

write_config on "$work/on.yaml"
(cd "$work" && "$harness" run on.yaml --run-dir "$work/run-on" >"$work/on.log" 2>&1) || { cat "$work/on.log"; fail "sandboxed run failed"; }
for ws in "$work"/run-on/workspaces/g01-a0{1,2}; do
  facts=$(cat "$ws/facts.txt") || fail "no facts in $ws"
  for want in "links=lo:" host-write=fail home-read=fail host-server=unreachable allowed=200 denied=403 bind8080=ok; do
    grep -qx "$want" <<<"$facts" || fail "$ws: expected $want in: $facts"
  done
  grep -q '^proxy=[1-9]' <<<"$facts" || fail "$ws: the LLM proxy was not reached: $facts"
done
[[ $(cat "$host_file") == untouched ]] || fail "a host file was changed from inside the sandbox"
pgrep -f "sleep 7321" >/dev/null && fail "the agent's daemon outlived its sandbox"
db="$work/run-on/run.db"
passed=$(grep -c "verify passed (1/1)" "$work/on.log" || true)
[[ $passed == 2 ]] || { cat "$work/on.log"; fail "expected both agents to verify, got $passed"; }
[[ $(sqlite3 "$db" "select count(*) from spans where kind='llm'") -ge 2 ]] || fail "no llm spans from the proxy"
[[ $(sqlite3 "$db" "select count(*) from events where type='egress.allowed' and json_extract(payload,'$.port')=$allowed_port") -ge 2 ]] ||
  fail "allowed egress not recorded"
[[ $(sqlite3 "$db" "select count(*) from events where type='egress.denied' and json_extract(payload,'$.host')='127.0.0.2'") -ge 2 ]] ||
  fail "denied egress not recorded"
[[ $(sqlite3 "$db" "select json_extract(attributes,'$.\"harness.sandbox\"') from spans where kind='run'") == on ]] ||
  fail "run span does not say sandbox on"

# Unsandboxed, the two agents clash on 8080 (one of them cannot bind): the clash the sandbox prevents.
write_config off "$work/off.yaml"
(cd "$work" && "$harness" run off.yaml --run-dir "$work/run-off" >"$work/off.log" 2>&1) || true
clashes=$(cat "$work"/run-off/workspaces/g01-a0{1,2}/facts.txt | grep -c "bind8080=Address already in use" || true)
[[ $clashes -ge 1 ]] || { cat "$work"/run-off/workspaces/*/facts.txt; fail "mode off: expected a port clash"; }
pkill -f "sleep 7321" 2>/dev/null || true  # unsandboxed, the daemon escapes: what the sandbox prevents
echo "PASS sandbox"

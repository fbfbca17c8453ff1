# Shared by tests/e2e/advisor_claude.sh and advisor_codex.sh (sourced after lib/common.sh): a repository whose
# test fails until total.sh prints 42, a shell agent (JSONL protocol) that fixes it only when its prompt names the
# strategy lock-audit (which no config lists: only a meta-agent can give it), and
# write_config FILE GENERATIONS [extra YAML], which uses $advisor_preset and $advisor_env (the runner.env lines
# that point the CLI at the model server).
repo="$work/repo"
mkdir -p "$repo"
printf 'echo 41\n' >"$repo/total.sh"
printf 'r=$(sh total.sh); if [ "$r" = 42 ]; then echo PASSED; else echo "FAILED: ledger total $r != 42"; exit 1; fi\n' >"$repo/test.sh"
git -C "$repo" init -q && git -C "$repo" add . && git -C "$repo" -c user.email=e2e@x -c user.name=e2e commit -qm init

# The agent: runs the test, fixes total.sh only under the strategy lock-audit, reports in the JSONL protocol.
cat >"$work/agent.sh" <<'AGENT'
#!/bin/sh
prompt=$1
out=$(sh test.sh 2>&1); rc=$?
j() { python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }
echo '{"hv":1,"type":"session.start","session":"s1","agent":"shell","model":"shell-1"}'
echo '{"hv":1,"type":"tool.start","session":"s1","id":"t1","tool":"bash","input":"sh test.sh"}'
if [ $rc -ne 0 ]; then status=error; else status=ok; fi
echo "{\"hv\":1,\"type\":\"tool.end\",\"session\":\"s1\",\"id\":\"t1\",\"status\":\"$status\",\"exit_code\":$rc,\"output\":$(j "$out")}"
if grep -q "lock-audit" "$prompt"; then
  sed -i 's/echo 41/echo 42/' total.sh
  echo '{"hv":1,"type":"file.write","session":"s1","path":"total.sh"}'
fi
echo '{"hv":1,"type":"llm.call","session":"s1","model":"shell-1","input_tokens":100,"output_tokens":10}'
echo '{"hv":1,"type":"session.end","session":"s1","status":"ok"}'
AGENT

write_config() {  # FILE GENERATIONS [extra YAML]
  cat >"$1" <<YAML
name: e2e-advisors-$advisor_preset
target:
  repo: $repo
  bug: "sh test.sh fails: the ledger total is wrong."
verify:
  command: sh test.sh
generations: $2
population: 1
concurrency: 1
runner:
  preset: command
  command: ["sh", "$work/agent.sh", "{prompt_file}"]
  wall_timeout: 1m
  idle_timeout: 1m
  env:
$(advisor_env)
strategies:
  list: [minimal-fix]
  meta: $advisor_preset
observer:
  llm: $advisor_preset
  command_timeout: 60s
stop:
  after_fixes: 1
seed: 7
${3:-}
YAML
}


# The calc.sh fixture of the Claude Code e2e scripts that go through the proxy (agent_claude_proxy.sh,
# agent_claude_budget.sh): a repo whose test.sh fails until calc.sh prints 4, and five scripted turns (edit, test,
# edit, test, done) with known usage, 1,240 to 1,612 tokens each (input + output). Sourced after common.sh; sets
# $repo and writes $work/script.yaml.
repo="$work/repo"
mkdir -p "$repo"
printf 'echo 5\n' >"$repo/calc.sh"
printf 'r=$(sh calc.sh); if [ "$r" = 4 ]; then echo PASSED; else echo "FAILED: add(2,2) = $r"; exit 1; fi\n' >"$repo/test.sh"
git -C "$repo" init -q && git -C "$repo" add . && git -C "$repo" -c user.email=e2e@x -c user.name=e2e commit -qm init

# Paths are relative: the agent works in its own worktree, not in $repo.
cat >"$work/script.yaml" <<YAML
turns:
  - name: first-edit
    expect_contains: "make test.sh pass"
    text: "I will change calc.sh."
    tool_use:
      - {name: Edit, input: {file_path: "calc.sh", old_string: "echo 5", new_string: "echo 3"}}
    usage: {input_tokens: 1200, output_tokens: 40, cache_creation_input_tokens: 300}
  - name: run-test
    tool_use:
      - {name: Bash, input: {command: "sh test.sh", description: "Run the test"}}
    usage: {input_tokens: 1300, output_tokens: 25, cache_read_input_tokens: 1000}
  - name: second-edit
    expect_contains: "FAILED: add(2,2) = 3"
    text: "Still wrong; 2+2 is 4."
    tool_use:
      - {name: Edit, input: {file_path: "calc.sh", old_string: "echo 3", new_string: "echo 4"}}
    usage: {input_tokens: 1400, output_tokens: 55, cache_read_input_tokens: 1100}
  - name: rerun-test
    tool_use:
      - {name: Bash, input: {command: "sh test.sh", description: "Run the test again"}}
    usage: {input_tokens: 1500, output_tokens: 20, cache_read_input_tokens: 1200}
  - name: done
    expect_contains: "PASSED"
    text: "The test passes now."
    usage: {input_tokens: 1600, output_tokens: 12, cache_read_input_tokens: 1300}
YAML

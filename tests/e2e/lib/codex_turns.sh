# The calc.sh fixture of the Codex e2e scripts (agent_codex_patch.sh, agent_codex_budget.sh): a folder whose
# test.sh fails until calc.sh prints 4 (not a git repo yet: each script makes one when it needs it), and one turn
# of four scripted Responses (run the test, apply_patch, run it again, done) with known usage. Sourced after
# common.sh; sets $repo and writes $work/script.yaml.
repo="$work/repo"
mkdir -p "$repo"
printf 'echo 5\n' >"$repo/calc.sh"
printf 'r=$(sh calc.sh); if [ "$r" = 4 ]; then echo PASSED; else echo "FAILED: add(2,2) = $r"; exit 1; fi\n' >"$repo/test.sh"

cat >"$work/script.yaml" <<'YAML'
turns:
  - name: run-test
    expect_contains: "make test.sh pass"
    reasoning: "Run the test first."
    tool_use:
      - {name: exec_command, input: {cmd: "sh test.sh"}}
    usage: {input_tokens: 2000, output_tokens: 40, cache_read_input_tokens: 1000, reasoning_tokens: 12}
  - name: patch
    expect_contains: "FAILED: add(2,2) = 5"
    tool_use:
      - name: exec_command
        input: {cmd: "apply_patch <<'EOF'\n*** Begin Patch\n*** Update File: calc.sh\n@@\n-echo 5\n+echo 4\n*** End Patch\nEOF\n"}
    usage: {input_tokens: 2100, output_tokens: 60, cache_read_input_tokens: 1500}
  - name: rerun
    tool_use:
      - {name: exec_command, input: {cmd: "sh test.sh"}}
    usage: {input_tokens: 2200, output_tokens: 20}
  - name: done
    expect_contains: "PASSED"
    text: "Fixed calc.sh; the test passes."
    usage: {input_tokens: 2300, output_tokens: 10, cache_read_input_tokens: 2000}
YAML

#!/usr/bin/env bash
# harness vs agent-strace (issue 19): the same real Claude Code transcripts imported and summed up by both tools, in
# one run, on the same files and machine, best of ROUNDS wall-clock times, rounds alternating.
#   harness       `harness import FILE... --out DIR` then `harness trace stats DIR` (two processes)
#   agent-strace  its CLI for the same thing: `agent-strace --trace-dir D import FILE` once per file (it takes one
#                 path) then `agent-strace --trace-dir D stats SESSION_ID` once per session (it summarises one
#                 session: totals, tool-call frequency, errors), so 2 x FILES processes
#   in-process    (for reference) agent-strace's own functions, `import_jsonl` and `cmd_stats`, for every file in
#                 one interpreter: what its CLI costs without a Python start and its imports per call
# Input: FILES copies of the real 2.7 MB transcript shared/fixtures/claude-transcripts/ae4a77f8-...jsonl (Claude
# Code 2.1.39, 2,385 lines), each with fresh uuids, tool_use/msg/req ids and sessionId (bench/agent_strace_compare.py
# copies), named <sessionId>.jsonl in a ~/.claude/projects/<project>/ layout. Both tools must report the same
# sessions and tool calls as the files' tool_use blocks (printed; a mismatch fails the bench).
#
# agent-strace (PyPI agent-strace, github.com/Siddhant-K-code/agent-trace, MIT, Python standard library only) is
# run from where it was obtained, never copied into this repository. Where it comes from, first found wins:
#   1. AGENT_STRACE_SRC: a git dir (the bench unpacks `git archive HEAD src/agent_trace` into its work dir), a
#      checkout holding src/agent_trace/, or a folder holding agent_trace/ (site-packages)
#   2. the snapshot this machine's `fetch` tool brought in: /work/.mirror/Siddhant-K-code+agent-trace/repo (a bare
#      git dir; measured: commit b8ea84a of 2026-05-01, agent-strace 0.32.0; env AGENT_STRACE_MIRROR to look
#      elsewhere), unpacked the same way
#   3. an installed copy: `agent_trace` importable by python3 (pip install agent-strace), or an `agent-strace`
#      command on PATH (uv tool / pipx) whose interpreter imports it
#   Neither Debian nor npm ships it (apt-cache search, npm view agent-strace: 404; checked 2026-12-04), and this
#   bench installs nothing. With none of these (CI: no /work/.mirror) it prints `SKIP: <reason>` and exits 77.
#
# Usage: nice -n 10 bench/agent_strace_compare.sh [FILES (default 20)] [ROUNDS (default 3)]
#   env HARNESS_BIN (default build/harness/harness), HARNESS_FIXTURES (default ../shared/fixtures),
#   AGENT_STRACE_SRC, AGENT_STRACE_MIRROR, PYTHON (default python3). About 1 minute on 2 cores with the defaults.
# Last line: `ratio: N.Nx` (agent-strace CLI time / harness time; above 1 harness is faster).
# Exit: 0 measured, 1 the tools disagree on the sanity figures, 2 usage or a missing harness binary, 77 skipped.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
helper="$root/bench/agent_strace_compare.py"
nfiles=${1:-20}
rounds=${2:-3}
bin=${HARNESS_BIN:-$root/build/harness/harness}
fixtures=${HARNESS_FIXTURES:-$root/../shared/fixtures}
transcript="$fixtures/claude-transcripts/ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl"
mirror=${AGENT_STRACE_MIRROR:-/work/.mirror/Siddhant-K-code+agent-trace/repo}

skip() { echo "SKIP: $*"; exit 77; }
[[ "$nfiles" =~ ^[1-9][0-9]*$ && "$rounds" =~ ^[1-9][0-9]*$ ]] ||
  { echo "agent_strace_compare: expected FILES and ROUNDS as positive integers, got '$nfiles' '$rounds'" >&2; exit 2; }
[[ -x "$bin" ]] || { echo "agent_strace_compare: build first (scripts/setup.sh): $bin missing" >&2; exit 2; }
[[ -f "$transcript" ]] || skip "no real Claude Code transcript at $transcript (set HARNESS_FIXTURES)"
# The bench runs in its work dir: paths given relative to where it was started, made absolute first.
bin=$(realpath "$bin") transcript=$(realpath "$transcript") mirror=$(realpath -m "$mirror")
[[ -n "${AGENT_STRACE_SRC:-}" ]] && AGENT_STRACE_SRC=$(realpath -m "$AGENT_STRACE_SRC")
command -v "${PYTHON:-python3}" >/dev/null || skip "no ${PYTHON:-python3} to run agent-strace with"
# The interpreter itself, not a launcher in front of it: a pyenv shim costs ~0.2 s a start, which would be charged
# to each of agent-strace's 2 x FILES commands.
python=$("${PYTHON:-python3}" -c 'import sys; print(sys.executable)')
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' ||
  skip "agent-strace needs Python >= 3.10; $python is $("$python" -V 2>&1)"

work=$(mktemp -d "${TMPDIR:-/tmp}/harness-agent-strace-XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"  # agent-strace writes relative to the working directory by default; keep anything it adds in here

# How the harness binary was compiled, from its build tree (figures of an unoptimised build say little).
build_flags="build flags unknown"
cache="$(dirname "$bin")/../CMakeCache.txt"
if [[ -f "$cache" ]]; then
  type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$cache")
  flags=$(sed -n 's/^CXX_FLAGS = //p' "$(dirname "$bin")/../trace/CMakeFiles/trace.dir/flags.make" 2>/dev/null)
  opt=$(grep -o -- '-O[0-9sgz]*' <<< "$flags" | tail -n 1 || true)
  build_flags="build type ${type:-unset}, trace/ compiled with ${opt:-no -O flag (-O0)}"
fi

# --- agent-strace's source --------------------------------------------------------------------------------------
pythonpath=""  # empty: the interpreter imports agent_trace as installed
origin=""
unpack_git() {  # git dir -> $work/agent-strace-src/src/agent_trace
  local commit
  commit=$(git --git-dir="$1" rev-parse --short HEAD 2>/dev/null) || return 1
  mkdir -p "$work/agent-strace-src"
  git --git-dir="$1" archive HEAD src/agent_trace 2>/dev/null | tar -x -C "$work/agent-strace-src" || return 1
  pythonpath="$work/agent-strace-src/src"
  origin="$2 $1 (commit $commit)"
}
if [[ -n "${AGENT_STRACE_SRC:-}" ]]; then
  src=$AGENT_STRACE_SRC
  if [[ -f "$src/src/agent_trace/cli.py" ]]; then pythonpath="$src/src"; origin="AGENT_STRACE_SRC $src"
  elif [[ -f "$src/agent_trace/cli.py" ]]; then pythonpath="$src"; origin="AGENT_STRACE_SRC $src"
  elif ! unpack_git "$src" AGENT_STRACE_SRC; then
    echo "agent_strace_compare: AGENT_STRACE_SRC=$src is neither a git dir nor a folder holding" \
         "src/agent_trace/ or agent_trace/" >&2
    exit 2
  fi
elif [[ -d "$mirror" ]] && unpack_git "$mirror" "fetched snapshot"; then :
elif "$python" -c 'import agent_trace.cli, agent_trace.jsonl_import' 2>/dev/null; then
  origin="installed module $("$python" -c 'import agent_trace, os; print(os.path.dirname(agent_trace.__file__))')"
elif cmd=$(command -v agent-strace 2>/dev/null) &&
     shebang=$(head -n 1 "$cmd" | sed -n 's/^#! *\([^ ]*\).*/\1/p') && [[ -x "$shebang" ]] &&
     "$shebang" -c 'import agent_trace.cli, agent_trace.jsonl_import' 2>/dev/null; then
  python=$shebang
  origin="installed command $cmd"
else
  skip "agent-strace's source not found: AGENT_STRACE_SRC unset, no snapshot at $mirror, no agent_trace module" \
       "for $python, no agent-strace command (PyPI is out of reach here; neither Debian nor npm ships it)"
fi
export PYTHONPATH="$pythonpath${PYTHONPATH:+:$PYTHONPATH}"
version=$("$python" -c 'import agent_trace; print(agent_trace.__version__)' 2>/dev/null) ||
  skip "agent-strace from $origin does not import with $python"
agent_strace() {  # what the `agent-strace` console script runs (pyproject: agent_trace.cli:main)
  "$python" -c 'import sys; from agent_trace.cli import main; sys.argv[0] = "agent-strace"; main()' "$@"
}

# --- the transcripts ----------------------------------------------------------------------------------------------
project="$work/claude/projects/-work-repo"
"$python" "$helper" copies "$transcript" "$project" "$nfiles" > "$work/session_ids"
mapfile -t ids < "$work/session_ids"
files=()
for id in "${ids[@]}"; do files+=("$project/$id.jsonl"); done
bytes=$(cat "${files[@]}" | wc -c)
tool_uses=$("$python" "$helper" tool-uses "${files[@]}")

# --- rounds ---------------------------------------------------------------------------------------------------------
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
best() { sort -g | head -n 1; }
: > "$work/h.times"; : > "$work/a.times"; : > "$work/p.times"
for ((r = 1; r <= rounds; r++)); do
  rm -rf "$work/h"
  t0=$EPOCHREALTIME
  "$bin" import "${files[@]}" --out "$work/h" > "$work/h.import.log"
  t1=$EPOCHREALTIME
  "$bin" trace stats "$work/h" > "$work/h.stats.txt"
  t2=$EPOCHREALTIME
  echo "$(elapsed "$t0" "$t2") $(elapsed "$t0" "$t1") $(elapsed "$t1" "$t2")" >> "$work/h.times"

  rm -rf "$work/a"
  : > "$work/a.stats.txt"
  t0=$EPOCHREALTIME
  for f in "${files[@]}"; do agent_strace --trace-dir "$work/a" import "$f" 2>> "$work/a.import.log"; done
  t1=$EPOCHREALTIME
  for id in "${ids[@]}"; do agent_strace --trace-dir "$work/a" stats "$id" >> "$work/a.stats.txt"; done
  t2=$EPOCHREALTIME
  echo "$(elapsed "$t0" "$t2") $(elapsed "$t0" "$t1") $(elapsed "$t1" "$t2")" >> "$work/a.times"

  rm -rf "$work/p"
  t0=$EPOCHREALTIME
  split=$("$python" "$helper" agent-strace-inproc "$work/p" "${files[@]}")
  t1=$EPOCHREALTIME
  echo "$(elapsed "$t0" "$t1") $split" >> "$work/p.times"
  echo "round $r/$rounds: harness $(cut -d' ' -f1 < <(tail -n 1 "$work/h.times")) s," \
       "agent-strace $(cut -d' ' -f1 < <(tail -n 1 "$work/a.times")) s," \
       "in-process $(cut -d' ' -f1 < <(tail -n 1 "$work/p.times")) s" >&2
done

# --- sanity: the same sessions and tool calls -------------------------------------------------------------------------
"$bin" trace stats "$work/h" --json > "$work/h.stats.json"
read -r h_sessions h_tools h_errors < <("$python" "$helper" harness-stats "$work/h.stats.json")
read -r a_sessions a_tools a_errors < <("$python" "$helper" agent-strace-stats "$work/a.stats.txt")

# --- report ---------------------------------------------------------------------------------------------------------
row() {  # label, times file: the best round by total, with its import and stats parts
  read -r total imp sta < <(sort -g "$2" | head -n 1)
  printf '| %-52s | %8s s | %8s s | %8s s |\n' "$1" "$imp" "$sta" "$total"
}
h_best=$(cut -d' ' -f1 "$work/h.times" | best)
a_best=$(cut -d' ' -f1 "$work/a.times" | best)
p_best=$(cut -d' ' -f1 "$work/p.times" | best)
echo "harness: $bin ($("$bin" --version 2>/dev/null | head -n 1); $build_flags)"
echo "agent-strace $version: $origin, run by $python ($("$python" -V 2>&1))"
printf 'input: %d Claude Code transcripts, %s bytes (%.1f MB), %d tool_use blocks; %d rounds, best wall time; ' \
  "$nfiles" "$bytes" "$(awk -v b="$bytes" 'BEGIN { print b / 1e6 }')" "$tool_uses" "$rounds"
echo "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), nice $(nice)"
echo
printf '| %-52s | %10s | %10s | %10s |\n' "tool" "import" "stats" "total"
printf '|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..54})" "------------" "------------" "------------"
row "harness: import FILE... --out DIR + trace stats DIR" "$work/h.times"
row "agent-strace CLI: $nfiles x import FILE + $nfiles x stats ID" "$work/a.times"
row "agent-strace in-process: import_jsonl + cmd_stats" "$work/p.times"
echo
echo "sanity: harness ${h_sessions} sessions, ${h_tools} tool calls; agent-strace ${a_sessions} sessions," \
     "${a_tools} tool calls; the files hold ${tool_uses} tool_use blocks in ${nfiles} sessions"
# Not checked: agent-strace's stats count only its own ERROR events, never a tool_result with is_error.
echo "failed tool calls (not compared): harness ${h_errors}, agent-strace ${a_errors}"
status=0
if [[ "$h_sessions" != "$nfiles" || "$a_sessions" != "$nfiles" || "$h_tools" != "$tool_uses" ||
      "$a_tools" != "$tool_uses" ]]; then
  echo "MISMATCH: the two tools did not see the same sessions and tool calls" >&2
  status=1
fi
ratio=$(awk -v a="$a_best" -v h="$h_best" 'BEGIN { printf "%.1f", a / h }')
echo "in-process ratio: $(awk -v p="$p_best" -v h="$h_best" 'BEGIN { printf "%.2f", p / h }')x" \
     "(agent-strace's functions in one interpreter / harness)"
echo "target: >= 50x; $(awk -v r="$ratio" 'BEGIN { print (r >= 50 ? "met" : "not met") }')"
echo "ratio: ${ratio}x"
exit $status

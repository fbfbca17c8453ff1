#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) with clang, ASan and UBSan into their own build dir and runs each for
# a bounded time, seeded from the real inputs (HARNESS_FIXTURES, tests/trace/data, the example configs).
# HARNESS_FUZZ_SECONDS (per target, default 20), HARNESS_FUZZ_TARGETS (default: all), HARNESS_FUZZ_BUILD_DIR
# (default build-fuzz/), HARNESS_BUILD_LOCK (a file to flock around the build on a shared machine), HARNESS_JOBS.
# A crash, leak or timeout leaves its input under <build>/artifacts/ and fails the script. Exit 77: no libFuzzer.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${HARNESS_FUZZ_BUILD_DIR:-$root/build-fuzz}
fixtures=${HARNESS_FIXTURES:-$root/../shared/fixtures}
seconds=${HARNESS_FUZZ_SECONDS:-20}
targets=${HARNESS_FUZZ_TARGETS:-"fuzz_jsonl fuzz_claude_stream fuzz_claude_transcript fuzz_codex fuzz_otlp fuzz_otlp_document fuzz_llm_call fuzz_config"}
lock=()
[[ -n "${HARNESS_BUILD_LOCK:-}" ]] && lock=(flock "$HARNESS_BUILD_LOCK")
command -v clang++ >/dev/null || { echo "fuzz: no clang++ (Debian: clang, libclang-rt-14-dev); skipped"; exit 77; }

start=$SECONDS
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Test -DCMAKE_CXX_COMPILER=clang++ -DHARNESS_FUZZ=ON \
  -DHARNESS_TESTS=OFF -DHARNESS_BENCH=OFF -DCMAKE_CXX_FLAGS="$flags" ${HARNESS_CMAKE_ARGS:-} >/dev/null
grep -q "HARNESS_HAVE_LIBFUZZER:INTERNAL=1" "$build/CMakeCache.txt" ||
  { echo "fuzz: clang++ cannot link -fsanitize=fuzzer; skipped"; exit 77; }
build_args=()
for t in $targets; do build_args+=(--target "$t"); done
"${lock[@]}" cmake --build "$build" -j"${HARNESS_JOBS:-2}" "${build_args[@]}"
echo "fuzz: built in $((SECONDS - start)) s"

# Seeds: each target's corpus folder starts from the real inputs of its format (a fuzzer's own finds are kept
# there between runs of the same build dir).
seed() {  # seed TARGET FILE...
  mkdir -p "$build/corpus/$1"
  local t=$1; shift
  for f in "$@"; do [[ -f "$f" ]] && cp "$f" "$build/corpus/$t/"; done
  return 0
}
data=$root/tests/trace/data
seed fuzz_claude_stream "$fixtures"/claude-stream-json/*.jsonl "$data"/claude-2.1.330/stream-*.jsonl
seed fuzz_claude_transcript "$fixtures"/claude-transcripts/short.jsonl "$fixtures"/claude-transcripts/tool_heavy.jsonl \
  "$data"/claude-2.1.330/subagents/*.jsonl
seed fuzz_codex "$fixtures"/codex-exec-json/* "$data"/codex-0.169.0/exec.jsonl
seed fuzz_otlp "$fixtures"/otlp-json/*.json
seed fuzz_otlp_document "$fixtures"/otlp-json/*.json
seed fuzz_config "$root"/examples/*/harness.yaml
seed fuzz_jsonl
sed -n '/^```json$/,/^```$/p' "$root/docs/trace-protocol.md" | sed '1d;$d' > "$build/corpus/fuzz_jsonl/protocol-example.jsonl"
seed fuzz_llm_call
printf '\x03event: message_start\ndata: {"type":"message_start","message":{"id":"m","model":"claude","usage":{"input_tokens":5,"output_tokens":1}}}\n\nevent: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}\n\nevent: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":9}}\n\n' \
  > "$build/corpus/fuzz_llm_call/anthropic.sse"
printf '\x02data: {"type":"response.completed","response":{"id":"r","model":"gpt","usage":{"input_tokens":3,"output_tokens":4}}}\n\n' \
  > "$build/corpus/fuzz_llm_call/openai.sse"
printf '\x01{"id":"m","model":"claude","content":[{"type":"text","text":"x"}],"usage":{"input_tokens":1,"output_tokens":2}}' \
  > "$build/corpus/fuzz_llm_call/anthropic.json"

mkdir -p "$build/artifacts" "$build/logs"
failed=()
for t in $targets; do
  rc=0
  # -rss_limit_mb and -timeout bound one input; -max_len keeps inputs near the fixtures' line sizes.
  "$build/tests/fuzz/$t" "$build/corpus/$t" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" >"$build/logs/$t.log" 2>&1 || rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$build/logs/$t.log" | grep -o '[0-9]*$' || echo "?")
  if ((rc == 0)); then
    echo "fuzz: $t $execs inputs in ${seconds} s, no crash"
  else
    failed+=("$t")
    echo "fuzz: $t FAILED (exit $rc) after $execs inputs; log $build/logs/$t.log, input under $build/artifacts/"
    grep -m3 -E "ERROR: |SUMMARY: |runtime error" "$build/logs/$t.log" | sed 's/^/  /' || true
  fi
done
echo "fuzz: ${#failed[@]} of $(wc -w <<<"$targets") targets failed${failed:+: ${failed[*]}} ($((SECONDS - start)) s in all)"
[[ ${#failed[@]} == 0 ]]

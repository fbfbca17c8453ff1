// Exact per-call usage from the files a CLI leaves after a session, laid over the spans its live stream made:
// Claude Code's session transcript (stream-json repeats each message's usage as message_start gave it, so its
// output_tokens are provisional; the transcript has every message's final figures) and Codex's rollout file
// (`codex exec --json` states usage once per turn; the rollout has one token_count per model response).
// Each such file is a raw input of the run (format `claude-usage` or `codex-rollout`, parent_span_id = the live
// stream's session span), its redacted copy kept under raw/, so `trace rebuild` lays it over the re-derived
// stream again, in the same order: counts and totals come out the same. Not thread-safe beyond the store's own.
#pragma once

#include <string>

#include "trace/store.h"

namespace trace {

inline constexpr const char* kClaudeUsageFormat = "claude-usage";
inline constexpr const char* kCodexRolloutFormat = "codex-rollout";

bool is_session_usage_format(const std::string& format);

struct SessionUsageResult {
  int64_t raw_id = 0;
  int64_t calls_matched = 0;   // llm spans of the stream whose usage the file restated exactly
  int64_t calls_added = 0;     // model calls the stream did not show one by one (Codex: responses within a turn)
  int64_t calls_replaced = 0;  // coarse stream spans the file's calls replaced (Codex: the turn's llm span)
};

// Registers `path` as a raw input of kind `format` over the session `session_span_id`, keeps its redacted copy
// under out_dir/raw/, and applies it. Throws StoreError when the file cannot be read or copied.
SessionUsageResult import_session_usage(Store& store, const std::string& out_dir, const std::string& trace_id,
                                        const std::string& path, const std::string& format,
                                        const std::string& session_span_id);

// Applies a kept raw input of a session-usage format (its copy at `path`) to what the store holds now.
SessionUsageResult apply_session_usage(Store& store, const RawInput& raw, const std::string& path);

// The two appliers (internal; one file each).
SessionUsageResult apply_claude_transcript_usage(Store& store, const RawInput& raw, const std::string& path);
SessionUsageResult apply_codex_rollout_usage(Store& store, const RawInput& raw, const std::string& path);

}  // namespace trace

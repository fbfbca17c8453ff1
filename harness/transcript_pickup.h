// After a Claude Code agent ends: finds the session transcripts it left (runner.transcripts globs) and decodes
// their subagent transcripts (`<session>/subagents/agent-<id>.jsonl`) under the Agent/Task call of the live
// stream that spawned them, replacing the stream's mirror of that subagent (stream-json omits a subagent's last
// message and its usage). The main session stays as the stream gave it, so nothing is counted twice; the
// transcripts stay where they are (under the run dir). Called from the loop thread; not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "trace/store.h"

namespace harness {

struct TranscriptPickup {
  std::vector<std::string> sessions;   // transcript files found (absolute paths)
  std::vector<std::string> imported;   // subagent transcripts decoded into the tree
  std::vector<std::string> errors;     // files that could not be read or decoded
};

// Files matching `pattern` (`*`, `?`, `[..]` within one path segment), sorted.
std::vector<std::string> glob_files(const std::string& pattern);

// `stream_raw_id`: the raw input of the agent's live stream (its spans are searched for the Agent/Task calls).
TranscriptPickup pick_up_claude_transcripts(trace::Store& store, const std::string& run_root,
                                            const std::string& trace_id, int64_t stream_raw_id,
                                            const std::vector<std::string>& patterns);

}  // namespace harness

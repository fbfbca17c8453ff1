// After an agent ends: finds the session files its CLI left (runner.transcripts globs) and lays them over what
// its live stream decoded. Claude Code: each subagent transcript (`<session>/subagents/agent-<id>.jsonl`) is
// decoded under the Agent/Task call that spawned it, replacing the stream's mirror of that subagent (stream-json
// omits a subagent's last message and its usage), and the main transcript's final per-message usage replaces
// the stream's provisional figures (trace/session_usage.h). Codex: the rollout file's one token_count per model
// response becomes one llm span each, replacing the turn's. The files stay where they are (under the run dir);
// their redacted copies are raw inputs, so `trace rebuild` does the same. Called from the loop thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "trace/decoder.h"
#include "trace/store.h"

namespace harness {

struct TranscriptPickup {
  std::vector<std::string> sessions;   // transcript files found (absolute paths)
  std::vector<std::string> imported;   // subagent transcripts decoded into the tree
  std::vector<std::string> usage_files;  // main transcript / rollout whose per-call usage was laid over the stream
  int64_t calls_matched = 0;           // llm spans of the stream given their exact usage
  int64_t calls_added = 0;             // model calls the stream had not shown one by one (Codex responses)
  std::vector<std::string> errors;     // files that could not be read or decoded
};

// Files matching `pattern` (`*`, `?`, `[..]` within one path segment), sorted.
std::vector<std::string> glob_files(const std::string& pattern);

// Every file matching one of `patterns`, sorted, each once.
std::vector<std::string> files_matching(const std::vector<std::string>& patterns);

// What the stream's format calls for (claude-stream: pick_up_claude_transcripts; codex: the rollout); other
// formats leave session files alone.
TranscriptPickup pick_up_session_files(trace::Store& store, const std::string& run_root, const std::string& trace_id,
                                       int64_t stream_raw_id, trace::Format stream_format,
                                       const std::vector<std::string>& patterns);

// `stream_raw_id`: the raw input of the agent's live stream (its spans are searched for the Agent/Task calls).
TranscriptPickup pick_up_claude_transcripts(trace::Store& store, const std::string& run_root,
                                            const std::string& trace_id, int64_t stream_raw_id,
                                            const std::vector<std::string>& patterns);

}  // namespace harness

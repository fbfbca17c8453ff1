#include "harness/transcript_pickup.h"

#include <algorithm>
#include <filesystem>

#include "trace/decoded_spans.h"
#include "trace/glob.h"
#include "trace/import.h"
#include "trace/session_usage.h"

namespace fs = std::filesystem;

namespace harness {
namespace {

bool has_glob_chars(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

// The Agent/Task tool span of the stream that spawned subagent `agent_id` (empty when the stream has none).
std::string spawning_call(trace::Store& store, int64_t stream_raw_id, const std::string& agent_id) {
  return trace::decoded_tool_span(store, stream_raw_id, "claude.agent_id", agent_id);
}

// The file of `files` that belongs to session `id`: its name holds the id (Claude: <id>.jsonl; Codex:
// rollout-<time>-<id>.jsonl); without an id, the only file there is.
std::string file_of_session(const std::vector<std::string>& files, const std::string& id) {
  if (id.empty()) return files.size() == 1 ? files[0] : "";
  for (const auto& f : files)
    if (fs::path(f).filename().string().find(id) != std::string::npos) return f;
  return "";
}

void lay_over_stream(trace::Store& store, const std::string& run_root, const std::string& trace_id,
                     int64_t stream_raw_id, const std::string& format, TranscriptPickup& result) {
  auto [session_span, session_id] = trace::first_decoded_session(store, stream_raw_id);
  if (session_span.empty()) return;
  std::string file = file_of_session(result.sessions, session_id);
  if (file.empty()) return;
  try {
    auto applied = trace::import_session_usage(store, run_root, trace_id, file, format, session_span);
    result.usage_files.push_back(file);
    result.calls_matched += applied.calls_matched;
    result.calls_added += applied.calls_added;
  } catch (const std::exception& e) {
    result.errors.push_back(file + ": " + e.what());
  }
}

std::string agent_id_from_name(const fs::path& file) {
  std::string stem = file.stem().string();
  return stem.rfind("agent-", 0) == 0 ? stem.substr(6) : stem;
}

}  // namespace

std::vector<std::string> glob_files(const std::string& pattern) {
  std::vector<std::string> out;
  fs::path p(pattern);
  // The fixed directory before the first segment with a wildcard; the rest is matched segment by segment.
  fs::path base;
  std::vector<std::string> rest;
  for (const auto& part : p) {
    if (rest.empty() && !has_glob_chars(part.string())) base /= part;
    else rest.push_back(part.string());
  }
  std::error_code ec;
  if (rest.empty()) {
    if (fs::is_regular_file(base, ec)) out.push_back(base.string());
    return out;
  }
  std::vector<fs::path> level = {base};
  for (size_t i = 0; i < rest.size(); ++i) {
    std::vector<fs::path> next;
    for (const auto& dir : level) {
      for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (!trace::glob_match(rest[i], it->path().filename().string())) continue;
        bool last = i + 1 == rest.size();
        if (last ? it->is_regular_file(ec) : it->is_directory(ec)) next.push_back(it->path());
      }
      ec.clear();
    }
    level = std::move(next);
  }
  for (const auto& f : level) out.push_back(f.string());
  std::sort(out.begin(), out.end());
  return out;
}

TranscriptPickup pick_up_session_files(trace::Store& store, const std::string& run_root, const std::string& trace_id,
                                       int64_t stream_raw_id, trace::Format stream_format,
                                       const std::vector<std::string>& patterns) {
  if (stream_format == trace::Format::claude_stream)
    return pick_up_claude_transcripts(store, run_root, trace_id, stream_raw_id, patterns);
  TranscriptPickup result;
  if (stream_format != trace::Format::codex) return result;
  result.sessions = files_matching(patterns);
  if (result.sessions.empty()) return result;
  lay_over_stream(store, run_root, trace_id, stream_raw_id, trace::kCodexRolloutFormat, result);
  return result;
}

std::vector<std::string> files_matching(const std::vector<std::string>& patterns) {
  std::vector<std::string> out;
  for (const auto& pattern : patterns)
    for (auto& file : glob_files(pattern)) out.push_back(std::move(file));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

TranscriptPickup pick_up_claude_transcripts(trace::Store& store, const std::string& run_root,
                                            const std::string& trace_id, int64_t stream_raw_id,
                                            const std::vector<std::string>& patterns) {
  TranscriptPickup result;
  result.sessions = files_matching(patterns);
  std::error_code ec;
  if (!result.sessions.empty()) fs::create_directories(fs::path(run_root) / "raw", ec);  // raw copies go there
  for (const auto& session : result.sessions) {
    fs::path subagents = fs::path(session).replace_extension("") / "subagents";
    for (const auto& file : glob_files((subagents / "agent-*.jsonl").string())) {
      std::string tool_span = spawning_call(store, stream_raw_id, agent_id_from_name(file));
      if (tool_span.empty()) continue;  // not spawned by a call the stream saw (e.g. the compaction helper)
      try {
        // Replaces the subagent the stream mirrored under that call (drop_claude_progress_mirrors), which lacks
        // the subagent's last message.
        trace::import_one_with_companions(store, run_root, trace_id, file, trace::Format::claude_transcript,
                                          tool_span, trace::raw_input_label(store, stream_raw_id));
        result.imported.push_back(file);
      } catch (const std::exception& e) {
        result.errors.push_back(file + ": " + e.what());
      }
    }
  }
  // The main thread's messages: their final usage replaces the stream's provisional figures.
  if (!result.sessions.empty())
    lay_over_stream(store, run_root, trace_id, stream_raw_id, trace::kClaudeUsageFormat, result);
  return result;
}

}  // namespace harness

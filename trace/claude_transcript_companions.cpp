// The subagent transcripts of a Claude Code session file (`<session>/subagents/agent-<id>.jsonl`) and the
// tool call each hangs under, looked up in what the session's decoder just stored: the transcript decoder
// records the subagent's agentId as attribute `claude.agent_id` on the Agent/Task tool span (from
// agent_progress lines and from the call's toolUseResult). Called with the store's writes flushed; not
// thread-safe beyond the store's own.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <unordered_map>

#include "trace/import.h"
#include "trace/store_internal.h"
#include "trace/json_parse.h"

namespace trace {
namespace {

namespace fs = std::filesystem;

// The agentId a subagent transcript names on its first line; else the one in its file name
// (agent-<id>.jsonl).
std::string agent_id_of(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::string line;
  if (std::getline(in, line)) {
    Json j = trace::parse_untrusted_json(line);
    if (j.is_object()) {
      auto it = j.find("agentId");
      if (it != j.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) return *it;
    }
  }
  std::string stem = file.stem().string();
  return stem.rfind("agent-", 0) == 0 ? stem.substr(6) : stem;
}

}  // namespace

std::vector<Companion> claude_transcript_companions(Store& store, const std::string& session_path,
                                                    const RawInput& session_raw) {
  std::vector<Companion> out;
  fs::path dir = fs::path(session_path).replace_extension("") / "subagents";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_regular_file(ec) && entry.path().extension() == ".jsonl")
      out.push_back({entry.path().string(), ""});
  if (out.empty()) return out;
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.path < b.path; });

  std::lock_guard lock(internal::mutex(store));
  store.flush();
  std::unordered_map<std::string, std::string> tool_of_agent;
  {
    Statement st(internal::db(store),
                 "SELECT span_id, json_extract(attributes, '$.\"claude.agent_id\"') FROM spans "
                 "WHERE raw_id = ? AND kind = 'tool' AND json_extract(attributes, '$.\"claude.agent_id\"') "
                 "IS NOT NULL");
    st.bind(1, session_raw.id);
    while (st.step()) tool_of_agent.emplace(st.text(1), st.text(0));
  }
  // Subagents no tool call spawned (the compaction helper `acompact-*`) hang under the session itself.
  std::string session_span = session_raw.parent_span_id;
  {
    Statement st(internal::db(store),
                 "SELECT span_id FROM spans WHERE raw_id = ? AND parent_span_id = ? AND kind IN ('session', "
                 "'subagent') "
                 "ORDER BY start_ns LIMIT 1");
    st.bind(1, session_raw.id).bind(2, session_raw.parent_span_id);
    if (st.step()) session_span = st.text(0);
  }
  for (auto& companion : out) {
    auto it = tool_of_agent.find(agent_id_of(companion.path));
    companion.parent_span_id = it != tool_of_agent.end() ? it->second : session_span;
  }
  return out;
}

void drop_claude_progress_mirrors(Store& store, const std::string& tool_span_id) {
  // The mirror is the subagent span marked claude.from_progress (a session's agent_progress lines) or
  // claude.from_stream (stream-json, which lacks the subagent's last message) under the spawning call, and
  // everything below it.
  static const char* kSubtree =
      "WITH RECURSIVE sub(id) AS ("
      "  SELECT span_id FROM spans WHERE parent_span_id = ?1 AND kind = 'subagent'"
      "    AND (json_extract(attributes, '$.\"claude.from_progress\"') = 1"
      "      OR json_extract(attributes, '$.\"claude.from_stream\"') = 1)"
      "  UNION SELECT spans.span_id FROM spans JOIN sub ON spans.parent_span_id = sub.id) ";
  store.transaction([&] {
    // The call's `subagent.spawned` named the mirror: it goes with it, and the transcript's decoder says it
    // again naming the span that replaces it, so the link resolves after pickup and after `trace rebuild`.
    Statement spawned(internal::db(store),
                      std::string(kSubtree) +
                          "DELETE FROM events WHERE span_id = ?1 AND type = 'subagent.spawned' AND "
                          "json_extract(payload, '$.child_session') IN (SELECT id FROM sub)");
    spawned.bind(1, tool_span_id);
    spawned.step();
    Statement events(internal::db(store),
                     std::string(kSubtree) + "DELETE FROM events WHERE span_id IN (SELECT id FROM sub)");
    events.bind(1, tool_span_id);
    events.step();
    Statement spans(internal::db(store),
                    std::string(kSubtree) + "DELETE FROM spans WHERE span_id IN (SELECT id FROM sub)");
    spans.bind(1, tool_span_id);
    spans.step();
  });
}

}  // namespace trace

// `harness trace replay`: a session's timeline, event by event, with times relative to the session's start and a
// marker per kind of step (▶ prompt / tool call, ◆ llm call, ✓ result, ✗ error, ...). A subagent's timeline is
// inlined, indented, right under the tool call that spawned it when asked (else one summary line there).
// Every line of an event shows its id (#e41), the handle `harness trace why` takes. Pure functions; not thread-safe.
#pragma once

#include <string>
#include <vector>

#include "trace/query_sessions.h"

namespace trace {

struct ReplayOptions {
  std::string session;  // empty: every top-level session; else a span id prefix or session.id
  bool expand_subagents = false;
};

struct ReplayLine {
  int64_t time_ns = 0;
  int64_t event_id = 0;  // 0 for lines that stand for a span (llm call, subagent header)
  std::string span_id;
  int depth = 0;         // subagent nesting below the replayed session
  std::string type;      // event type, or "llm.call" / "subagent"
  std::string marker;    // ▶ ◆ ✓ ✗ ⚠ ● ■ ↳ ·
  std::string what;      // "tool Bash", "prompt", "llm claude-sonnet-4", ...
  std::string detail;    // one line, clipped
};

struct ReplaySession {
  Span span;
  std::string label;
  std::string status;    // as SessionNode::status_text()
  SessionTotals totals;  // its own figures
  std::vector<ReplayLine> lines;
};

struct ReplayResult {
  std::vector<ReplaySession> sessions;
};

// The replay, or why not: options.session matched no session or several.
base::Result<ReplayResult> replay(Store& store, const ReplayOptions& options);
std::string format_replay(const ReplayResult& result);
Json replay_to_json(const ReplayResult& result);

}  // namespace trace

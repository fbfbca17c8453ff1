// `harness trace tree`: one line per session and subagent, nested by parent (a subagent under the session whose
// tool call spawned it), with the harness's run/generation/agent spans as headers. Built from the session graph
// and one SQL aggregate, so it stays fast on a 1M-event store. Pure functions over a Store; not thread-safe.
#pragma once

#include <string>

#include "trace/query_sessions.h"

namespace trace {

struct TraceTree {
  SessionGraph graph;
  std::vector<SessionTotals> subtree;  // per node: its own figures plus every session below it
  int64_t sessions = 0;                // top-level sessions
  int64_t subagents = 0;
  int max_depth = 0;
  SessionTotals totals;  // all sessions
};

TraceTree build_tree(Store& store);
// Aligned columns, tree-drawn names, a header and a one-line summary; "no sessions" for an empty store.
std::string format_tree(const TraceTree& tree);
// {"summary": {...}, "roots": [{span_id, kind, name, agent, status, start, duration_ms, tool_calls, ..., children}]}
Json tree_to_json(const TraceTree& tree);

}  // namespace trace

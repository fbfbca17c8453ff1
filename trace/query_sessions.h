// The session-level view of a run store that the trace queries share: the structural spans (run, generation,
// agent, session, subagent), each linked to the node it nests under (a subagent through the tool span that spawned
// it), and per-session figures summed by SQL aggregates. Functions take the store's lock while they read; the
// returned values are plain data.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "trace/model.h"
#include "trace/store.h"

namespace trace {

// Sums over the spans whose session_id is one session (the session's own span included: decoders put a session's
// cost either on its llm spans or on the session span, never both, so summing all of them counts it once).
struct SessionTotals {
  int64_t spans = 0;
  int64_t tool_calls = 0;
  int64_t tool_errors = 0;
  int64_t llm_calls = 0;
  int64_t llm_errors = 0;
  Usage usage;
  void add(const SessionTotals& other);
};

// "name [agent]" for a session whose agent label differs from its name, else the name; a subagent's is its name.
std::string session_label(std::string_view name, SpanKind kind, std::string_view agent);

struct SessionNode {
  Span span;
  int parent = -1;            // index in SessionGraph::nodes; -1 for a root
  std::vector<int> children;  // ordered by start time
  int depth = 0;              // 1 for a top-level session, +1 per subagent level; 0 for run/generation/agent
  SessionTotals own;          // filled for sessions and subagents when totals were loaded
  bool is_session() const { return span.kind == SpanKind::session || span.kind == SpanKind::subagent; }
  // "name [agent label]" (the label is the agent id or imported file name), or just the name (always for a
  // subagent, which shares its parent's label).
  std::string label() const;
  int64_t duration_ms() const;
  // ok, error, running (no end yet), unfinished (closed at end of input), - (status unset).
  std::string status_text() const;
};

struct SessionGraph {
  std::vector<SessionNode> nodes;  // ordered by start time
  std::vector<int> roots;
  std::unordered_map<std::string, int> by_span_id;
  // Sessions of the subtree under `node` (itself included when it is a session), depth first.
  std::vector<int> sessions_under(int node) const;
};

// Loads every structural span. With `with_totals`, also one GROUP BY over all spans for the per-session figures.
SessionGraph load_session_graph(Store& store, bool with_totals);
// Fills `own` of every session node from one GROUP BY over all spans (the covering index spans_usage).
void load_all_totals(Store& store, SessionGraph& graph);
// Figures of one session (an aggregate restricted to its session_id).
SessionTotals load_session_totals(Store& store, const std::string& session_id);

// SESSION as a user types it: an exact span id, a session.id attribute value, or a span id prefix (in that order
// of preference). Returns the node index, or why not (no match, or an ambiguous one listing candidates).
base::Result<int> find_session(const SessionGraph& graph, std::string_view query);

}  // namespace trace

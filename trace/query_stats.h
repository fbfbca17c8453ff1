// `harness trace stats`: totals over the sessions of a run store (or one session), summed by SQL aggregates over
// the span columns (tool calls, errors, llm calls, tokens, cost), plus durations, nesting depth and the hotspot.
// Pure functions over a Store; not thread-safe.
#pragma once

#include <optional>
#include <string>

#include "trace/query_sessions.h"

namespace trace {

struct StatsOptions {
  std::string session;             // empty: every top-level session; else a span id prefix or session.id
  bool include_subagents = false;  // count the spans of subagent sessions under the selected ones too
};

struct Hotspot {
  std::string session;  // span id
  std::string name;     // label
  int64_t duration_ms = 0;
  int64_t tool_calls = 0;
  int64_t errors = 0;  // failed tool calls
};

struct TraceStats {
  int64_t sessions = 0;   // sessions counted (subagents included when asked for)
  int64_t subagents = 0;  // of which subagents
  SessionTotals totals;
  int64_t duration_ms = 0;  // sum of the selected top-level sessions' durations (subagents run inside them)
  int64_t wall_ms = 0;      // first start to last end over the selected top-level sessions
  int max_depth = 0;        // deepest session nesting under the selection (1: no subagents), whatever the flag
  std::optional<Hotspot> hotspot;  // the counted session that ran longest (ties: more errors, then span id)
};

// The figures, or why not: options.session matched no session or several.
base::Result<TraceStats> compute_stats(Store& store, const StatsOptions& options);
std::string format_stats(const TraceStats& stats);
// sessions, subagents, tool_calls, tool_errors, llm_calls, llm_errors, input_tokens, output_tokens,
// cache_read_tokens, cache_creation_tokens, cost_usd, duration_ms, wall_ms, max_depth, hotspot{...} (null if none).
Json stats_to_json(const TraceStats& stats);

}  // namespace trace

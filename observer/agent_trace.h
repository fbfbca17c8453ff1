// One agent's part of the run store: every span under its agent span (sessions, LLM and tool calls, subagents,
// verify) and the events on them, loaded up front so the rules can scan it in memory. Not thread-safe itself;
// the Store it reads from is.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "trace/model.h"
#include "trace/store.h"

namespace observer {

struct AgentTrace {
  std::vector<trace::Span> spans;    // the subtree below the agent span (not the agent span itself), by start time
  // Events on the agent span and on those spans, by id (= order written). The payloads of tool.call.started and
  // tool.call.completed are left empty: the tool span's attributes hold the same, and parsing them was most of
  // the loading time.
  std::vector<trace::Event> events;
  // Index into `events` of each span's events, in order.
  std::unordered_map<std::string, std::vector<size_t>> events_by_span;
  // Fills events_by_span from events.
  void index();
};

// Reads the subtree of `agent_span_id` (trace::load_subtree). An unknown span id gives an empty trace.
AgentTrace load_agent_trace(trace::Store& store, const std::string& agent_span_id);

// The same for many agents at once (result i for agent_span_ids[i]): trace::load_subtrees, one scan of the spans
// and one of the events, so use it per generation, not per agent. A span reachable from two agents goes to the first.
std::vector<AgentTrace> load_agent_traces(trace::Store& store, const std::vector<std::string>& agent_span_ids);

}  // namespace observer

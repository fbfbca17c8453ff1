// `harness trace why`: the causal chain of one event. Upwards, the spans above it (run > ... > session > tool).
// Across sessions, the last write of the same file (or shared state key) by ANOTHER session before this event
// touched it, and, for each such write, what explains it in turn: the previous write of that path by yet another
// session, and what its session had read from other sessions before writing. A few levels deep, never in a cycle.
// Pure functions over a Store; not thread-safe.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "trace/model.h"
#include "trace/store.h"

namespace trace {

struct WhyOptions {
  int max_depth = 3;       // levels of cross-session causes below the asked event
  int max_inputs = 3;      // per write: how many of its session's earlier cross-session reads to follow
};

struct WhyNode {
  Event event;
  std::vector<Span> chain;  // root first, ending with the span the event is on
  std::string session_id;   // span id of the session the event belongs to
  std::string touched;      // the path or state key the event touches (empty if none)
  std::string reason;       // how this node explains its parent (empty for the asked event)
  std::vector<WhyNode> causes;
};

// `event_ref` as a user types it: 41, e41, #e41, or an observation's evidence label g02-a03#e41. The explained
// event with its causes, or why not (not an event id, no such event).
base::Result<WhyNode> explain_event(Store& store, const std::string& event_ref, const WhyOptions& options = {});
std::string format_why(const WhyNode& root);
Json why_to_json(const WhyNode& root);

}  // namespace trace

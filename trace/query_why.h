// `harness trace why`: the causal chain of one event. Upwards, the spans above it (run > ... > session > tool).
// Across sessions, the last write of the same file (or shared state key) by ANOTHER session before this event
// touched it, and, for each such write, what explains it in turn: the previous write of that path by yet another
// session, and what its session had read from other sessions before writing. A few levels deep, never in a cycle.
// Pure functions over a Store; not thread-safe.
#pragma once

#include <string>
#include <vector>

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

struct WhyResult {
  WhyNode root;
  std::string error;  // unknown event id
};

// `event_ref` as a user types it: 41, e41, #e41, or an observation's evidence label g02-a03#e41.
WhyResult explain_event(Store& store, const std::string& event_ref, const WhyOptions& options = {});
std::string format_why(const WhyResult& result);
Json why_to_json(const WhyResult& result);

}  // namespace trace

// The spans and events below given root spans, for a reader of whole agent traces (the observer).
#pragma once

#include <string>
#include <vector>

#include "trace/store.h"

namespace trace {

struct Subtree {
  std::vector<Span> spans;    // below the root (not the root itself), by start time
  std::vector<Event> events;  // on the root and on those spans, by id (= order written)
};

// The subtree of `root` through the parent index; an unknown id gives an empty one. Cycle-safe. With
// `tool_payloads` false the payloads of tool.call.started / tool.call.completed stay null: the tool span's
// attributes hold the same, and parsing them was most of the loading time.
Subtree load_subtree(Store& store, const std::string& root, bool tool_payloads = false);

// The same for many roots at once (result i for roots[i]), with one sequential scan of the spans and one of the
// events instead of an index walk per root: under half the time for a generation of 25 agents
// (bench/observer_extract); the scans grow with the whole store, so use it per generation, not per agent.
// A span reachable from two listed roots goes to the first.
std::vector<Subtree> load_subtrees(Store& store, const std::vector<std::string>& roots, bool tool_payloads = false);

}  // namespace trace

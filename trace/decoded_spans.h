// Lookups among the spans decoded from one raw input, for the harness's transcript pickup: the session a live
// stream made and the tool call that spawned a subagent.
#pragma once

#include <cstdint>
#include <string>

#include "trace/store.h"

namespace trace {

// The first (by start) session span decoded from raw input `raw_id`, and the id its source gave it (attribute
// `session.id`: Claude Code's session id, Codex's thread id); both empty when there is none.
struct DecodedSession {
  std::string span_id;
  std::string source_id;
};
DecodedSession first_decoded_session(Store& store, int64_t raw_id);

// The tool span decoded from `raw_id` whose string attribute `attribute` equals `value`; empty when none.
std::string decoded_tool_span(Store& store, int64_t raw_id, const std::string& attribute, const std::string& value);

// The label of raw input `raw_id` (the agent id in a run); empty when there is no such input.
std::string raw_input_label(Store& store, int64_t raw_id);

}  // namespace trace

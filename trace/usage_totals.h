// What a span's subtree adds up to: tokens and cost summed over every span below it (usage lives on exactly one
// span per model call, so a plain sum never counts a call twice), and its llm calls (a proxy span matched to the
// agent's own span of the call is not counted again), tool calls and failed tool calls. The one place the harness's agent records, status, reports and budgets take their totals from, so they
// agree with `trace stats` after transcript pickup and after `trace rebuild`. Thread-safe (the store's lock).
#pragma once

#include <cstdint>
#include <string>

#include "trace/model.h"
#include "trace/store.h"

namespace trace {

struct SubtreeTotals {
  Usage usage;
  int64_t llm_calls = 0;
  int64_t tool_calls = 0;
  int64_t tool_errors = 0;
};

// The totals of `span_id` and everything below it (a parent cycle in hostile input ends the walk, never loops).
SubtreeTotals subtree_totals(Store& store, const std::string& span_id);

}  // namespace trace

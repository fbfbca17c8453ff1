// Live loop and dead-end detection over one agent's trace as it is decoded (deterministic, no model): the same
// action (tool + normalised arguments + outcome) repeated N times in a row, a cycle of two or three actions
// repeated N times, or N model calls in a row without a tool call. Only finished tool calls count, so one long
// build or test that is still running is never a loop, and model calls made while a tool call is open (a
// subagent at work) do not count as calls without progress. Fed by the harness's live sink (agent_activity.h);
// not thread-safe (one detector per agent, on the loop's thread).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "trace/model.h"

namespace observer {

struct LoopSettings {
  int repeats = 5;               // N: an action or cycle seen this many times in a row is a loop (0: off)
  int max_cycle = 3;             // longest cycle of distinct actions looked for (1 finds plain repeats only)
  int model_calls_without_tools = 0;  // this many model calls in a row without a tool call (0: off)
};

struct LoopDetection {
  std::string kind;     // "repeat" (one action), "cycle" (period > 1), "no_tool_progress"
  int period = 1;       // actions per cycle (0 for no_tool_progress)
  int repeats = 0;      // how many times the cycle (or the model call) was seen in a row
  std::string summary;  // one line: what was repeated, e.g. `Bash "make test" failing, 5 times in a row`
  std::vector<std::string> span_ids;  // the spans of the repeated actions, oldest first (bounded)
};

// The action key of a finished tool span: tool name, arguments with whitespace collapsed, status, and the
// first part of its result with digit runs folded (timings, pids and ports differ between two runs of one
// failing command). Exposed for tests.
std::string loop_action_key(const trace::Span& tool_span);

class LoopDetector {
 public:
  explicit LoopDetector(LoopSettings settings);

  // A span as the decoder sends it (when it opens, and again when it ends). Returns a detection when this span
  // completes a loop; the history is then cleared, so the same loop is reported again only after another N.
  std::optional<LoopDetection> on_span(const trace::Span& span);

 private:
  struct Action {
    uint64_t key;
    std::string span_id;
    std::string label;  // tool and clipped arguments, for the summary
    bool failed;
  };

  std::optional<LoopDetection> check_cycles();
  std::optional<LoopDetection> on_model_call(const trace::Span& span);
  // True the first time a finished span is seen: decoders upsert a span when it opens and when it ends, close
  // together, so a bounded window of recent ids is enough (memory stays flat over 500k tool calls).
  bool first_sight(const std::string& span_id);

  LoopSettings settings_;
  std::deque<Action> history_;                  // last repeats * max_cycle finished tool calls
  std::deque<std::string> recent_order_;        // finished spans already counted, the last kRecent
  std::unordered_set<std::string> recent_;
  std::unordered_set<std::string> open_tools_;  // tool calls started and not yet ended
  std::vector<std::string> calls_without_tools_;  // llm span ids since the last tool call
};

}  // namespace observer

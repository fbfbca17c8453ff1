// Watches one agent's decoded trace on its way to the store: live tokens and cost (for budgets), tool calls and
// errors, the last action (for the progress view), the last activity time (for the idle timeout) and loops
// (observer/loop_detector.h, for runner.on_loop).
// Used from the loop's thread only.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>
#include <unordered_set>
#include <utility>

#include "harness/clock.h"
#include "observer/loop_detector.h"
#include "trace/model.h"

namespace harness {

class AgentActivity : public trace::SpanSink {
 public:
  // `loops`: settings of the loop detector; nullopt looks for none.
  AgentActivity(trace::SpanSink& downstream, const Clock& clock, std::optional<observer::LoopSettings> loops);
  void put_span(const trace::Span& span) override;
  int64_t put_event(const trace::Event& event) override;

  // Output or trace activity seen now (bytes on stdout count, even before they make a whole line).
  void touch() { last_activity_ms_ = clock_.steady_ms(); }

  const trace::Usage& usage() const { return total_; }
  int64_t tokens() const { return total_.input_tokens + total_.output_tokens; }
  int64_t tool_calls() const { return static_cast<int64_t>(tools_.size()); }
  int64_t tool_errors() const { return static_cast<int64_t>(tool_errors_.size()); }
  int64_t decode_errors() const { return decode_errors_; }
  const std::string& last_action() const { return last_action_; }
  int64_t last_activity_ms() const { return last_activity_ms_; }
  // The loops found since the last call, oldest first.
  std::vector<observer::LoopDetection> take_loops() { return std::exchange(loops_found_, {}); }

 private:
  trace::SpanSink& downstream_;
  const Clock& clock_;
  std::unordered_map<std::string, trace::Usage> usage_by_span_;  // upserts replace, never add twice
  trace::Usage total_;
  std::unordered_set<std::string> tools_, tool_errors_;
  int64_t decode_errors_ = 0;
  std::string last_action_;
  int64_t last_activity_ms_;
  std::optional<observer::LoopDetector> loops_;
  std::vector<observer::LoopDetection> loops_found_;
};

}  // namespace harness

#include "harness/agent_activity.h"

namespace harness {

AgentActivity::AgentActivity(trace::SpanSink& downstream, const Clock& clock,
                             std::optional<observer::LoopSettings> loops)
    : downstream_(downstream), clock_(clock), last_activity_ms_(clock.steady_ms()) {
  if (loops) loops_.emplace(*loops);
}

void AgentActivity::put_span(const trace::Span& span) {
  touch();
  if (!span.usage.empty() || usage_by_span_.count(span.span_id)) {
    trace::Usage& old = usage_by_span_[span.span_id];
    total_.input_tokens += span.usage.input_tokens - old.input_tokens;
    total_.output_tokens += span.usage.output_tokens - old.output_tokens;
    total_.cache_read_tokens += span.usage.cache_read_tokens - old.cache_read_tokens;
    total_.cache_creation_tokens += span.usage.cache_creation_tokens - old.cache_creation_tokens;
    total_.cost_usd += span.usage.cost_usd - old.cost_usd;
    old = span.usage;
  }
  if (span.kind == trace::SpanKind::tool) {
    if (tools_.insert(span.span_id).second) last_action_ = span.name;
    if (span.status == trace::SpanStatus::error) tool_errors_.insert(span.span_id);
  }
  downstream_.put_span(span);
  if (loops_)
    if (auto found = loops_->on_span(span)) loops_found_.push_back(std::move(*found));
}

int64_t AgentActivity::put_event(const trace::Event& event) {
  touch();
  if (event.type == "decode.error") ++decode_errors_;
  if (event.type == "tool.call.started") {
    std::string input = event.payload.value("input", "");
    if (input.size() > 60) input = input.substr(0, 57) + "...";
    last_action_ = event.payload.value("tool", "tool") + (input.empty() ? "" : " " + input);
  } else if (event.type == "tool.call.failed") {
    last_action_ = event.payload.value("tool", "tool") + " failed";
  }
  return downstream_.put_event(event);
}

}  // namespace harness

#include "observer/loop_detector.h"

#include <fmt/format.h>

#include <functional>

#include "observer/text.h"

namespace observer {
namespace {

constexpr size_t kResultPrefix = 400;  // of a tool's result, what the outcome compares
constexpr size_t kLabelArgs = 60;
constexpr size_t kMaxSpanIds = 30;
constexpr size_t kRecent = 256;

std::string fold_digits(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    bool digit = text[i] >= '0' && text[i] <= '9';
    if (!digit) {
      out += text[i];
    } else if (out.empty() || out.back() != '#') {
      out += '#';
    }
  }
  return out;
}

std::string attribute_text(const trace::Json& attributes, const char* name) {
  auto it = attributes.find(name);
  if (it == attributes.end()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string tool_name(const trace::Span& s) {
  std::string name = attribute_text(s.attributes, "gen_ai.tool.name");
  return name.empty() ? s.name : name;
}

bool ended(const trace::Span& s) { return s.end_ns != 0 || s.status != trace::SpanStatus::unset; }

}  // namespace

std::string loop_action_key(const trace::Span& s) {
  std::string result = attribute_text(s.attributes, "gen_ai.tool.call.result");
  if (result.size() > kResultPrefix) result.resize(kResultPrefix);
  return fmt::format("{}\x1f{}\x1f{}\x1f{}", tool_name(s),
                     one_line(attribute_text(s.attributes, "gen_ai.tool.call.arguments")),
                     trace::to_string(s.status), fold_digits(one_line(result)));
}

LoopDetector::LoopDetector(LoopSettings settings) : settings_(settings) {
  if (settings_.max_cycle < 1) settings_.max_cycle = 1;
}

std::optional<LoopDetection> LoopDetector::on_span(const trace::Span& span) {
  if (span.kind == trace::SpanKind::llm) return on_model_call(span);
  if (span.kind != trace::SpanKind::tool) return std::nullopt;
  // Any tool call is progress for the model-call count, from the moment it starts.
  calls_without_tools_.clear();
  if (!ended(span)) {
    // Hostile output may open calls it never ends: forgetting them only lets model calls count again.
    if (open_tools_.size() >= 4096) open_tools_.clear();
    open_tools_.insert(span.span_id);
    return std::nullopt;
  }
  open_tools_.erase(span.span_id);
  if (settings_.repeats <= 0 || !first_sight(span.span_id)) return std::nullopt;
  std::string args = one_line(attribute_text(span.attributes, "gen_ai.tool.call.arguments"));
  if (args.size() > kLabelArgs) args = args.substr(0, kLabelArgs - 3) + "...";
  history_.push_back(Action{std::hash<std::string>{}(loop_action_key(span)), span.span_id,
                            tool_name(span) + (args.empty() ? "" : " " + args),
                            span.status == trace::SpanStatus::error});
  size_t keep = static_cast<size_t>(settings_.repeats) * static_cast<size_t>(settings_.max_cycle);
  while (history_.size() > keep) history_.pop_front();
  return check_cycles();
}

bool LoopDetector::first_sight(const std::string& span_id) {
  if (!recent_.insert(span_id).second) return false;
  recent_order_.push_back(span_id);
  if (recent_order_.size() > kRecent) {
    recent_.erase(recent_order_.front());
    recent_order_.pop_front();
  }
  return true;
}

std::optional<LoopDetection> LoopDetector::check_cycles() {
  const size_t n = static_cast<size_t>(settings_.repeats);
  for (size_t period = 1; period <= static_cast<size_t>(settings_.max_cycle); ++period) {
    size_t window = period * n;
    if (history_.size() < window) break;
    size_t first = history_.size() - window;
    bool periodic = true;
    for (size_t i = first + period; i < history_.size() && periodic; ++i)
      periodic = history_[i].key == history_[i - period].key;
    if (!periodic) continue;
    LoopDetection d;
    d.kind = period == 1 ? "repeat" : "cycle";
    d.period = static_cast<int>(period);
    d.repeats = static_cast<int>(n);
    for (size_t i = first; i < history_.size() && d.span_ids.size() < kMaxSpanIds; ++i)
      d.span_ids.push_back(history_[i].span_id);
    const Action& a = history_[first];
    if (period == 1) {
      d.summary = fmt::format("`{}`{}, {} times in a row", a.label, a.failed ? " failing" : " with the same result",
                              n);
    } else {
      std::string cycle;
      for (size_t i = first; i < first + period; ++i)
        cycle += fmt::format("{}`{}`{}", i == first ? "" : " then ", history_[i].label,
                             history_[i].failed ? " (failing)" : "");
      d.summary = fmt::format("a cycle of {} actions ({}) repeated {} times", period, cycle, n);
    }
    history_.clear();
    return d;
  }
  return std::nullopt;
}

std::optional<LoopDetection> LoopDetector::on_model_call(const trace::Span& span) {
  if (settings_.model_calls_without_tools <= 0 || !open_tools_.empty()) return std::nullopt;
  if (!ended(span) || !first_sight(span.span_id)) return std::nullopt;
  calls_without_tools_.push_back(span.span_id);
  if (calls_without_tools_.size() < static_cast<size_t>(settings_.model_calls_without_tools)) return std::nullopt;
  LoopDetection d;
  d.kind = "no_tool_progress";
  d.period = 0;
  d.repeats = static_cast<int>(calls_without_tools_.size());
  d.summary = fmt::format("{} model calls in a row without a tool call", d.repeats);
  for (size_t i = 0; i < calls_without_tools_.size() && d.span_ids.size() < kMaxSpanIds; ++i)
    d.span_ids.push_back(calls_without_tools_[i]);
  calls_without_tools_.clear();
  return d;
}

}  // namespace observer

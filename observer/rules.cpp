#include "observer/rules.h"

#include <algorithm>
#include <array>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "observer/rules_internal.h"
#include "observer/text.h"
#include "trace/json_parse.h"

namespace observer {
namespace {

constexpr std::array<std::pair<AgentStatus, std::string_view>, 8> kStatuses = {{
    {AgentStatus::completed, "completed"},
    {AgentStatus::crashed, "crashed"},
    {AgentStatus::killed_stuck, "killed_stuck"},
    {AgentStatus::killed_timeout, "killed_timeout"},
    {AgentStatus::killed_budget, "killed_budget"},
    {AgentStatus::killed_loop, "killed_loop"},
    {AgentStatus::interrupted, "interrupted"},
    {AgentStatus::launch_failed, "launch_failed"},
}};

}  // namespace

std::string_view to_string(AgentStatus status) {
  for (const auto& [s, name] : kStatuses)
    if (s == status) return name;
  return "completed";
}

std::optional<AgentStatus> agent_status_from(std::string_view name) {
  for (const auto& [s, n] : kStatuses)
    if (n == name) return s;
  return std::nullopt;
}

namespace rules_detail {

std::string json_text(const trace::Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  return value.dump(-1, ' ', false, trace::Json::error_handler_t::replace);
}

std::string field_text(const trace::Json& obj, const char* key, std::string fallback) {
  if (!obj.is_object()) return fallback;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  return json_text(*it);
}

void RuleContext::add(Kind kind, std::string_view text, std::vector<Evidence> evidence, int64_t count) {
  std::string clean = clip_utf8(one_line(strip_root(text, outcome.workspace)), options.max_text_bytes);
  found.push_back(make_observation(kind, std::move(clean), outcome.agent_id, outcome.generation,
                                   std::move(evidence), count));
}

Evidence RuleContext::event_evidence(const trace::Event& event) const {
  return {outcome.agent_id, event.span_id, event.id};
}

Evidence RuleContext::span_evidence(const trace::Span& span, std::string_view prefer) const {
  Evidence e{outcome.agent_id, span.span_id, 0};
  auto it = trace.events_by_span.find(span.span_id);
  if (it == trace.events_by_span.end() || it->second.empty()) return e;
  e.event_id = trace.events[it->second.front()].id;
  if (!prefer.empty()) {
    for (size_t i : it->second) {
      if (trace.events[i].type == prefer) {
        e.event_id = trace.events[i].id;
        break;
      }
    }
  }
  return e;
}

Evidence RuleContext::agent_evidence(std::string_view prefer) const {
  Evidence e{outcome.agent_id, outcome.agent_span_id, 0};
  if (auto it = trace.events_by_span.find(outcome.agent_span_id); it != trace.events_by_span.end()) {
    for (size_t i : it->second) {
      if (trace.events[i].type.starts_with(prefer)) {
        e.event_id = trace.events[i].id;
        return e;
      }
    }
  }
  if (!trace.events.empty()) {
    e.span_id = trace.events.back().span_id;
    e.event_id = trace.events.back().id;
  }
  return e;
}

std::string RuleContext::tool_target(const trace::Span& tool) const {
  std::string name = field_text(tool.attributes, "gen_ai.tool.name", tool.name);
  if (name.empty()) name = "tool";
  std::string args = field_text(tool.attributes, "gen_ai.tool.call.arguments");
  trace::Json j = trace::parse_untrusted_json(args);
  if (j.is_object()) {
    for (const char* key : {"command", "cmd"}) {
      if (auto it = j.find(key); it != j.end()) {
        std::string command;
        if (it->is_array()) {
          for (const auto& part : *it) command += (command.empty() ? "" : " ") + json_text(part);
        } else {
          command = json_text(*it);
        }
        return fmt::format("{} `{}`", name, clip_utf8(one_line(command), 160));
      }
    }
    for (const char* key : {"file_path", "path", "notebook_path", "file"}) {
      if (auto it = j.find(key); it != j.end() && it->is_string()) {
        std::string path = workspace_path(it->get<std::string>());
        if (path.empty()) path = it->get<std::string>();
        if (auto p = j.find("pattern"); p != j.end() && p->is_string())
          return fmt::format("{} \"{}\" in {}", name, clip_utf8(p->get<std::string>(), 80), path);
        return fmt::format("{} {}", name, path);
      }
    }
    for (const char* key : {"pattern", "url", "query"}) {
      if (auto it = j.find(key); it != j.end() && it->is_string())
        return fmt::format("{} \"{}\"", name, clip_utf8(one_line(it->get<std::string>()), 120));
    }
  }
  std::string line = one_line(args);
  if (line.empty() || line == "{}") return name;
  return fmt::format("{} {}", name, clip_utf8(line, 120));
}

std::string RuleContext::workspace_path(std::string_view path) const {
  std::string p(path);
  if (p.starts_with("./")) p.erase(0, 2);
  if (outcome.workspace.empty() || p.empty()) return p;
  std::string root = outcome.workspace;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (p.starts_with(root + "/")) return p.substr(root.size() + 1);
  return p.front() == '/' ? "" : p;
}

std::string RuleContext::ending() const {
  const AgentOutcome& o = outcome;
  switch (o.status) {
    case AgentStatus::crashed: return "crashed";
    case AgentStatus::killed_stuck: return "was killed as stuck";
    case AgentStatus::killed_timeout: return "was killed at its time limit";
    case AgentStatus::killed_budget: return "ran out of budget";
    case AgentStatus::killed_loop: return "was killed in a loop";
    case AgentStatus::interrupted: return "was interrupted";
    case AgentStatus::launch_failed: return "failed to launch";
    case AgentStatus::completed: break;
  }
  if (validated_fix(o)) return "produced a validated fix";
  if (partial_fix(o)) return "produced a partial fix";
  if (o.verify.ran && !o.changed_files.empty()) return "made a fix that failed verify";
  if (o.changed_files.empty()) return "changed nothing";
  return "finished without verify";
}

const trace::Span* RuleContext::last_tool() const {
  const trace::Span* last = nullptr;
  for (const auto& s : trace.spans)
    if (s.kind == trace::SpanKind::tool && (!last || s.start_ns >= last->start_ns)) last = &s;
  return last;
}

int RuleContext::tool_calls() const {
  return static_cast<int>(std::count_if(trace.spans.begin(), trace.spans.end(),
                                        [](const trace::Span& s) { return s.kind == trace::SpanKind::tool; }));
}

int RuleContext::llm_calls() const {
  return static_cast<int>(std::count_if(trace.spans.begin(), trace.spans.end(),
                                        [](const trace::Span& s) { return s.kind == trace::SpanKind::llm; }));
}

}  // namespace rules_detail

std::vector<Observation> extract_observations(const AgentTrace& trace, const AgentOutcome& outcome,
                                              const RuleOptions& options) {
  rules_detail::RuleContext ctx{trace, outcome, options, {}};
  rules_detail::outcome_rules(ctx);
  rules_detail::tool_error_rules(ctx);
  rules_detail::retry_storm_rule(ctx);
  rules_detail::hypothesis_rule(ctx);
  rules_detail::file_rules(ctx);
  rules_detail::informational_rules(ctx);

  // One entry per fingerprint, in order of first finding; then important before possible before informational.
  std::vector<Observation> merged;
  std::unordered_map<std::string, size_t> at;
  for (auto& o : ctx.found) {
    auto [it, inserted] = at.emplace(o.fingerprint, merged.size());
    if (inserted) {
      merged.push_back(std::move(o));
    } else {
      absorb(merged[it->second], o);
    }
  }
  std::stable_sort(merged.begin(), merged.end(), [](const Observation& a, const Observation& b) {
    return static_cast<int>(a.priority) < static_cast<int>(b.priority);
  });
  return merged;
}

std::vector<Observation> extract_observations(trace::Store& store, const AgentOutcome& outcome,
                                              const RuleOptions& options) {
  return extract_observations(load_agent_trace(store, outcome.agent_span_id), outcome, options);
}

}  // namespace observer

// Rules that read the trace itself: tool errors, retry storms, stated hypotheses, files edited and read.
#include <algorithm>
#include <cctype>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "observer/rules_internal.h"
#include "observer/text.h"

namespace observer::rules_detail {
namespace {

const trace::Event* first_event(const RuleContext& ctx, const std::string& span_id, std::string_view type) {
  auto it = ctx.trace.events_by_span.find(span_id);
  if (it == ctx.trace.events_by_span.end()) return nullptr;
  for (size_t i : it->second)
    if (ctx.trace.events[i].type == type) return &ctx.trace.events[i];
  return nullptr;
}

// A failed tool's error text: the span's error.message, else its result, else the failure event's payload.
std::string tool_error_text(const RuleContext& ctx, const trace::Span& tool) {
  std::string text = field_text(tool.attributes, "error.message");
  if (text.empty()) text = field_text(tool.attributes, "gen_ai.tool.call.result");
  if (text.empty()) {
    if (const trace::Event* e = first_event(ctx, tool.span_id, "tool.call.failed")) {
      text = field_text(e->payload, "error");
      if (text.empty()) text = field_text(e->payload, "output");
    }
  }
  return text;
}

// "Hypothesis: ..." / "Root cause: ..." statements in a message, one per line that carries a marker.
std::vector<std::string> stated_hypotheses(std::string_view message) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < message.size()) {
    size_t end = message.find('\n', start);
    if (end == std::string_view::npos) end = message.size();
    std::string line(message.substr(start, end - start));
    std::string lower = line;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (auto [marker, label] : {std::pair{"hypothesis:", "Hypothesis: "}, std::pair{"root cause:", "Root cause: "}}) {
      size_t at = lower.find(marker);
      if (at == std::string::npos) continue;
      std::string claim = line.substr(at + std::string_view(marker).size());
      // Markdown emphasis around the marker ("**Root cause:** the lock...") is not part of the claim.
      claim.erase(0, claim.find_first_not_of("* _\t"));
      while (!claim.empty() && (claim.back() == '*' || claim.back() == ' ' || claim.back() == '_')) claim.pop_back();
      if (!claim.empty()) out.push_back(label + claim);
      break;
    }
    start = end + 1;
  }
  return out;
}

}  // namespace

void tool_error_rules(RuleContext& ctx) {
  for (const auto& s : ctx.trace.spans) {
    if (s.kind != trace::SpanKind::tool || s.status != trace::SpanStatus::error) continue;
    std::string summary = error_summary(tool_error_text(ctx, s));
    std::string exit = field_text(s.attributes, "process.exit.code");
    std::string text = ctx.tool_target(s) + " failed";
    if (!exit.empty() && exit != "0") text += fmt::format(" (exit {})", exit);
    if (!summary.empty()) text += ": " + summary;
    ctx.add(Kind::tool_error, text, {ctx.span_evidence(s, "tool.call.failed")});
  }
  // Errors the agent or its CLI reported outside a tool call (API errors, a failed turn).
  for (const auto& e : ctx.trace.events) {
    if (e.type != "error") continue;
    std::string summary = error_summary(field_text(e.payload, "message"));
    if (summary.empty()) continue;
    ctx.add(Kind::tool_error, "Agent reported an error: " + summary, {ctx.event_evidence(e)});
  }
}

void retry_storm_rule(RuleContext& ctx) {
  struct Calls {
    std::vector<const trace::Span*> spans;
    int failed = 0;
  };
  std::map<std::pair<std::string, std::string>, Calls> calls;  // ordered: a stable order of findings
  std::vector<std::pair<std::string, std::string>> order;
  for (const auto& s : ctx.trace.spans) {
    if (s.kind != trace::SpanKind::tool) continue;
    std::pair key{field_text(s.attributes, "gen_ai.tool.name", s.name),
                  field_text(s.attributes, "gen_ai.tool.call.arguments")};
    auto [it, inserted] = calls.try_emplace(key);
    if (inserted) order.push_back(key);
    it->second.spans.push_back(&s);
    if (s.status == trace::SpanStatus::error) ++it->second.failed;
  }
  for (const auto& key : order) {
    const Calls& c = calls.at(key);
    int n = static_cast<int>(c.spans.size());
    if (n < ctx.options.retry_storm_min) continue;
    std::string outcome = c.failed == n   ? ", failing every time"
                          : c.failed == 0 ? ""
                                          : fmt::format(", failing {} times", c.failed);
    std::vector<Evidence> evidence;
    for (const trace::Span* s : c.spans) {
      if (evidence.size() >= kMaxEvidence) break;
      evidence.push_back(ctx.span_evidence(*s, "tool.call.started"));
    }
    ctx.add(Kind::retry_storm,
            fmt::format("{} was repeated {} times with the same arguments{}", ctx.tool_target(*c.spans.front()), n,
                        outcome),
            std::move(evidence));
  }
}

void hypothesis_rule(RuleContext& ctx) {
  bool any_message = false;
  for (const auto& e : ctx.trace.events) {
    if (e.type != "message" || field_text(e.payload, "role") == "user") continue;
    any_message = true;
    for (const auto& claim : stated_hypotheses(field_text(e.payload, "text")))
      ctx.add(Kind::hypothesis, claim, {ctx.event_evidence(e)});
  }
  if (any_message) return;
  // Formats that keep the model's text on the LLM span rather than in message events.
  for (const auto& s : ctx.trace.spans) {
    if (s.kind != trace::SpanKind::llm) continue;
    for (const auto& claim : stated_hypotheses(field_text(s.attributes, "gen_ai.output.text")))
      ctx.add(Kind::hypothesis, claim, {ctx.span_evidence(s)});
  }
}

void file_rules(RuleContext& ctx) {
  // Files written, in order of first write, each with the event that shows it; then the diff's files.
  std::vector<std::string> written;
  std::unordered_map<std::string, Evidence> write_evidence;
  std::unordered_map<std::string, int> reads;
  std::unordered_map<std::string, Evidence> read_evidence;
  std::vector<std::string> read_order;
  for (const auto& e : ctx.trace.events) {
    bool write = e.type == "file.write";
    if (!write && e.type != "file.read") continue;
    auto at = e.payload.is_object() ? e.payload.find("path") : e.payload.end();
    if (at == e.payload.end() || !at->is_string()) continue;
    std::string path = ctx.workspace_path(at->get<std::string>());
    if (path.empty()) continue;
    if (write) {
      if (write_evidence.emplace(path, ctx.event_evidence(e)).second) written.push_back(path);
    } else if (reads[path]++ == 0) {
      read_evidence.emplace(path, ctx.event_evidence(e));
      read_order.push_back(path);
    }
  }
  for (const auto& path : ctx.outcome.changed_files) {
    if (write_evidence.emplace(path, ctx.agent_evidence()).second) written.push_back(path);
  }

  for (size_t i = 0; i < written.size() && i < ctx.options.max_files_edited; ++i)
    ctx.add(Kind::files_edited, "Edited " + written[i], {write_evidence.at(written[i])});

  if (written.size() >= ctx.options.refactor_min_files) {
    std::string list;
    for (size_t i = 0; i < written.size() && i < 8; ++i) list += (i ? ", " : "") + written[i];
    if (written.size() > 8) list += fmt::format(", and {} more", written.size() - 8);
    ctx.add(Kind::refactor,
            fmt::format("Refactor across {} files ({}); the agent {}", written.size(), list, ctx.ending()),
            {write_evidence.at(written.front())});
  }

  if (validated_fix(ctx.outcome)) return;
  // Files a failing agent read but never changed: places the next agent may skip (or read differently).
  std::unordered_set<std::string> changed(written.begin(), written.end());
  std::vector<std::string> dead;
  for (const auto& path : read_order)
    if (!changed.count(path)) dead.push_back(path);
  std::stable_sort(dead.begin(), dead.end(), [&](const auto& a, const auto& b) { return reads[a] > reads[b]; });
  for (size_t i = 0; i < dead.size() && i < ctx.options.max_dead_end_files; ++i)
    ctx.add(Kind::dead_end, fmt::format("Dead end: read {} but did not change it; the agent {}", dead[i], ctx.ending()),
            {read_evidence.at(dead[i])});
}

}  // namespace observer::rules_detail

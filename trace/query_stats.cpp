#include "trace/query_stats.h"

#include <algorithm>

#include <fmt/format.h>

#include "trace/query_format.h"

namespace trace {
namespace {

// Above this many sessions one GROUP BY over the whole usage index beats one indexed aggregate per session.
constexpr size_t kPerSessionQueryLimit = 64;

bool hotter(const SessionNode& a, const SessionNode& b) {
  if (a.duration_ms() != b.duration_ms()) return a.duration_ms() > b.duration_ms();
  if (a.own.tool_errors != b.own.tool_errors) return a.own.tool_errors > b.own.tool_errors;
  return a.span.span_id < b.span.span_id;
}

}  // namespace

base::Result<TraceStats> compute_stats(Store& store, const StatsOptions& options) {
  // Which sessions: decided from the small structural graph first, so a one-session query aggregates only its rows.
  SessionGraph g = load_session_graph(store, /*with_totals=*/false);
  std::vector<int> roots;
  if (!options.session.empty()) {
    base::Result<int> found = find_session(g, options.session);
    if (!found) return base::fail(found.error());
    roots.push_back(*found);
  } else {
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      const SessionNode& n = g.nodes[i];
      // Top-level: a session not nested in another session (harness run/generation/agent spans do not count).
      if (n.span.kind == SpanKind::session && (n.parent < 0 || !g.nodes[n.parent].is_session()))
        roots.push_back(static_cast<int>(i));
    }
  }
  std::vector<int> counted;
  TraceStats s;
  int64_t first_start = INT64_MAX, last_end = INT64_MIN;
  for (int r : roots) {
    std::vector<int> under = g.sessions_under(r);
    for (int i : under) {
      s.max_depth = std::max(s.max_depth, g.nodes[i].depth - g.nodes[r].depth + 1);
      if (i == r || options.include_subagents) counted.push_back(i);
    }
    s.duration_ms += g.nodes[r].duration_ms();
    first_start = std::min(first_start, g.nodes[r].span.start_ns);
    last_end = std::max(last_end, std::max(g.nodes[r].span.end_ns, g.nodes[r].span.start_ns));
  }
  if (!roots.empty()) s.wall_ms = (last_end - first_start) / 1'000'000;
  if (counted.size() <= kPerSessionQueryLimit) {
    for (int i : counted) g.nodes[i].own = load_session_totals(store, g.nodes[i].span.span_id);
  } else {
    load_all_totals(store, g);
  }
  const SessionNode* hot = nullptr;
  for (int i : counted) {
    const SessionNode& n = g.nodes[i];
    ++s.sessions;
    if (n.span.kind == SpanKind::subagent) ++s.subagents;
    s.totals.add(n.own);
    if (!hot || hotter(n, *hot)) hot = &n;
  }
  if (hot)
    s.hotspot = Hotspot{hot->span.span_id, hot->label(), hot->duration_ms(), hot->own.tool_calls, hot->own.tool_errors};
  return s;
}

std::string format_stats(const TraceStats& s) {
  const SessionTotals& t = s.totals;
  std::string out;
  auto line = [&](std::string_view key, const std::string& value) {
    out += fmt::format("{:<12}{}\n", key, value);
  };
  line("sessions", fmt::format("{} ({} included)", format_thousands(s.sessions), plural(s.subagents, "subagent")));
  std::string error_share =
      t.tool_calls ? fmt::format(", {:.1f}%", 100.0 * static_cast<double>(t.tool_errors) / t.tool_calls) : "";
  line("tool calls", fmt::format("{} ({}{})", format_thousands(t.tool_calls), plural(t.tool_errors, "error"),
                                 error_share));
  line("llm calls", fmt::format("{} ({})", format_thousands(t.llm_calls), plural(t.llm_errors, "error")));
  line("tokens", fmt::format("{} in, {} out, {} cache read, {} cache write", format_thousands(t.usage.input_tokens),
                             format_thousands(t.usage.output_tokens), format_thousands(t.usage.cache_read_tokens),
                             format_thousands(t.usage.cache_creation_tokens)));
  line("cost", format_cost(t.usage.cost_usd));
  line("duration", fmt::format("{} (sum over sessions; wall clock {})", format_duration_ms(s.duration_ms),
                               format_duration_ms(s.wall_ms)));
  line("max depth", std::to_string(s.max_depth));
  if (s.hotspot)
    line("hotspot", fmt::format("{} {}: {}, {}, {}", short_id(s.hotspot->session), s.hotspot->name,
                                format_duration_ms(s.hotspot->duration_ms), plural(s.hotspot->tool_calls, "tool call"),
                                plural(s.hotspot->errors, "error")));
  else
    line("hotspot", "-");
  return out;
}

Json stats_to_json(const TraceStats& s) {
  const SessionTotals& t = s.totals;
  Json hotspot = nullptr;
  if (s.hotspot)
    hotspot = {{"session", s.hotspot->session},
               {"name", s.hotspot->name},
               {"duration_ms", s.hotspot->duration_ms},
               {"tool_calls", s.hotspot->tool_calls},
               {"errors", s.hotspot->errors}};
  return {{"sessions", s.sessions},
          {"subagents", s.subagents},
          {"tool_calls", t.tool_calls},
          {"tool_errors", t.tool_errors},
          {"llm_calls", t.llm_calls},
          {"llm_errors", t.llm_errors},
          {"input_tokens", t.usage.input_tokens},
          {"output_tokens", t.usage.output_tokens},
          {"cache_read_tokens", t.usage.cache_read_tokens},
          {"cache_creation_tokens", t.usage.cache_creation_tokens},
          {"cost_usd", round_cost(t.usage.cost_usd)},
          {"duration_ms", s.duration_ms},
          {"wall_ms", s.wall_ms},
          {"max_depth", s.max_depth},
          {"hotspot", hotspot}};
}

}  // namespace trace

// Loading agents' traces. load_agent_traces() finds the agents' subtrees in memory from one pass over
// (span_id, parent_span_id), then one pass over the spans and one over the events keep the rows that belong to
// them; load_agent_trace() walks one subtree through the parent index. Both decode rows the same way: text keys
// are compared as string_views straight from SQLite, and only kept rows are decoded.
#include "observer/agent_trace.h"

#include <algorithm>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>
#include <sqlite3.h>

namespace observer {
namespace {

constexpr const char* kSpanColumns =
    "span_id, trace_id, parent_span_id, session_id, kind, name, start_ns, end_ns, status, attributes, "
    "input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, cost_usd";
constexpr const char* kEventColumns = "id, span_id, seq, time_ns, type, payload";

struct ViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
struct ViewEqual {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};
template <typename V>
using ViewMap = std::unordered_map<std::string, V, ViewHash, ViewEqual>;

std::string_view column_view(sqlite3_stmt* st, int col) {
  auto p = reinterpret_cast<const char*>(sqlite3_column_text(st, col));
  return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(st, col))) : std::string_view();
}

trace::Json parse_object(std::string_view text) {
  trace::Json j = trace::Json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? trace::Json::object() : j;
}

// A row of kSpanColumns.
trace::Span decode_span(sqlite3_stmt* st) {
  trace::Span s;
  s.span_id = std::string(column_view(st, 0));
  s.trace_id = std::string(column_view(st, 1));
  s.parent_span_id = std::string(column_view(st, 2));
  s.session_id = std::string(column_view(st, 3));
  s.kind = trace::span_kind_from(column_view(st, 4)).value_or(trace::SpanKind::session);
  s.name = std::string(column_view(st, 5));
  s.start_ns = sqlite3_column_int64(st, 6);
  s.end_ns = sqlite3_column_int64(st, 7);
  s.status = trace::span_status_from(column_view(st, 8)).value_or(trace::SpanStatus::unset);
  s.attributes = parse_object(column_view(st, 9));
  s.usage = {sqlite3_column_int64(st, 10), sqlite3_column_int64(st, 11), sqlite3_column_int64(st, 12),
             sqlite3_column_int64(st, 13), sqlite3_column_double(st, 14)};
  return s;
}

// A row of kEventColumns.
trace::Event decode_event(sqlite3_stmt* st) {
  trace::Event e;
  e.id = sqlite3_column_int64(st, 0);
  e.span_id = std::string(column_view(st, 1));
  e.seq = sqlite3_column_int64(st, 2);
  e.time_ns = sqlite3_column_int64(st, 3);
  e.type = std::string(column_view(st, 4));
  if (e.type != "tool.call.started" && e.type != "tool.call.completed") e.payload = parse_object(column_view(st, 5));
  return e;
}

// Rows came in rowid order: a stable sort by start time gives (start_ns, rowid), the store's own order.
void finish(AgentTrace& t) {
  std::stable_sort(t.spans.begin(), t.spans.end(),
                   [](const trace::Span& a, const trace::Span& b) { return a.start_ns < b.start_ns; });
  t.index();
}

// Store::for_each_* style WHERE text cannot bind parameters: quote the id as an SQL string literal.
std::string sql_literal(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

// Which agent (index) owns each span: a breadth-first walk down from each agent span over the parent links.
ViewMap<int> owners(trace::Store& store, const std::vector<std::string>& agents) {
  ViewMap<std::vector<std::string>> children;
  {
    trace::Statement st(store.db(), "SELECT span_id, parent_span_id FROM spans");
    while (st.step()) {
      std::string_view parent = column_view(st.raw(), 1);
      if (parent.empty()) continue;
      auto it = children.find(parent);
      if (it == children.end()) it = children.emplace(std::string(parent), std::vector<std::string>{}).first;
      it->second.emplace_back(column_view(st.raw(), 0));
    }
  }
  ViewMap<int> owner;
  for (size_t i = 0; i < agents.size(); ++i) {
    if (agents[i].empty() || !owner.emplace(agents[i], static_cast<int>(i)).second) continue;
    std::vector<std::string_view> todo = {agents[i]};
    while (!todo.empty()) {
      std::string_view id = todo.back();
      todo.pop_back();
      auto it = children.find(id);
      if (it == children.end()) continue;
      // emplace fails for a span already owned: a parent cycle or a shared subtree ends there.
      for (const auto& child : it->second)
        if (owner.emplace(child, static_cast<int>(i)).second) todo.push_back(child);
    }
  }
  return owner;
}

}  // namespace

void AgentTrace::index() {
  events_by_span.clear();
  for (size_t i = 0; i < events.size(); ++i) events_by_span[events[i].span_id].push_back(i);
}

AgentTrace load_agent_trace(trace::Store& store, const std::string& agent_span_id) {
  AgentTrace t;
  if (agent_span_id.empty()) return t;
  // The agent span and everything below it; UNION (not UNION ALL) so a parent cycle cannot loop forever.
  std::string agent = sql_literal(agent_span_id);
  std::string subtree = fmt::format(
      "WITH RECURSIVE sub(id) AS (VALUES({0}) "
      "UNION SELECT s.span_id FROM spans s JOIN sub ON s.parent_span_id = sub.id) SELECT id FROM sub",
      agent);
  store.flush();
  std::lock_guard lock(store.mutex());
  trace::Statement spans(store.db(), fmt::format("SELECT {} FROM spans WHERE span_id IN ({}) AND span_id != {} "
                                                 "ORDER BY rowid",
                                                 kSpanColumns, subtree, agent));
  while (spans.step()) t.spans.push_back(decode_span(spans.raw()));
  trace::Statement events(store.db(),
                          fmt::format("SELECT {} FROM events WHERE span_id IN ({}) ORDER BY id", kEventColumns, subtree));
  while (events.step()) t.events.push_back(decode_event(events.raw()));
  finish(t);
  return t;
}

std::vector<AgentTrace> load_agent_traces(trace::Store& store, const std::vector<std::string>& agent_span_ids) {
  std::vector<AgentTrace> traces(agent_span_ids.size());
  store.flush();
  std::lock_guard lock(store.mutex());
  ViewMap<int> owner = owners(store, agent_span_ids);

  trace::Statement spans(store.db(), fmt::format("SELECT {} FROM spans", kSpanColumns));
  while (spans.step()) {
    std::string_view id = column_view(spans.raw(), 0);
    auto it = owner.find(id);
    if (it == owner.end() || agent_span_ids[static_cast<size_t>(it->second)] == id) continue;
    traces[static_cast<size_t>(it->second)].spans.push_back(decode_span(spans.raw()));
  }
  trace::Statement events(store.db(), fmt::format("SELECT {} FROM events ORDER BY id", kEventColumns));
  while (events.step()) {
    auto it = owner.find(column_view(events.raw(), 1));
    if (it != owner.end()) traces[static_cast<size_t>(it->second)].events.push_back(decode_event(events.raw()));
  }
  for (auto& t : traces) finish(t);
  return traces;
}

}  // namespace observer

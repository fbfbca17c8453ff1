// The subtrees below given spans (an agent's whole trace). load_subtrees() finds them in memory from one pass over
// (span_id, parent_span_id), then one pass over the spans and one over the events keep the rows that belong to
// them; load_subtree() walks one subtree through the parent index. Text keys are compared as string_views straight
// from SQLite, and only kept rows are decoded (internal::span_from_row, the store's own decoding).
#include "trace/subtrees.h"

#include <sqlite3.h>

#include <algorithm>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>

#include "trace/store_internal.h"

namespace trace {
namespace {

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

// The payloads of tool.call.started / completed stay unparsed unless asked for (the tool span holds the same).
Event decode_event(sqlite3_stmt* st, bool tool_payloads) {
  std::string_view type = internal::column_view(st, 4);
  return internal::event_from_row(st, tool_payloads || (type != "tool.call.started" && type != "tool.call.completed"));
}

// Rows came in rowid order: a stable sort by start time gives (start_ns, rowid), the store's own order.
void finish(Subtree& t) {
  std::stable_sort(t.spans.begin(), t.spans.end(),
                   [](const Span& a, const Span& b) { return a.start_ns < b.start_ns; });
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
ViewMap<int> owners(Store& store, const std::vector<std::string>& agents) {
  ViewMap<std::vector<std::string>> children;
  {
    Statement st(internal::db(store), "SELECT span_id, parent_span_id FROM spans");
    while (st.step()) {
      std::string_view parent = internal::column_view(st.raw(), 1);
      if (parent.empty()) continue;
      auto it = children.find(parent);
      if (it == children.end()) it = children.emplace(std::string(parent), std::vector<std::string>{}).first;
      it->second.emplace_back(internal::column_view(st.raw(), 0));
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

Subtree load_subtree(Store& store, const std::string& agent_span_id, bool tool_payloads) {
  Subtree t;
  if (agent_span_id.empty()) return t;
  // The agent span and everything below it; UNION (not UNION ALL) so a parent cycle cannot loop forever.
  std::string agent = sql_literal(agent_span_id);
  std::string subtree = fmt::format(
      "WITH RECURSIVE sub(id) AS (VALUES({0}) "
      "UNION SELECT s.span_id FROM spans s JOIN sub ON s.parent_span_id = sub.id) SELECT id FROM sub",
      agent);
  store.flush();
  std::lock_guard lock(internal::mutex(store));
  Statement spans(internal::db(store), fmt::format("SELECT {} FROM spans WHERE span_id IN ({}) AND span_id != {} "
                                                    "ORDER BY rowid",
                                                    internal::kSpanColumns, subtree, agent));
  while (spans.step()) t.spans.push_back(internal::span_from_row(spans.raw()));
  Statement events(internal::db(store), fmt::format("SELECT {} FROM events WHERE span_id IN ({}) ORDER BY id",
                                                    internal::kEventColumns, subtree));
  while (events.step()) t.events.push_back(decode_event(events.raw(), tool_payloads));
  finish(t);
  return t;
}

std::vector<Subtree> load_subtrees(Store& store, const std::vector<std::string>& agent_span_ids, bool tool_payloads) {
  std::vector<Subtree> traces(agent_span_ids.size());
  store.flush();
  std::lock_guard lock(internal::mutex(store));
  ViewMap<int> owner = owners(store, agent_span_ids);

  Statement spans(internal::db(store), fmt::format("SELECT {} FROM spans", internal::kSpanColumns));
  while (spans.step()) {
    std::string_view id = internal::column_view(spans.raw(), 0);
    auto it = owner.find(id);
    if (it == owner.end() || agent_span_ids[static_cast<size_t>(it->second)] == id) continue;
    traces[static_cast<size_t>(it->second)].spans.push_back(internal::span_from_row(spans.raw()));
  }
  Statement events(internal::db(store), fmt::format("SELECT {} FROM events ORDER BY id", internal::kEventColumns));
  while (events.step()) {
    auto it = owner.find(internal::column_view(events.raw(), 1));
    if (it != owner.end()) traces[static_cast<size_t>(it->second)].events.push_back(decode_event(events.raw(), tool_payloads));
  }
  for (auto& t : traces) finish(t);
  return traces;
}

}  // namespace trace

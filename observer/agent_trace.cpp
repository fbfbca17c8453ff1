#include "observer/agent_trace.h"

#include <fmt/format.h>

namespace observer {
namespace {

// Store::for_each_* take a WHERE clause, not bound parameters: quote the id as an SQL string literal.
std::string sql_literal(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

// Every descendant of the agent span. UNION (not UNION ALL) so a malformed parent cycle cannot loop forever.
std::string subtree_sql(const std::string& agent_span_id) {
  return fmt::format(
      "WITH RECURSIVE sub(id) AS (SELECT span_id FROM spans WHERE parent_span_id = {0} "
      "UNION SELECT s.span_id FROM spans s JOIN sub ON s.parent_span_id = sub.id) SELECT id FROM sub",
      sql_literal(agent_span_id));
}

}  // namespace

void AgentTrace::index() {
  events_by_span.clear();
  for (size_t i = 0; i < events.size(); ++i) events_by_span[events[i].span_id].push_back(i);
}

AgentTrace load_agent_trace(trace::Store& store, const std::string& agent_span_id) {
  AgentTrace t;
  if (agent_span_id.empty()) return t;
  std::string sub = subtree_sql(agent_span_id);
  store.for_each_span([&](const trace::Span& s) { t.spans.push_back(s); }, fmt::format("span_id IN ({})", sub));
  store.for_each_event([&](const trace::Event& e) { t.events.push_back(e); },
                       fmt::format("span_id = {} OR span_id IN ({})", sql_literal(agent_span_id), sub));
  t.index();
  return t;
}

}  // namespace observer

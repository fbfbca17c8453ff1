#include "trace/query_sessions.h"
#include "trace/store_internal.h"

#include <algorithm>

#include <fmt/format.h>

#include "trace/query_format.h"

namespace trace {
namespace {

constexpr const char* kTotalsColumns =
    "count(*), sum(kind = 'tool'), sum(kind = 'tool' AND status = 'error'), sum(kind = 'llm'), "
    "sum(kind = 'llm' AND status = 'error'), sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), "
    "sum(cache_creation_tokens), sum(cost_usd)";

SessionTotals read_totals(Statement& st, int col) {
  SessionTotals t;
  t.spans = st.int64(col);
  t.tool_calls = st.int64(col + 1);
  t.tool_errors = st.int64(col + 2);
  t.llm_calls = st.int64(col + 3);
  t.llm_errors = st.int64(col + 4);
  t.usage = {st.int64(col + 5), st.int64(col + 6), st.int64(col + 7), st.int64(col + 8), st.real(col + 9)};
  return t;
}

bool is_session_kind(SpanKind k) { return k == SpanKind::session || k == SpanKind::subagent; }

// Links each node to the node it nests under and drops links that would make a cycle (possible only with
// inconsistent input, but a query must never loop on it).
void link(SessionGraph& g, const std::vector<std::pair<std::string, std::string>>& parent_info) {
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Span& s = g.nodes[i].span;
    if (s.parent_span_id.empty()) continue;
    if (auto it = g.by_span_id.find(s.parent_span_id); it != g.by_span_id.end()) {
      g.nodes[i].parent = it->second;
      continue;
    }
    // The parent is a tool (or llm) span: nest under that span's session.
    const auto& [parent_kind, parent_session] = parent_info[i];
    if (parent_kind.empty()) continue;  // dangling parent id: a root
    if (auto it = g.by_span_id.find(parent_session); it != g.by_span_id.end()) g.nodes[i].parent = it->second;
  }
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    int p = g.nodes[i].parent;
    for (size_t steps = 0; p >= 0 && steps <= g.nodes.size(); ++steps) {
      if (p == static_cast<int>(i)) {
        g.nodes[i].parent = -1;
        break;
      }
      p = g.nodes[p].parent;
    }
  }
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    int p = g.nodes[i].parent;
    (p < 0 ? g.roots : g.nodes[p].children).push_back(static_cast<int>(i));
  }
  // Depth, from the roots down (the links are free of cycles now). Not recursive: an agent can print a chain of
  // thousands of nested subagents, and one stack frame per level overflowed the stack.
  std::vector<int> stack(g.roots.begin(), g.roots.end());
  while (!stack.empty()) {
    int i = stack.back();
    stack.pop_back();
    int parent_depth = g.nodes[i].parent >= 0 ? g.nodes[g.nodes[i].parent].depth : 0;
    g.nodes[i].depth = is_session_kind(g.nodes[i].span.kind) ? parent_depth + 1 : 0;
    for (int c : g.nodes[i].children) stack.push_back(c);
  }
}

}  // namespace

void SessionTotals::add(const SessionTotals& o) {
  spans += o.spans;
  tool_calls += o.tool_calls;
  tool_errors += o.tool_errors;
  llm_calls += o.llm_calls;
  llm_errors += o.llm_errors;
  usage.input_tokens += o.usage.input_tokens;
  usage.output_tokens += o.usage.output_tokens;
  usage.cache_read_tokens += o.usage.cache_read_tokens;
  usage.cache_creation_tokens += o.usage.cache_creation_tokens;
  usage.cost_usd += o.usage.cost_usd;
}

std::string session_label(std::string_view name, SpanKind kind, std::string_view agent) {
  if (kind == SpanKind::subagent || agent.empty() || agent == name) return std::string(name);
  return fmt::format("{} [{}]", name, agent);
}

std::string SessionNode::label() const {
  auto it = span.attributes.find("harness.agent");
  std::string agent = it != span.attributes.end() && it->is_string() ? it->get<std::string>() : "";
  return session_label(span.name, span.kind, agent);
}

int64_t SessionNode::duration_ms() const {
  return span.end_ns >= span.start_ns ? (span.end_ns - span.start_ns) / 1'000'000 : 0;
}

std::string SessionNode::status_text() const {
  if (span.status == SpanStatus::error) return "error";
  if (span.end_ns == 0) return "running";
  if (span.attributes.value("harness.unfinished", false)) return "unfinished";
  return span.status == SpanStatus::ok ? "ok" : "-";
}

std::vector<int> SessionGraph::sessions_under(int node) const {
  std::vector<int> out, stack = {node};
  while (!stack.empty()) {
    int i = stack.back();
    stack.pop_back();
    if (nodes[i].is_session()) out.push_back(i);
    for (auto c = nodes[i].children.rbegin(); c != nodes[i].children.rend(); ++c) stack.push_back(*c);
  }
  return out;
}

SessionGraph load_session_graph(Store& store, bool with_totals) {
  std::lock_guard lock(internal::mutex(store));
  store.flush();
  SessionGraph g;
  std::vector<std::pair<std::string, std::string>> parent_info;
  Statement st(internal::db(store),
               fmt::format("SELECT c.span_id, c.trace_id, c.parent_span_id, c.session_id, c.kind, c.name, c.start_ns, "
                           "c.end_ns, c.status, c.attributes, c.input_tokens, c.output_tokens, c.cache_read_tokens, "
                           "c.cache_creation_tokens, c.cost_usd, p.kind, p.session_id "
                           "FROM spans c LEFT JOIN spans p ON p.span_id = c.parent_span_id "
                           // The IN list says the same as the partial index's term for the kinds that exist,
                           // and lets SQLite seek each kind in that index instead of scanning all of it.
                           "WHERE c.{} AND c.kind IN ('run', 'generation', 'agent', 'session', 'subagent', "
                           "'verify', 'observer') "
                           "ORDER BY c.start_ns, c.span_id",
                           kStructuralSpansSql));
  while (st.step()) {
    SessionNode n;
    Span& s = n.span;
    s.span_id = st.text(0);
    s.trace_id = st.text(1);
    s.parent_span_id = st.text(2);
    s.session_id = st.text(3);
    s.kind = span_kind_from(st.text(4)).value_or(SpanKind::session);
    s.name = st.text(5);
    s.start_ns = st.int64(6);
    s.end_ns = st.int64(7);
    s.status = span_status_from(st.text(8)).value_or(SpanStatus::unset);
    s.attributes = Json::parse(st.text(9), nullptr, false);
    if (s.attributes.is_discarded() || !s.attributes.is_object()) s.attributes = Json::object();
    s.usage = {st.int64(10), st.int64(11), st.int64(12), st.int64(13), st.real(14)};
    g.by_span_id.emplace(s.span_id, static_cast<int>(g.nodes.size()));
    g.nodes.push_back(std::move(n));
    parent_info.emplace_back(st.text(15), st.text(16));
  }
  link(g, parent_info);
  if (with_totals) load_all_totals(store, g);
  return g;
}

void load_all_totals(Store& store, SessionGraph& g) {
  std::lock_guard lock(internal::mutex(store));
  store.flush();
  Statement agg(internal::db(store), fmt::format("SELECT session_id, {} FROM spans GROUP BY session_id", kTotalsColumns));
  while (agg.step()) {
    auto it = g.by_span_id.find(agg.text(0));
    if (it != g.by_span_id.end() && g.nodes[it->second].is_session()) g.nodes[it->second].own = read_totals(agg, 1);
  }
}

SessionTotals load_session_totals(Store& store, const std::string& session_id) {
  std::lock_guard lock(internal::mutex(store));
  store.flush();
  Statement st(internal::db(store), fmt::format("SELECT {} FROM spans WHERE session_id = ?", kTotalsColumns));
  st.bind(1, session_id);
  return st.step() ? read_totals(st, 0) : SessionTotals{};
}

base::Result<int> find_session(const SessionGraph& g, std::string_view query) {
  std::vector<int> exact, by_name, by_prefix;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const SessionNode& n = g.nodes[i];
    if (!n.is_session()) continue;
    if (n.span.span_id == query) exact.push_back(static_cast<int>(i));
    auto sid = n.span.attributes.find("session.id");
    if (sid != n.span.attributes.end() && sid->is_string() && sid->get<std::string>() == query)
      by_name.push_back(static_cast<int>(i));
    if (!query.empty() && n.span.span_id.starts_with(query)) by_prefix.push_back(static_cast<int>(i));
  }
  for (const auto* tier : {&exact, &by_name, &by_prefix}) {
    if (tier->empty()) continue;
    if (tier->size() == 1) return tier->front();
    std::string names;
    for (size_t k = 0; k < tier->size() && k < 5; ++k)
      names += fmt::format("{}{} {}", k ? ", " : "", short_id(g.nodes[(*tier)[k]].span.span_id),
                           g.nodes[(*tier)[k]].label());
    if (tier->size() > 5) names += fmt::format(", and {} more", tier->size() - 5);
    return base::fail(fmt::format("'{}' matches {} sessions: {}; give a longer span id prefix", query, tier->size(), names));
  }
  return base::fail(fmt::format(
      "no session matches '{}' (give a span id prefix shown by 'harness trace tree', or a session.id)", query));
}

}  // namespace trace

#include "trace/query_tree.h"

#include <array>
#include <unordered_map>

#include <fmt/format.h>

#include "trace/query_format.h"

namespace trace {
namespace {

constexpr size_t kMaxNameWidth = 60;  // a long agent name must not push the figures off a terminal

// The figures a line shows: a session its own spans (its subagents have lines of their own), a harness span the
// sum of everything below it.
const SessionTotals& shown_totals(const TraceTree& t, int i) {
  return t.graph.nodes[i].is_session() ? t.graph.nodes[i].own : t.subtree[i];
}

std::string display_name(const SessionNode& n) {
  if (n.is_session()) return n.label();
  return fmt::format("{} {}", to_string(n.span.kind), n.span.name);
}

std::string or_dash(int64_t v, const std::string& text) { return v ? text : "-"; }

std::string tokens_text(const Usage& u) {
  if (!u.input_tokens && !u.output_tokens) return "-";
  return fmt::format("{}/{}", format_count(u.input_tokens), format_count(u.output_tokens));
}

// Levels of "children" nested in --json; below that, a subtree is listed flat under its ancestor at this level,
// each node with its parent_span_id. An agent can print thousands of nested subagents, and every reader of
// nested JSON (ours, nlohmann's dump, jq) recurses once per level.
constexpr int kMaxJsonLevels = 100;
// Levels drawn with tree lines; deeper lines keep the indent of this level and say their depth instead.
constexpr int kMaxDrawnLevels = 40;

Json node_fields(const TraceTree& t, int i) {
  const SessionNode& n = t.graph.nodes[i];
  const SessionTotals& f = shown_totals(t, i);
  Json j = {{"span_id", n.span.span_id},
            {"kind", to_string(n.span.kind)},
            {"name", n.span.name},
            {"agent", n.span.attributes.value("harness.agent", "")},
            {"status", n.status_text()},
            {"start", format_utc_ns(n.span.start_ns)},
            {"duration_ms", n.duration_ms()},
            {"tool_calls", f.tool_calls},
            {"tool_errors", f.tool_errors},
            {"llm_calls", f.llm_calls},
            {"input_tokens", f.usage.input_tokens},
            {"output_tokens", f.usage.output_tokens},
            {"cache_read_tokens", f.usage.cache_read_tokens},
            {"cache_creation_tokens", f.usage.cache_creation_tokens},
            {"cost_usd", round_cost(f.usage.cost_usd)}};
  if (n.is_session()) j["depth"] = n.depth;
  if (auto sid = n.span.attributes.find("session.id"); sid != n.span.attributes.end()) j["session_id"] = *sid;
  j["children"] = Json::array();
  return j;
}

// Every node below `i`, depth-first, as flat entries naming their parent.
Json flat_descendants(const TraceTree& t, int i) {
  Json out = Json::array();
  std::vector<int> stack(t.graph.nodes[i].children.rbegin(), t.graph.nodes[i].children.rend());
  while (!stack.empty()) {
    int d = stack.back();
    stack.pop_back();
    Json j = node_fields(t, d);
    j["parent_span_id"] = t.graph.nodes[t.graph.nodes[d].parent].span.span_id;
    out.push_back(std::move(j));
    const auto& kids = t.graph.nodes[d].children;
    stack.insert(stack.end(), kids.rbegin(), kids.rend());
  }
  return out;
}

// The nested JSON of the tree under `root`, built bottom-up (children before their parents) without recursion.
Json node_json(const TraceTree& t, int root) {
  std::vector<std::pair<int, int>> order;  // (node, level), pre-order
  std::vector<std::pair<int, int>> stack = {{root, 0}};
  while (!stack.empty()) {
    auto [i, level] = stack.back();
    stack.pop_back();
    order.emplace_back(i, level);
    if (level + 1 < kMaxJsonLevels)
      for (int c : t.graph.nodes[i].children) stack.emplace_back(c, level + 1);
  }
  std::unordered_map<int, Json> built;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    auto [i, level] = *it;
    Json j = node_fields(t, i);
    if (level + 1 < kMaxJsonLevels) {
      for (int c : t.graph.nodes[i].children) {
        j["children"].push_back(std::move(built[c]));
        built.erase(c);
      }
    } else {
      j["children"] = flat_descendants(t, i);
    }
    built[i] = std::move(j);
  }
  return std::move(built[root]);
}

std::string summary_line(const TraceTree& t) {
  const SessionTotals& f = t.totals;
  return fmt::format("{}, {} (max depth {}); {}, {}; {}; tokens {} in / {} out; cost {}", plural(t.sessions, "session"),
                     plural(t.subagents, "subagent"), t.max_depth, plural(f.tool_calls, "tool call"),
                     plural(f.tool_errors, "error"), plural(f.llm_calls, "llm call"),
                     format_count(f.usage.input_tokens), format_count(f.usage.output_tokens),
                     format_cost(f.usage.cost_usd));
}

}  // namespace

TraceTree build_tree(Store& store) {
  TraceTree t;
  t.graph = load_session_graph(store, /*with_totals=*/true);
  const auto& nodes = t.graph.nodes;
  t.subtree.resize(nodes.size());
  // Children come after parents in no guaranteed order (clock skew): sum bottom-up from an explicit post-order.
  std::vector<int> order;
  std::vector<int> stack(t.graph.roots.rbegin(), t.graph.roots.rend());
  while (!stack.empty()) {
    int i = stack.back();
    stack.pop_back();
    order.push_back(i);
    for (int c : nodes[i].children) stack.push_back(c);
  }
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    int i = *it;
    t.subtree[i].add(nodes[i].own);
    if (nodes[i].parent >= 0) t.subtree[nodes[i].parent].add(t.subtree[i]);
    if (nodes[i].span.kind == SpanKind::session) ++t.sessions;
    if (nodes[i].span.kind == SpanKind::subagent) ++t.subagents;
    if (nodes[i].is_session()) t.totals.add(nodes[i].own);
    t.max_depth = std::max(t.max_depth, nodes[i].depth);
  }
  return t;
}

std::string format_tree(const TraceTree& t) {
  if (t.graph.nodes.empty()) return "no sessions\n";
  using Row = std::array<std::string, 10>;
  std::vector<Row> rows = {{"SPAN", "KIND", "NAME", "STATUS", "DURATION", "TOOLS", "ERRORS", "LLM", "TOKENS IN/OUT",
                            "COST"}};
  // Depth-first, drawing the tree into the name column: "├─ " / "└─ " for the node, "│  " / "   " for ancestors.
  struct Item {
    int node;
    std::string prefix, connector;
    int level;
  };
  std::vector<Item> stack;
  for (size_t r = t.graph.roots.size(); r-- > 0;) stack.push_back({t.graph.roots[r], "", "", 0});
  while (!stack.empty()) {
    Item item = std::move(stack.back());
    stack.pop_back();
    const SessionNode& n = t.graph.nodes[item.node];
    const SessionTotals& f = shown_totals(t, item.node);
    std::string name = item.prefix + item.connector;
    if (item.level > kMaxDrawnLevels) name += fmt::format("[level {}] ", item.level);
    name += one_line(display_name(n), kMaxNameWidth);
    rows.push_back({short_id(n.span.span_id), std::string(to_string(n.span.kind)), name,
                    n.status_text(), format_duration_ms(n.duration_ms()), format_thousands(f.tool_calls),
                    or_dash(f.tool_errors, format_thousands(f.tool_errors)), format_thousands(f.llm_calls),
                    tokens_text(f.usage), f.usage.cost_usd > 0 ? format_cost(f.usage.cost_usd) : "-"});
    std::string child_prefix = item.prefix;
    if (!item.connector.empty() && item.level < kMaxDrawnLevels)
      child_prefix += item.connector == "└─ " ? "   " : "│  ";
    for (size_t c = n.children.size(); c-- > 0;)
      stack.push_back({n.children[c], child_prefix, c + 1 == n.children.size() ? "└─ " : "├─ ", item.level + 1});
  }
  std::array<size_t, 10> width{};
  for (const Row& row : rows)
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], display_width(row[c]));
  std::string out;
  for (const Row& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      bool numeric = c >= 4;  // figures are right-aligned so their digits line up
      if (c) line += "  ";
      line += numeric ? pad_left(row[c], width[c]) : (c + 1 == row.size() ? row[c] : pad_right(row[c], width[c]));
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + '\n';
  }
  out += summary_line(t) + '\n';
  return out;
}

Json tree_to_json(const TraceTree& t) {
  Json roots = Json::array();
  for (int r : t.graph.roots) roots.push_back(node_json(t, r));
  const SessionTotals& f = t.totals;
  Json summary = {{"sessions", t.sessions},
                  {"subagents", t.subagents},
                  {"max_depth", t.max_depth},
                  {"tool_calls", f.tool_calls},
                  {"tool_errors", f.tool_errors},
                  {"llm_calls", f.llm_calls},
                  {"input_tokens", f.usage.input_tokens},
                  {"output_tokens", f.usage.output_tokens},
                  {"cache_read_tokens", f.usage.cache_read_tokens},
                  {"cache_creation_tokens", f.usage.cache_creation_tokens},
                  {"cost_usd", round_cost(f.usage.cost_usd)}};
  return {{"summary", summary}, {"roots", roots}};
}

}  // namespace trace

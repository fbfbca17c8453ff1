#include "trace/query_replay.h"
#include "trace/store_internal.h"

#include <algorithm>
#include <unordered_set>

#include <fmt/format.h>

#include "trace/query_format.h"

namespace trace {
namespace {

constexpr size_t kDetailWidth = 120;

std::string text_of(const Json& payload, const char* key) {
  auto it = payload.find(key);
  if (it == payload.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump(-1, ' ', false, Json::error_handler_t::replace);
}

// One step of a session before it becomes a line: an event, an llm span, or a subagent not anchored to a tool call.
struct Step {
  int64_t time_ns = 0;
  int64_t event_id = 0;
  std::string span_id;
  std::string span_kind;
  std::string span_name;
  std::string type;
  Json payload;
  int subagent_node = -1;
  Span llm;
};

ReplayLine line_for_event(const Step& s) {
  ReplayLine l;
  l.time_ns = s.time_ns;
  l.event_id = s.event_id;
  l.span_id = s.span_id;
  l.type = s.type;
  const Json& p = s.payload;
  std::string detail;
  if (s.type == "session.started") {
    l.marker = "●", l.what = "session start";
  } else if (s.type == "session.ended") {
    l.marker = "■", l.what = "session end", detail = text_of(p, "status");
  } else if (s.type == "message") {
    std::string role = text_of(p, "role");
    l.marker = role == "user" ? "▶" : role == "assistant" ? "◀" : "·";
    l.what = role == "user" ? "prompt" : role == "assistant" ? "reply" : role;
    detail = text_of(p, "text");
  } else if (s.type == "tool.call.started") {
    l.marker = "▶", l.what = "tool " + s.span_name, detail = text_of(p, "input");
  } else if (s.type == "tool.call.completed" || s.type == "tool.call.failed") {
    bool failed = s.type == "tool.call.failed";
    l.marker = failed ? "✗" : "✓", l.what = s.span_name;
    detail = failed && p.contains("error") ? text_of(p, "error") : text_of(p, "output");
    if (p.contains("exit_code")) detail = fmt::format("exit {}{}{}", text_of(p, "exit_code"), detail.empty() ? "" : ": ", detail);
  } else if (s.type == "error") {
    l.marker = "✗", l.what = "error", detail = text_of(p, "message");
    if (p.contains("kind")) detail = fmt::format("{}: {}", text_of(p, "kind"), detail);
  } else if (s.type == "decode.error") {
    l.marker = "⚠", l.what = "decode error";
    detail = fmt::format("line {}: {}", text_of(p, "line"), text_of(p, "reason"));
  } else if (s.type == "file.read" || s.type == "file.write") {
    l.marker = "·", l.what = s.type == "file.read" ? "read" : "write", detail = text_of(p, "path");
  } else if (s.type == "subagent.spawned") {
    l.marker = "↳", l.what = "spawn";
    detail = text_of(p, "name");
    if (std::string child = text_of(p, "child_session"); !child.empty() && child != detail)
      detail += (detail.empty() ? "" : " ") + child;
  } else {
    l.marker = "·", l.what = s.type;
    detail = p.empty() ? "" : p.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  l.detail = one_line(detail, kDetailWidth);
  return l;
}

ReplayLine line_for_llm(const Span& llm) {
  ReplayLine l;
  l.time_ns = llm.start_ns;
  l.span_id = llm.span_id;
  l.type = "llm.call";
  l.marker = "◆";
  std::string model = llm.attributes.value("gen_ai.request.model", "");
  if (model.empty()) model = llm.name;
  l.what = "llm " + model;
  l.detail = fmt::format("{} in / {} out, {}", format_count(llm.usage.input_tokens),
                         format_count(llm.usage.output_tokens),
                         format_duration_ms(std::max<int64_t>(0, llm.end_ns - llm.start_ns) / 1'000'000));
  if (llm.status == SpanStatus::error) l.detail += ", error";
  return l;
}

// Subagent levels inlined by --expand-subagents. The walk recurses once per level, and an agent can print a chain
// of thousands; a deeper subagent gets its summary line and is replayed on its own with --session.
constexpr int kMaxExpandedDepth = 32;

class Replayer {
 public:
  Replayer(Store& store, const SessionGraph& graph, bool expand) : store_(store), g_(graph), expand_(expand) {}

  // Appends the timeline of session `node` to `out`, at nesting `depth`.
  void timeline(int node, int depth, std::vector<ReplayLine>& out) {
    const std::string& sid = g_.nodes[node].span.span_id;
    std::vector<Step> steps = load_steps(sid);
    std::unordered_set<std::string> started_tools;
    for (const Step& s : steps)
      if (s.type == "tool.call.started") started_tools.insert(s.span_id);
    // Subagents hang under their tool call's "started" line; one with no such line takes its place in time.
    std::unordered_map<std::string, std::vector<int>> anchored;
    for (int c : g_.nodes[node].children) {
      const Span& child = g_.nodes[c].span;
      if (child.kind != SpanKind::subagent && child.kind != SpanKind::session) continue;
      if (started_tools.count(child.parent_span_id)) {
        anchored[child.parent_span_id].push_back(c);
      } else {
        Step s;
        s.time_ns = child.start_ns;
        s.subagent_node = c;
        steps.push_back(std::move(s));
      }
    }
    std::stable_sort(steps.begin(), steps.end(), [](const Step& a, const Step& b) {
      if (a.time_ns != b.time_ns) return a.time_ns < b.time_ns;
      bool a_event = a.event_id != 0, b_event = b.event_id != 0;
      if (a_event != b_event) return b_event;  // a span starting at an event's time comes before it
      return a.event_id < b.event_id;
    });
    // A spawning tool call's subagents follow its "started" line, after the tool span's own lines that come no
    // later than the subagent's start (the subagent.spawned event), so the timeline stays in order.
    std::string pending_tool;
    std::vector<int> pending;
    auto flush_pending = [&] {
      for (int c : pending) subagent(c, depth, out);
      pending.clear();
      pending_tool.clear();
    };
    for (const Step& s : steps) {
      if (!pending.empty() && (s.span_id != pending_tool || s.time_ns > g_.nodes[pending.front()].span.start_ns))
        flush_pending();
      if (s.subagent_node >= 0) {
        subagent(s.subagent_node, depth, out);
        continue;
      }
      ReplayLine l = s.type == "llm.call" ? line_for_llm(s.llm) : line_for_event(s);
      l.depth = depth;
      out.push_back(std::move(l));
      if (s.type == "tool.call.started")
        if (auto it = anchored.find(s.span_id); it != anchored.end()) {
          flush_pending();
          pending_tool = s.span_id;
          pending = it->second;
        }
    }
    flush_pending();
  }

 private:
  void subagent(int node, int depth, std::vector<ReplayLine>& out) {
    const SessionNode& n = g_.nodes[node];
    ReplayLine l;
    l.time_ns = n.span.start_ns;
    l.span_id = n.span.span_id;
    l.depth = depth;
    l.type = "subagent";
    l.marker = "↳";
    l.what = fmt::format("subagent {} {}", n.label(), short_id(n.span.span_id));
    if (expand_ && depth + 1 < kMaxExpandedDepth) {
      out.push_back(std::move(l));
      timeline(node, depth + 1, out);
      return;
    }
    SessionTotals t = load_session_totals(store_, n.span.span_id);
    std::string how = expand_ ? fmt::format("nested deeper than {} levels: --session {} replays it", kMaxExpandedDepth,
                                            short_id(n.span.span_id))
                              : "--expand-subagents to inline";
    l.detail = fmt::format("{}, {}, {} ({})", format_duration_ms(n.duration_ms()), plural(t.tool_calls, "tool call"),
                           plural(t.tool_errors, "error"), how);
    out.push_back(std::move(l));
  }

  std::vector<Step> load_steps(const std::string& session_id) {
    std::lock_guard lock(internal::mutex(store_));
    store_.flush();
    std::vector<Step> steps;
    Statement ev(internal::db(store_),
                 "SELECT e.id, e.span_id, e.time_ns, e.type, e.payload, s.kind, s.name FROM spans s "
                 "JOIN events e ON e.span_id = s.span_id WHERE s.session_id = ?");
    ev.bind(1, session_id);
    while (ev.step()) {
      Step s;
      s.event_id = ev.int64(0);
      s.span_id = ev.text(1);
      s.time_ns = ev.int64(2);
      s.type = ev.text(3);
      s.payload = Json::parse(ev.text(4), nullptr, false);
      if (s.payload.is_discarded() || !s.payload.is_object()) s.payload = Json::object();
      s.span_kind = ev.text(5);
      s.span_name = ev.text(6);
      steps.push_back(std::move(s));
    }
    Statement llm(internal::db(store_),
                  "SELECT span_id, name, start_ns, end_ns, status, input_tokens, output_tokens, attributes FROM spans "
                  "WHERE session_id = ? AND kind = 'llm'");
    llm.bind(1, session_id);
    while (llm.step()) {
      Step s;
      s.type = "llm.call";
      s.span_id = llm.text(0);
      s.llm.span_id = s.span_id;
      s.llm.name = llm.text(1);
      s.time_ns = s.llm.start_ns = llm.int64(2);
      s.llm.end_ns = llm.int64(3);
      s.llm.status = span_status_from(llm.text(4)).value_or(SpanStatus::unset);
      s.llm.usage.input_tokens = llm.int64(5);
      s.llm.usage.output_tokens = llm.int64(6);
      s.llm.attributes = Json::parse(llm.text(7), nullptr, false);
      if (s.llm.attributes.is_discarded() || !s.llm.attributes.is_object()) s.llm.attributes = Json::object();
      steps.push_back(std::move(s));
    }
    return steps;
  }

  Store& store_;
  const SessionGraph& g_;
  bool expand_;
};

}  // namespace

base::Result<ReplayResult> replay(Store& store, const ReplayOptions& options) {
  ReplayResult result;
  SessionGraph g = load_session_graph(store, /*with_totals=*/false);
  std::vector<int> chosen;
  if (!options.session.empty()) {
    base::Result<int> found = find_session(g, options.session);
    if (!found) return base::fail(found.error());
    chosen.push_back(*found);
  } else {
    for (size_t i = 0; i < g.nodes.size(); ++i)
      if (g.nodes[i].span.kind == SpanKind::session && (g.nodes[i].parent < 0 || !g.nodes[g.nodes[i].parent].is_session()))
        chosen.push_back(static_cast<int>(i));
  }
  Replayer replayer(store, g, options.expand_subagents);
  for (int node : chosen) {
    ReplaySession rs;
    rs.span = g.nodes[node].span;
    rs.label = g.nodes[node].label();
    rs.status = g.nodes[node].status_text();
    rs.totals = load_session_totals(store, rs.span.span_id);
    replayer.timeline(node, 0, rs.lines);
    result.sessions.push_back(std::move(rs));
  }
  return result;
}

std::string format_replay(const ReplayResult& r) {
  if (r.sessions.empty()) return "no sessions\n";
  std::string out;
  for (const ReplaySession& s : r.sessions) {
    if (!out.empty()) out += '\n';
    int64_t end = s.span.end_ns ? s.span.end_ns : s.span.start_ns;
    out += fmt::format("{} {} {}  {}  {}  {}, {}, {}\n", to_string(s.span.kind), short_id(s.span.span_id), s.label,
                       format_utc_ns(s.span.start_ns), format_duration_ms((end - s.span.start_ns) / 1'000'000),
                       s.status, plural(s.totals.tool_calls, "tool call"), plural(s.totals.tool_errors, "error"));
    size_t time_w = 0, id_w = 0;
    for (const ReplayLine& l : s.lines) {
      time_w = std::max(time_w, format_offset_ns(l.time_ns - s.span.start_ns).size());
      if (l.event_id) id_w = std::max(id_w, fmt::format("#e{}", l.event_id).size());
    }
    for (const ReplayLine& l : s.lines) {
      std::string indent;
      for (int d = 0; d < l.depth; ++d) indent += "│ ";
      std::string line = fmt::format("  {}  {}  {}{} {}", pad_left(format_offset_ns(l.time_ns - s.span.start_ns), time_w),
                                     pad_right(l.event_id ? fmt::format("#e{}", l.event_id) : "", id_w), indent,
                                     l.marker, l.what);
      if (!l.detail.empty()) line += "  " + l.detail;
      out += line + '\n';
    }
  }
  return out;
}

Json replay_to_json(const ReplayResult& r) {
  Json sessions = Json::array();
  for (const ReplaySession& s : r.sessions) {
    Json lines = Json::array();
    for (const ReplayLine& l : s.lines) {
      Json j = {{"offset_ms", (l.time_ns - s.span.start_ns) / 1'000'000},
                {"time", format_utc_ns(l.time_ns)},
                {"span_id", l.span_id},
                {"depth", l.depth},
                {"type", l.type},
                {"what", l.what},
                {"detail", l.detail}};
      if (l.event_id) j["event_id"] = l.event_id;
      lines.push_back(std::move(j));
    }
    sessions.push_back({{"span_id", s.span.span_id},
                        {"kind", to_string(s.span.kind)},
                        {"name", s.label},
                        {"start", format_utc_ns(s.span.start_ns)},
                        {"status", s.status},
                        {"tool_calls", s.totals.tool_calls},
                        {"tool_errors", s.totals.tool_errors},
                        {"lines", std::move(lines)}});
  }
  return {{"sessions", sessions}};
}

}  // namespace trace

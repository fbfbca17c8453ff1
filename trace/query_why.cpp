#include "trace/query_why.h"
#include "trace/store_internal.h"

#include <charconv>
#include <unordered_set>

#include <fmt/format.h>

#include "trace/query_format.h"

namespace trace {
namespace {

constexpr int kMaxWhyChain = 64;            // spans above an event; a deeper chain means a parent cycle in bad input
constexpr int kMaxReadsScanned = 200;    // a session's earlier reads looked at per cause, newest first

// 41, e41, #e41, or an observation's evidence label g02-a03#e41 (the agent part is only a reader's hint).
std::optional<int64_t> parse_event_ref(std::string_view ref) {
  if (auto hash = ref.rfind('#'); hash != std::string_view::npos) ref.remove_prefix(hash + 1);
  if (ref.starts_with("e") || ref.starts_with("E")) ref.remove_prefix(1);
  int64_t id = 0;
  auto [end, ec] = std::from_chars(ref.data(), ref.data() + ref.size(), id);
  if (ec != std::errc() || end != ref.data() + ref.size() || id <= 0) return std::nullopt;
  return id;
}

// What an event touches: a file path (file.read/file.write) or a shared state key (state.read/state.write).
struct Touch {
  std::string key;
  bool is_state = false;
};

Touch touch_of(const Event& e) {
  auto str = [&](const char* k) {
    auto it = e.payload.find(k);
    return it != e.payload.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (e.type == "file.read" || e.type == "file.write") return {str("path"), false};
  if (e.type == "state.read" || e.type == "state.write") return {str("key"), true};
  return {};
}

std::string span_label(const Span& s) {
  std::string label = fmt::format("{} {} {}", to_string(s.kind), short_id(s.span_id), s.name);
  auto agent = s.attributes.find("harness.agent");
  if (agent != s.attributes.end() && agent->is_string() && agent->get<std::string>() != s.name)
    label += fmt::format(" [{}]", agent->get<std::string>());
  return label;
}

std::string event_label(const Event& e, const std::string& touched) {
  return fmt::format("#e{} {}{}{}", e.id, e.type, touched.empty() ? "" : " ", touched);
}

class Explainer {
 public:
  Explainer(Store& store, const WhyOptions& options) : store_(store), options_(options) {}

  WhyNode node(const Event& e, std::string reason) {
    WhyNode n;
    n.event = e;
    n.reason = std::move(reason);
    n.touched = touch_of(e).key;
    std::string id = e.span_id;
    for (int i = 0; i < kMaxWhyChain && !id.empty(); ++i) {
      auto span = store_.span(id);
      if (!span) break;
      id = span->parent_span_id;
      n.chain.insert(n.chain.begin(), std::move(*span));
    }
    if (!n.chain.empty()) n.session_id = n.chain.back().session_id;
    visited_.insert(e.id);
    return n;
  }

  void explain(WhyNode& n, int depth) {
    if (depth >= options_.max_depth) return;
    Touch touch = touch_of(n.event);
    if (!touch.key.empty()) {
      if (auto w = last_write(touch, n.session_id, n.event.time_ns, n.event.id); w && !visited_.count(w->id)) {
        n.causes.push_back(node(*w, fmt::format("last write of {} by another session before #e{}", touch.key,
                                                n.event.id)));
      }
    }
    // What this event's session had read from other sessions before it: inputs that may explain it.
    int inputs = 0;
    std::unordered_set<std::string> seen_paths = {touch.is_state ? "" : touch.key};
    for (const Event& read : earlier_reads(n.session_id, n.event.time_ns, n.event.id)) {
      if (inputs >= options_.max_inputs) break;
      std::string path = touch_of(read).key;
      if (path.empty() || !seen_paths.insert(path).second) continue;
      auto w = last_write({path, false}, n.session_id, read.time_ns, read.id);
      if (!w || visited_.count(w->id)) continue;
      n.causes.push_back(node(*w, fmt::format("its session read {} at #e{}, last written by another session",
                                              path, read.id)));
      ++inputs;
    }
    for (WhyNode& c : n.causes) explain(c, depth + 1);
  }

 private:
  std::optional<Event> last_write(const Touch& touch, const std::string& not_session, int64_t before_ns,
                                  int64_t before_id) {
    std::lock_guard lock(internal::mutex(store_));
    // The file form repeats the partial index's term so SQLite can use events_touch; state keys have no index
    // (rare events: a scan of the write events is fine).
    std::string where = touch.is_state
                            ? "e.type = 'state.write' AND json_extract(e.payload, '$.key') = ?1"
                            : fmt::format("e.{} AND e.type = 'file.write' AND json_extract(e.payload, '$.path') = ?1",
                                          kFileEventsSql);
    Statement st(internal::db(store_), fmt::format("SELECT e.id FROM events e JOIN spans s ON s.span_id = e.span_id WHERE {} "
                                          "AND s.session_id != ?2 AND (e.time_ns < ?3 OR (e.time_ns = ?3 AND e.id < ?4)) "
                                          "ORDER BY e.time_ns DESC, e.id DESC LIMIT 1",
                                          where));
    st.bind(1, touch.key).bind(2, not_session).bind(3, before_ns).bind(4, before_id);
    if (!st.step()) return std::nullopt;
    return store_.event(st.int64(0));
  }

  std::vector<Event> earlier_reads(const std::string& session_id, int64_t before_ns, int64_t before_id) {
    std::lock_guard lock(internal::mutex(store_));
    Statement st(internal::db(store_),
                 fmt::format("SELECT e.id FROM spans s JOIN events e ON e.span_id = s.span_id WHERE s.session_id = ?1 "
                             "AND e.type = 'file.read' AND (e.time_ns < ?2 OR (e.time_ns = ?2 AND e.id < ?3)) "
                             "ORDER BY e.time_ns DESC, e.id DESC LIMIT {}",
                             kMaxReadsScanned));
    st.bind(1, session_id).bind(2, before_ns).bind(3, before_id);
    std::vector<int64_t> ids;
    while (st.step()) ids.push_back(st.int64(0));
    std::vector<Event> out;
    for (int64_t id : ids)
      if (auto e = store_.event(id)) out.push_back(std::move(*e));
    return out;
  }

  Store& store_;
  const WhyOptions& options_;
  std::unordered_set<int64_t> visited_;
};

void format_causes(const WhyNode& n, const std::string& indent, std::string& out) {
  for (const WhyNode& c : n.causes) {
    int64_t earlier_ms = (n.event.time_ns - c.event.time_ns) / 1'000'000;
    out += fmt::format("{}← {}, {} earlier: {}\n", indent, event_label(c.event, c.touched),
                       format_duration_ms(earlier_ms), c.reason);
    std::string chain;
    for (const Span& s : c.chain) chain += (chain.empty() ? "" : " › ") + span_label(s);
    out += fmt::format("{}    in {}\n", indent, chain.empty() ? "(span missing)" : chain);
    format_causes(c, indent + "  ", out);
  }
}

Json node_json(const WhyNode& n) {
  Json chain = Json::array();
  for (const Span& s : n.chain)
    chain.push_back({{"span_id", s.span_id}, {"kind", to_string(s.kind)}, {"name", s.name}});
  Json causes = Json::array();
  for (const WhyNode& c : n.causes) causes.push_back(node_json(c));
  Json j = {{"event_id", n.event.id},     {"type", n.event.type},    {"time", format_utc_ns(n.event.time_ns)},
            {"span_id", n.event.span_id}, {"session", n.session_id}, {"chain", chain},
            {"causes", causes}};
  if (!n.touched.empty()) j["touched"] = n.touched;
  if (!n.reason.empty()) j["reason"] = n.reason;
  return j;
}

}  // namespace

base::Result<WhyNode> explain_event(Store& store, const std::string& event_ref, const WhyOptions& options) {
  auto id = parse_event_ref(event_ref);
  if (!id)
    return base::fail(fmt::format("'{}' is not an event id (expected a number such as 41 or #e41, as 'harness trace "
                                  "replay' prints them, or an evidence label such as g02-a03#e41)",
                                  event_ref));
  auto event = store.event(*id);
  if (!event) {
    int64_t max_id = 0;
    {
      std::lock_guard lock(internal::mutex(store));
      Statement st(internal::db(store), "SELECT coalesce(max(id), 0) FROM events");
      if (st.step()) max_id = st.int64(0);
    }
    return base::fail(max_id ? fmt::format("no event #e{} in {} (its events are #e1 to #e{})", *id, store.path(), max_id)
                             : fmt::format("no event #e{} in {} (it holds no events)", *id, store.path()));
  }
  Explainer explainer(store, options);
  WhyNode root = explainer.node(*event, "");
  explainer.explain(root, 0);
  return root;
}

std::string format_why(const WhyNode& n) {
  std::string out = fmt::format("event {} at {}\n", event_label(n.event, n.touched), format_utc_ns(n.event.time_ns));
  std::string indent = "  ";
  for (size_t i = 0; i < n.chain.size(); ++i) {
    out += fmt::format("{}{}{}\n", indent, i ? "└─ " : "", span_label(n.chain[i]));
    if (i) indent += "   ";
  }
  out += fmt::format("{}{}{}\n", indent, n.chain.empty() ? "" : "└─ ", event_label(n.event, n.touched));
  if (n.causes.empty()) {
    out += n.touched.empty()
               ? "no cross-session cause: the event touches no file or shared state, and its session read nothing "
                 "another session had written before it\n"
               : fmt::format("no cross-session cause: no other session wrote {} before this event, and its session "
                             "read nothing another session had written before it\n",
                             n.touched);
    return out;
  }
  out += "caused across sessions by:\n";
  format_causes(n, "  ", out);
  return out;
}

Json why_to_json(const WhyNode& root) { return node_json(root); }

}  // namespace trace

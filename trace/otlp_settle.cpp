// OtlpDocumentDecoder: settling each span's session_id (the nearest session/subagent above it) once its
// ancestors are known, whatever order spans arrive in (exporters send children before parents), and the
// session spans this decoder makes itself.
#include <algorithm>

#include "trace/ids.h"
#include "trace/otlp_json.h"

namespace trace {
namespace {

// Bounds for a long-running receiver: past them, lookups fail and spans are settled as roots.
constexpr size_t kMaxKnownSpans = 1u << 20;
constexpr size_t kMaxProvisional = 100000;

bool is_session_kind(SpanKind k) { return k == SpanKind::session || k == SpanKind::subagent; }
// Spans of the orchestration above agent sessions (run, generation, agent, verify, observer): no session of
// their own.
bool is_above_sessions(SpanKind k) {
  return k == SpanKind::run || k == SpanKind::generation || k == SpanKind::agent || k == SpanKind::verify ||
         k == SpanKind::observer;
}

}  // namespace

void OtlpDocumentDecoder::settle_document(std::vector<Pending>& spans) {
  std::vector<std::string> ids;
  for (auto& p : spans) {
    ids.push_back(p.span.span_id);
    waiting_on_.emplace(p.span.parent_span_id, p.span.span_id);
    provisional_.insert_or_assign(p.span.span_id, std::move(p));
  }
  // Whatever settles now also settles the spans that wait on it, so the order inside the document does not
  // matter.
  for (const auto& id : ids)
    if (auto it = provisional_.find(id); it != provisional_.end() && !it->second.settled)
      try_settle(it->second);
  settle_waiting();
  for (const auto& id : ids) {
    auto it = provisional_.find(id);
    if (it == provisional_.end()) continue;
    if (provisional_.size() > kMaxProvisional) {  // bounded memory: stop waiting for this one's parent
      settle_as_root(it->second);
      settle_waiting();
    } else {
      write(it->second.span);  // visible now; written again once its session is known
    }
  }
}

bool OtlpDocumentDecoder::try_settle(Pending& p) {
  Span& s = p.span;
  if (is_session_kind(s.kind)) {
    s.session_id = s.span_id;
    ++cur_.sessions;
  } else if (is_above_sessions(s.kind)) {
    s.session_id.clear();
  } else if (s.parent_span_id.empty() || s.parent_span_id == ctx_.parent_span_id) {
    settle_as_root(p);  // an llm/tool root: it gets a session of its own
    return true;
  } else if (auto it = session_of_.find(s.parent_span_id); it != session_of_.end()) {
    s.session_id = it->second;
  } else {
    return false;
  }
  mark_settled(p);
  return true;
}

void OtlpDocumentDecoder::settle_as_root(Pending& p) {
  Span& s = p.span;
  if (!s.parent_span_id.empty() && s.parent_span_id != ctx_.parent_span_id && !ctx_.parent_span_id.empty()) {
    // Its parent never arrived: hang it where this stream's roots go, keeping the original link visible.
    s.attributes["harness.otlp.parent_span_id"] = s.parent_span_id;
    s.parent_span_id = ctx_.parent_span_id;
  }
  if (!p.explicit_kind) s.kind = SpanKind::session;
  if (is_session_kind(s.kind)) {
    s.session_id = s.span_id;
    ++cur_.sessions;
  } else if (is_above_sessions(s.kind)) {
    s.session_id.clear();
  } else {
    SessionSeed seed{s.trace_id, p.service.empty() ? "otlp" : p.service, Json::object()};
    if (!p.service.empty()) seed.attributes["service.name"] = p.service;
    if (!ctx_.parent_span_id.empty()) seed.attributes["harness.otlp.trace_id"] = p.original_trace_id;
    Span& session = session_for("root:" + p.original_trace_id + ":" + p.service, seed, s.start_ns, s.end_ns);
    if (s.parent_span_id.empty() || s.parent_span_id == ctx_.parent_span_id)
      s.parent_span_id = session.span_id;
    s.session_id = session.span_id;
  }
  mark_settled(p);
}

void OtlpDocumentDecoder::mark_settled(Pending& p) {
  p.settled = true;
  // A top-level session names the agent or file it came from, unless an earlier export already did.
  if (p.span.kind == SpanKind::session && !ctx_.label.empty() && !p.span.attributes.contains("harness.agent"))
    p.span.attributes["harness.agent"] = ctx_.label;
  if (session_of_.size() < kMaxKnownSpans) session_of_[p.span.span_id] = p.span.session_id;
  settled_queue_.push_back(p.span.span_id);
}

void OtlpDocumentDecoder::settle_waiting() {
  // A worklist over "who waits on whom": linear in the spans settled, whatever order they came in.
  for (size_t next = 0; next < settled_queue_.size(); ++next) {
    std::string id = settled_queue_[next];
    auto range = waiting_on_.equal_range(id);
    std::vector<std::string> children;
    for (auto it = range.first; it != range.second; ++it) children.push_back(it->second);
    waiting_on_.erase(range.first, range.second);
    for (const auto& child : children)
      if (auto it = provisional_.find(child); it != provisional_.end() && !it->second.settled)
        try_settle(it->second);
  }
  for (const auto& id : settled_queue_) {
    auto it = provisional_.find(id);
    if (it == provisional_.end() || !it->second.settled) continue;
    write(it->second.span);
    provisional_.erase(it);
  }
  settled_queue_.clear();
}

OtlpDocumentStats OtlpDocumentDecoder::finish() {
  cur_ = {};
  settle_waiting();
  while (!provisional_.empty()) {
    // Spans whose parent never arrived become roots (in id order: the same input settles the same way), then
    // whatever waited on them follows.
    std::vector<std::string> orphans;
    for (const auto& [id, p] : provisional_)
      if (!provisional_.contains(p.span.parent_span_id)) orphans.push_back(id);
    if (orphans.empty())
      orphans.push_back(
          std::min_element(provisional_.begin(), provisional_.end(), [](const auto& a, const auto& b) {
            return a.first < b.first;
          })->first);  // a parent cycle: break it at its smallest id
    std::sort(orphans.begin(), orphans.end());
    for (const auto& id : orphans)
      if (auto it = provisional_.find(id); it != provisional_.end() && !it->second.settled)
        settle_as_root(it->second);
    settle_waiting();
  }
  waiting_on_.clear();
  flush_sessions();
  return std::move(cur_);
}

Span& OtlpDocumentDecoder::session_for(const std::string& key, const SessionSeed& seed, int64_t start,
                                       int64_t end) {
  auto it = sessions_.find(key);
  if (it == sessions_.end()) {
    Span s;
    s.trace_id = seed.trace_id;
    s.span_id = derive_span_id(ctx_.scope, "otlp-session:" + key);
    s.session_id = s.span_id;
    s.parent_span_id = ctx_.parent_span_id;
    s.kind = SpanKind::session;
    s.name = seed.name;
    s.start_ns = start;
    s.end_ns = end;
    s.attributes = seed.attributes;
    if (!ctx_.label.empty()) s.attributes["harness.agent"] = ctx_.label;
    ++cur_.sessions;
    if (session_of_.size() < kMaxKnownSpans) session_of_[s.span_id] = s.span_id;
    it = sessions_.emplace(key, std::move(s)).first;
    dirty_sessions_.insert(key);
  } else if (start < it->second.start_ns || end > it->second.end_ns) {
    it->second.start_ns = std::min(it->second.start_ns, start);
    it->second.end_ns = std::max(it->second.end_ns, end);
    dirty_sessions_.insert(key);
  }
  return it->second;
}

void OtlpDocumentDecoder::flush_sessions() {
  for (const auto& key : dirty_sessions_) write(sessions_.at(key));
  dirty_sessions_.clear();
}

}  // namespace trace

// OtlpDocumentDecoder, traces half: resourceSpans -> spans (kind mapping, usage, events). The settling of
// each span's session is in otlp_settle.cpp, the logs half in otlp_logs.cpp.
#include <fmt/format.h>

#include "trace/ids.h"
#include "trace/otlp_json.h"
#include "trace/time_parse.h"

namespace trace {
namespace {

std::string sample_of(const Json& j) {
  std::string s = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  return s.size() > 200 ? s.substr(0, 200) : s;
}

int64_t first_int(const Json& attrs, std::initializer_list<const char*> keys) {
  for (const char* k : keys)
    if (auto it = attrs.find(k); it != attrs.end())
      if (auto v = json_int64(*it)) return *v;
  return 0;
}

// The mapping documented in otlp_json.h; nullopt when no attribute decides it.
std::optional<SpanKind> explicit_kind(const Json& attrs, bool root) {
  if (auto it = attrs.find("harness.span.kind"); it != attrs.end() && it->is_string())
    if (auto k = span_kind_from(it->get<std::string>())) return k;
  std::string op = string_at(attrs, "gen_ai.operation.name");
  if (op == "chat" || op == "text_completion" || op == "generate_content" || op == "embeddings")
    return SpanKind::llm;
  if (op == "execute_tool") return SpanKind::tool;
  if (op == "invoke_agent" || op == "create_agent") return root ? SpanKind::session : SpanKind::subagent;
  std::string oi = string_at(attrs, "openinference.span.kind");
  if (oi == "LLM" || oi == "EMBEDDING") return SpanKind::llm;
  if (oi == "TOOL" || oi == "RETRIEVER") return SpanKind::tool;
  if (oi == "AGENT") return root ? SpanKind::session : SpanKind::subagent;
  return std::nullopt;
}

}  // namespace

OtlpDocumentDecoder::OtlpDocumentDecoder(DecodeContext ctx) : ctx_(std::move(ctx)) {}

void OtlpDocumentDecoder::problem(std::string reason, const Json& sample) {
  cur_.problems.push_back({std::move(reason), sample_of(sample)});
}

int64_t OtlpDocumentDecoder::time_or_fallback(const Json& value) const {
  if (auto t = unix_nano(value); t && *t > 0) return *t;
  return ctx_.clock_fallback_ns;
}

void OtlpDocumentDecoder::write(const Span& s) {
  ctx_.sink->put_span(s);
  ++cur_.spans;
}

OtlpDocumentStats OtlpDocumentDecoder::decode(const Json& doc, int64_t seq) {
  cur_ = {};
  seq_ = seq;
  if (!doc.is_object()) {
    problem("an OTLP document must be a JSON object", doc);
    return std::move(cur_);
  }
  bool known = false;
  if (auto it = doc.find("resourceSpans"); it != doc.end()) {
    known = true;
    decode_resource_spans(*it);
  }
  if (auto it = doc.find("resourceLogs"); it != doc.end()) {
    known = true;
    decode_resource_logs(*it);
  }
  if (doc.contains("resourceMetrics")) {
    known = true;
    ++cur_.ignored;  // metrics aggregate what the logs and spans already carry one by one
  }
  if (!known) problem("not an OTLP document: no resourceSpans, resourceLogs or resourceMetrics", doc);
  settle_waiting();  // parents that arrived in this document settle children that came earlier
  flush_sessions();
  return std::move(cur_);
}

void OtlpDocumentDecoder::decode_resource_spans(const Json& list) {
  if (!list.is_array()) return problem("resourceSpans is not an array", list);
  std::vector<Pending> spans;
  for (size_t r = 0; r < list.size(); ++r) {
    const Json& rs = list[r];
    Json resource = rs.is_object() && rs.contains("resource") && rs["resource"].is_object()
                        ? from_key_values(rs["resource"].value("attributes", Json::array()))
                        : Json::object();
    const Json* scopes = nullptr;
    if (rs.is_object())
      for (const char* key : {"scopeSpans", "instrumentationLibrarySpans"})  // the latter: OTLP before 0.15
        if (rs.contains(key)) scopes = &rs[key];
    if (!scopes || !scopes->is_array()) {
      problem(fmt::format("resourceSpans[{}]: scopeSpans is missing or not an array", r), rs);
      continue;
    }
    for (size_t s = 0; s < scopes->size(); ++s) {
      const Json& scope = (*scopes)[s];
      if (!scope.is_object() || !scope.contains("spans")) continue;  // an empty scope is valid
      const Json& list_of_spans = scope["spans"];
      if (!list_of_spans.is_array()) {
        problem(fmt::format("resourceSpans[{}].scopeSpans[{}].spans is not an array", r, s), list_of_spans);
        continue;
      }
      for (size_t i = 0; i < list_of_spans.size(); ++i) {
        auto where = fmt::format("resourceSpans[{}].scopeSpans[{}].spans[{}]", r, s, i);
        if (auto p = parse_span(list_of_spans[i], resource, where)) spans.push_back(std::move(*p));
      }
    }
  }
  settle_document(spans);
}

std::string OtlpDocumentDecoder::scoped_id(const std::string& exporter_id) const {
  if (ctx_.parent_span_id.empty() || exporter_id.empty() || exporter_id == ctx_.parent_span_id) return exporter_id;
  return derive_span_id(ctx_.parent_span_id, "otlp:" + exporter_id);
}

std::optional<OtlpDocumentDecoder::Pending> OtlpDocumentDecoder::parse_span(const Json& j,
                                                                            const Json& resource,
                                                                            const std::string& where) {
  if (!j.is_object()) return problem(where + ": a span must be an object", j), std::nullopt;
  auto trace_id = normalize_otlp_id(j.contains("traceId") ? j["traceId"] : Json(), 16);
  auto span_id = normalize_otlp_id(j.contains("spanId") ? j["spanId"] : Json(), 8);
  auto parent = normalize_otlp_id(j.contains("parentSpanId") ? j["parentSpanId"] : Json(), 8);
  if (!trace_id || trace_id->empty()) return problem(where + ": missing or invalid traceId", j), std::nullopt;
  if (!span_id || span_id->empty()) return problem(where + ": missing or invalid spanId", j), std::nullopt;
  if (!parent) return problem(where + ": invalid parentSpanId", j), std::nullopt;
  Pending p;
  Span& s = p.span;
  p.original_trace_id = *trace_id;
  p.service = string_at(resource, "service.name");
  s.trace_id = ctx_.parent_span_id.empty() ? *trace_id : ctx_.trace_id;
  s.span_id = scoped_id(*span_id);
  s.parent_span_id = scoped_id(*parent);
  s.name = j.contains("name") && j["name"].is_string() ? j["name"].get<std::string>() : "span";
  s.start_ns = time_or_fallback(j.value("startTimeUnixNano", Json()));
  s.end_ns = j.contains("endTimeUnixNano") ? time_or_fallback(j["endTimeUnixNano"]) : s.start_ns;
  if (j.contains("attributes") && !j["attributes"].is_array())
    problem(where + ": attributes is not an array", j);
  s.attributes = from_key_values(j.value("attributes", Json::array()));
  bool root = s.parent_span_id.empty();
  auto kind = explicit_kind(s.attributes, root);
  p.explicit_kind = kind.has_value();
  s.kind = kind.value_or(root ? SpanKind::session : SpanKind::tool);
  s.attributes.erase("harness.span.kind");  // ours, and now in Span::kind
  if (auto k = json_int64(j.value("kind", Json())); k && *k >= 2 && *k <= 5) {
    static constexpr const char* kNames[] = {"", "", "server", "client", "producer", "consumer"};
    s.attributes["otel.span.kind"] = kNames[*k];
  }
  if (root && !p.service.empty() && !s.attributes.contains("service.name"))
    s.attributes["service.name"] = p.service;
  if (root && !ctx_.parent_span_id.empty()) {
    s.parent_span_id = ctx_.parent_span_id;
    s.attributes["harness.otlp.trace_id"] = *trace_id;
  }
  if (s.span_id != *span_id) s.attributes["harness.otlp.span_id"] = *span_id;
  if (const Json& st = j.value("status", Json::object()); st.is_object()) {
    Json code = st.value("code", Json(0));
    if (code == 2 || code == "STATUS_CODE_ERROR") s.status = SpanStatus::error;
    if (code == 1 || code == "STATUS_CODE_OK") s.status = SpanStatus::ok;
    if (s.status == SpanStatus::error && st.contains("message") && st["message"].is_string() &&
        !st["message"].get<std::string>().empty() && !s.attributes.contains("error.message"))
      s.attributes["error.message"] = st["message"];
  }
  const Json& a = s.attributes;
  s.usage.input_tokens = first_int(a, {"gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"});
  s.usage.output_tokens = first_int(a, {"gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"});
  s.usage.cache_read_tokens =
      first_int(a, {"gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cached_tokens"});
  s.usage.cache_creation_tokens = first_int(a, {"gen_ai.usage.cache_creation.input_tokens"});
  if (auto it = a.find("harness.usage.cost_usd"); it != a.end() && it->is_number())
    s.usage.cost_usd = plausible_cost(it->get<double>());
  if (j.contains("events") && j["events"].is_array()) {
    for (const auto& ev : j["events"]) {
      if (!ev.is_object() || !ev.contains("name") || !ev["name"].is_string()) {
        problem(where + ": a span event without a string name", ev);
        continue;
      }
      put_event(s.span_id, time_or_fallback(ev.value("timeUnixNano", Json())), ev["name"],
                from_key_values(ev.value("attributes", Json::array())));
    }
  }
  return p;
}

void OtlpDocumentDecoder::put_event(const std::string& span_id, int64_t t, std::string type, Json payload) {
  Event e;
  e.span_id = span_id;
  e.seq = seq_;
  e.time_ns = t;
  e.type = std::move(type);
  e.payload = payload.is_object() ? std::move(payload) : Json{{"value", std::move(payload)}};
  ctx_.sink->put_event(e);
  ++cur_.events;
}

OtlpDocumentStats decode_otlp_document(const Json& doc, const DecodeContext& ctx, int64_t seq) {
  OtlpDocumentDecoder decoder(ctx);
  OtlpDocumentStats stats = decoder.decode(doc, seq);
  OtlpDocumentStats tail = decoder.finish();
  stats.spans += tail.spans;
  stats.events += tail.events;
  stats.sessions += tail.sessions;
  for (auto& p : tail.problems) stats.problems.push_back(std::move(p));
  return stats;
}

}  // namespace trace

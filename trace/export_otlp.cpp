// Building OTLP/HTTP JSON requests from the store, in batches; the file form. The HTTP form is in
// export_otlp_http.cpp.
#include "trace/export_otlp.h"

#include <fmt/format.h>

#include <map>
#include <unordered_map>

#include "trace/otlp_json.h"

namespace trace {
namespace {

const char* openinference_kind(SpanKind kind) {
  switch (kind) {
    case SpanKind::llm:
      return "LLM";
    case SpanKind::tool:
      return "TOOL";
    case SpanKind::session:
    case SpanKind::subagent:
    case SpanKind::agent:
      return "AGENT";
    default:
      return "CHAIN";  // run, generation, verify, observer: steps that link the others
  }
}

const char* default_operation(SpanKind kind) {
  switch (kind) {
    case SpanKind::llm:
      return "chat";
    case SpanKind::tool:
      return "execute_tool";
    case SpanKind::session:
    case SpanKind::subagent:
    case SpanKind::agent:
      return "invoke_agent";
    default:
      return nullptr;
  }
}

int otel_kind(const Json& attrs) {
  std::string k = string_at(attrs, "otel.span.kind");
  if (k == "server") return 2;
  if (k == "client") return 3;
  if (k == "producer") return 4;
  if (k == "consumer") return 5;
  return 1;  // INTERNAL
}

std::string quoted_ids(const std::vector<Span>& spans) {
  std::string out;
  for (const auto& s : spans) {
    if (!out.empty()) out += ',';
    out += '\'';
    for (char c : s.span_id) out += c == '\'' ? std::string("''") : std::string(1, c);
    out += '\'';
  }
  return out;
}

}  // namespace

Json otlp_span_json(const Span& span, const std::vector<Event>& events) {
  Json attrs = span.attributes.is_object() ? span.attributes : Json::object();
  int kind = otel_kind(attrs);
  attrs.erase("otel.span.kind");
  attrs.erase("service.name");
  attrs["openinference.span.kind"] = openinference_kind(span.kind);
  attrs["harness.span.kind"] = std::string(to_string(span.kind));
  if (const char* op = default_operation(span.kind); op && !attrs.contains("gen_ai.operation.name"))
    attrs["gen_ai.operation.name"] = op;
  const Usage& u = span.usage;
  if (span.kind == SpanKind::llm || !u.empty()) {
    attrs["gen_ai.usage.input_tokens"] = u.input_tokens;
    attrs["gen_ai.usage.output_tokens"] = u.output_tokens;
    attrs["llm.token_count.prompt"] = u.input_tokens;
    attrs["llm.token_count.completion"] = u.output_tokens;
    attrs["llm.token_count.total"] = u.input_tokens + u.output_tokens;
    if (u.cache_read_tokens) {
      attrs["gen_ai.usage.cache_read.input_tokens"] = u.cache_read_tokens;
      attrs["llm.token_count.prompt_details.cache_read"] = u.cache_read_tokens;
    }
    if (u.cache_creation_tokens) {
      attrs["gen_ai.usage.cache_creation.input_tokens"] = u.cache_creation_tokens;
      attrs["llm.token_count.prompt_details.cache_write"] = u.cache_creation_tokens;
    }
    if (u.cost_usd != 0) attrs["harness.usage.cost_usd"] = u.cost_usd;
    if (attrs.contains("gen_ai.request.model") && !attrs.contains("llm.model_name"))
      attrs["llm.model_name"] = attrs["gen_ai.request.model"];
  }
  Json j = {{"traceId", span.trace_id},
            {"spanId", span.span_id},
            {"name", span.name},
            {"kind", kind},
            {"startTimeUnixNano", std::to_string(span.start_ns)},
            // OTLP has no open spans: one still open at export ends where it started.
            {"endTimeUnixNano", std::to_string(span.end_ns ? span.end_ns : span.start_ns)},
            {"attributes", to_key_values(attrs)}};
  if (!span.parent_span_id.empty()) j["parentSpanId"] = span.parent_span_id;
  Json status = {{"code", span.status == SpanStatus::error ? 2 : span.status == SpanStatus::ok ? 1 : 0}};
  if (span.status == SpanStatus::error && span.attributes.contains("error.message") &&
      span.attributes["error.message"].is_string())
    status["message"] = span.attributes["error.message"];
  j["status"] = status;
  if (!events.empty()) {
    Json list = Json::array();
    for (const auto& e : events) {
      Json payload = e.payload.is_object() ? e.payload : Json{{"value", e.payload}};
      list.push_back({{"timeUnixNano", std::to_string(e.time_ns)},
                      {"name", e.type},
                      {"attributes", to_key_values(payload)}});
    }
    j["events"] = list;
  }
  return j;
}

Json otlp_request_json(const std::vector<Span>& spans, const std::vector<std::vector<Event>>& events) {
  std::map<std::string, Json> by_service;  // ordered: the same store gives the same bytes
  for (size_t i = 0; i < spans.size(); ++i) {
    std::string service = string_at(spans[i].attributes, "service.name", "harness");
    auto [it, fresh] = by_service.try_emplace(service, Json::array());
    it->second.push_back(otlp_span_json(spans[i], i < events.size() ? events[i] : std::vector<Event>{}));
  }
  Json resource_spans = Json::array();
  for (auto& [service, list] : by_service) {
    resource_spans.push_back(
        {{"resource", {{"attributes", to_key_values({{"service.name", service}})}}},
         {"scopeSpans",
          Json::array({{{"scope", {{"name", "harness"}, {"version", "0.1.0"}}}, {"spans", list}}})}});
  }
  return {{"resourceSpans", resource_spans}};
}

OtlpExportResult for_each_otlp_batch(Store& store, size_t batch_size,
                                     const std::function<bool(const Json&)>& emit) {
  OtlpExportResult result;
  if (batch_size == 0) batch_size = 1;
  std::vector<Span> batch;
  bool stopped = false;
  auto send = [&] {
    if (batch.empty() || stopped) return;
    std::unordered_map<std::string, size_t> index;
    for (size_t i = 0; i < batch.size(); ++i) index[batch[i].span_id] = i;
    std::vector<std::vector<Event>> events(batch.size());
    int64_t event_count = 0;
    store.for_each_event(
        [&](const Event& e) {
          events[index.at(e.span_id)].push_back(e);
          ++event_count;
        },
        fmt::format("span_id IN ({})", quoted_ids(batch)));
    if (emit(otlp_request_json(batch, events))) {  // only what was delivered counts
      result.spans += static_cast<int64_t>(batch.size());
      result.events += event_count;
      ++result.batches;
    } else {
      stopped = true;
    }
    batch.clear();
  };
  store.for_each_span([&](const Span& s) {
    if (stopped) return;
    batch.push_back(s);
    if (batch.size() >= batch_size) send();
  });
  send();
  return result;
}

OtlpExportResult export_otlp_json(Store& store, std::ostream& out, const OtlpExportOptions& options) {
  OtlpExportResult result = for_each_otlp_batch(store, options.batch_size, [&](const Json& doc) {
    out << doc.dump(-1, ' ', false, Json::error_handler_t::replace) << '\n';
    return static_cast<bool>(out);
  });
  out.flush();
  if (!out) result.error = "writing the export failed (disk full or closed output?)";
  return result;
}

}  // namespace trace

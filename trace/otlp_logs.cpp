// OtlpDocumentDecoder, logs half: resourceLogs -> events on the span a record names, or on a session span per
// (service.name, session.id); Claude Code's claude_code.* events -> llm spans, tool spans and events.
// Attribute names follow Claude Code's monitoring documentation (values arrive as strings or numbers).
#include <algorithm>

#include <fmt/format.h>

#include "trace/ids.h"
#include "trace/otlp_json.h"
#include "trace/time_parse.h"

namespace trace {
namespace {

constexpr size_t kMaxText = 8192;

std::string clip(const Json& v) {
  std::string s =
      v.is_string() ? v.get<std::string>() : v.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (s.size() > kMaxText) s = s.substr(0, kMaxText) + "…";
  return s;
}

int64_t int_attr(const Json& attrs, const char* key) {
  auto it = attrs.find(key);
  return it == attrs.end() ? 0 : json_int64(*it).value_or(0);
}

double double_attr(const Json& attrs, const char* key) {
  auto it = attrs.find(key);
  if (it == attrs.end()) return 0;
  if (it->is_number()) return it->get<double>();
  if (it->is_string()) {
    try {
      return std::stod(it->get<std::string>());
    } catch (const std::exception&) {
      return 0;
    }
  }
  return 0;
}

std::string string_attr(const Json& attrs, const char* key) {
  auto it = attrs.find(key);
  if (it == attrs.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

bool truthy(const Json& attrs, const char* key) {
  auto it = attrs.find(key);
  if (it == attrs.end()) return true;
  if (it->is_boolean()) return it->get<bool>();
  return !(it->is_string() && (*it == "false" || *it == "0"));
}

}  // namespace

void OtlpDocumentDecoder::decode_resource_logs(const Json& list) {
  if (!list.is_array()) return problem("resourceLogs is not an array", list);
  for (size_t r = 0; r < list.size(); ++r) {
    const Json& rl = list[r];
    Json resource = rl.is_object() && rl.contains("resource") && rl["resource"].is_object()
                        ? from_key_values(rl["resource"].value("attributes", Json::array()))
                        : Json::object();
    const Json* scopes = nullptr;
    if (rl.is_object())
      for (const char* key : {"scopeLogs", "instrumentationLibraryLogs"})
        if (rl.contains(key)) scopes = &rl[key];
    if (!scopes || !scopes->is_array()) {
      problem(fmt::format("resourceLogs[{}]: scopeLogs is missing or not an array", r), rl);
      continue;
    }
    for (size_t s = 0; s < scopes->size(); ++s) {
      const Json& scope = (*scopes)[s];
      if (!scope.is_object() || !scope.contains("logRecords")) continue;
      const Json& records = scope["logRecords"];
      if (!records.is_array()) {
        problem(fmt::format("resourceLogs[{}].scopeLogs[{}].logRecords is not an array", r, s), records);
        continue;
      }
      for (size_t i = 0; i < records.size(); ++i)
        decode_log(records[i], resource,
                   fmt::format("resourceLogs[{}].scopeLogs[{}].logRecords[{}]", r, s, i), i);
    }
  }
}

void OtlpDocumentDecoder::decode_log(const Json& record, const Json& resource, const std::string& where,
                                     size_t index) {
  if (!record.is_object()) return problem(where + ": a log record must be an object", record);
  Json attrs = from_key_values(record.value("attributes", Json::array()));
  Json body = record.contains("body") ? from_any_value(record["body"]) : Json();
  int64_t t = 0;
  if (auto v = unix_nano(record.value("timeUnixNano", Json())); v && *v > 0)
    t = *v;
  else if (auto o = unix_nano(record.value("observedTimeUnixNano", Json())); o && *o > 0)
    t = *o;
  else if (auto e = attrs.find("event.timestamp"); e != attrs.end())
    t = json_time_ns(*e).value_or(ctx_.clock_fallback_ns);
  else
    t = ctx_.clock_fallback_ns;

  // Claude Code names the event in the body ("claude_code.api_request") and in event.name ("api_request").
  std::string name = string_at(record, "eventName");
  if (name.empty() && body.is_string() && body.get<std::string>().starts_with("claude_code."))
    name = body.get<std::string>();
  if (name.empty()) name = string_attr(attrs, "event.name");

  auto span_id = normalize_otlp_id(record.value("spanId", Json()), 8);
  if (!span_id) return problem(where + ": invalid spanId", record);
  Json payload = attrs;
  if (!body.is_null() && !(body.is_string() && body == name)) payload.emplace("body", body);
  if (record.contains("severityText")) payload.emplace("severity", record["severityText"]);
  if (record.contains("severityNumber")) payload.emplace("severity_number", record["severityNumber"]);
  bool claude_code = name.starts_with("claude_code.");
  if (!span_id->empty() && !claude_code) return put_event(scoped_id(*span_id), t, name.empty() ? "log" : name, payload);

  std::string service = string_at(resource, "service.name");
  std::string session_key = string_attr(attrs, "session.id");
  if (session_key.empty()) session_key = string_attr(resource, "session.id");
  SessionSeed seed{
      ctx_.trace_id.empty() ? derive_trace_id(ctx_.scope + service + session_key) : ctx_.trace_id,
      service.empty() ? (ctx_.label.empty() ? "otlp" : ctx_.label) : service, resource};
  if (!session_key.empty()) seed.attributes["session.id"] = session_key;
  std::string key = "log:" + service + ":" + session_key;
  Span& session = session_for(key, seed, t, t);
  std::string record_key = attrs.contains("event.sequence") ? string_attr(attrs, "event.sequence")
                                                            : fmt::format("{}:{}:{}", seq_, index, t);
  if (claude_code && decode_claude_code(name, attrs, t, key, session_key + ":" + record_key)) return;
  put_event(session.span_id, t, name.empty() ? "log" : name, payload);
}

bool OtlpDocumentDecoder::decode_claude_code(const std::string& name, const Json& attrs, int64_t t,
                                             const std::string& session_key, const std::string& record_key) {
  Span& session = sessions_.at(session_key);
  auto child = [&](SpanKind kind, std::string span_name) {
    Span s;
    s.trace_id = session.trace_id;
    s.span_id = derive_span_id(ctx_.scope, "claude_code:" + record_key);
    s.parent_span_id = session.span_id;
    s.session_id = session.span_id;
    s.kind = kind;
    s.name = std::move(span_name);
    s.end_ns = t;  // the record is written when the call ends; duration_ms reaches back to its start
    // Clamped so that a nonsense duration cannot overflow the subtraction: ten days at most.
    s.start_ns = t - std::clamp<int64_t>(int_attr(attrs, "duration_ms"), 0, 864000000) * 1000000;
    s.attributes = attrs;
    return s;
  };
  if (name == "claude_code.api_request") {
    std::string model = string_attr(attrs, "model");
    Span s = child(SpanKind::llm, model.empty() ? "chat" : "chat " + model);
    s.status = SpanStatus::ok;
    s.usage = {int_attr(attrs, "input_tokens"), int_attr(attrs, "output_tokens"),
               int_attr(attrs, "cache_read_tokens"), int_attr(attrs, "cache_creation_tokens"),
               double_attr(attrs, "cost_usd")};
    s.attributes["gen_ai.operation.name"] = "chat";
    s.attributes["gen_ai.request.model"] = model;
    s.attributes["gen_ai.usage.input_tokens"] = s.usage.input_tokens;
    s.attributes["gen_ai.usage.output_tokens"] = s.usage.output_tokens;
    s.attributes["gen_ai.usage.cache_read.input_tokens"] = s.usage.cache_read_tokens;
    s.attributes["gen_ai.usage.cache_creation.input_tokens"] = s.usage.cache_creation_tokens;
    s.attributes["harness.usage.cost_usd"] = s.usage.cost_usd;
    session_for(session_key, {}, s.start_ns, s.end_ns);
    write(s);
    return true;
  }
  if (name == "claude_code.tool_result") {
    std::string tool = string_attr(attrs, "tool_name");
    Span s = child(SpanKind::tool, tool.empty() ? "tool" : tool);
    bool ok = truthy(attrs, "success");
    s.status = ok ? SpanStatus::ok : SpanStatus::error;
    s.attributes["gen_ai.operation.name"] = "execute_tool";
    s.attributes["gen_ai.tool.name"] = s.name;
    if (attrs.contains("tool_parameters"))
      s.attributes["gen_ai.tool.call.arguments"] = clip(attrs["tool_parameters"]);
    std::string error = string_attr(attrs, "error");
    if (!error.empty()) s.attributes["error.message"] = clip(error);
    session_for(session_key, {}, s.start_ns, s.end_ns);
    write(s);
    put_event(s.span_id, s.start_ns, "tool.call.started", {{"tool", s.name}});
    Json done = {{"tool", s.name}};
    if (!error.empty()) done["error"] = clip(error);
    put_event(s.span_id, t, ok ? "tool.call.completed" : "tool.call.failed", done);
    return true;
  }
  if (name == "claude_code.api_error") {
    Json payload = {{"message", clip(string_attr(attrs, "error"))}, {"source", name}};
    for (const char* k : {"model", "status_code", "attempt", "duration_ms"})
      if (attrs.contains(k)) payload[k] = attrs[k];
    put_event(session.span_id, t, "error", payload);
    return true;
  }
  if (name == "claude_code.tool_decision") {
    put_event(session.span_id, t, "tool.decision",
              {{"tool", string_attr(attrs, "tool_name")},
               {"decision", string_attr(attrs, "decision")},
               {"source", string_attr(attrs, "source")}});
    return true;
  }
  if (name == "claude_code.user_prompt") {
    Json payload = {{"role", "user"}, {"text", clip(string_attr(attrs, "prompt"))}};
    if (attrs.contains("prompt_length")) payload["prompt_length"] = int_attr(attrs, "prompt_length");
    put_event(session.span_id, t, "message", payload);
    return true;
  }
  return false;  // other claude_code.* events are kept as events of their own name
}

}  // namespace trace

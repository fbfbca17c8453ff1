#include "telemetry/llm_call.h"

#include <fmt/format.h>

#include "trace/otlp_json.h"
#include "trace/redact.h"
#include "trace/json_parse.h"

namespace telemetry {
namespace {

constexpr size_t kTextKept = 8u << 10;        // response text stored on the span
constexpr size_t kArgumentsKept = 2u << 10;   // per tool call
constexpr size_t kJsonBodyKept = 8u << 20;    // a non-streamed body is parsed when it is at most this big
constexpr size_t kErrorKept = 2u << 10;

using trace::Json;
using trace::string_at;

const Json& at(const Json& j, const char* key) {
  static const Json null;
  if (!j.is_object()) return null;
  auto it = j.find(key);
  return it == j.end() ? null : *it;
}

int64_t int_at(const Json& j, const char* key) { return trace::json_int64(at(j, key)).value_or(0); }
bool has_int(const Json& j, const char* key) { return trace::json_int64(at(j, key)).has_value(); }

std::string clip(std::string s, size_t n) {
  if (s.size() > n) {
    s.resize(n);
    s += "…";
  }
  return s;
}

// An Anthropic usage object; message_delta repeats only what changed, so absent fields keep their values.
void read_anthropic_usage(const Json& u, trace::Usage& usage) {
  if (has_int(u, "input_tokens")) usage.input_tokens = int_at(u, "input_tokens");
  if (has_int(u, "output_tokens")) usage.output_tokens = int_at(u, "output_tokens");
  if (has_int(u, "cache_read_input_tokens")) usage.cache_read_tokens = int_at(u, "cache_read_input_tokens");
  if (has_int(u, "cache_creation_input_tokens"))
    usage.cache_creation_tokens = int_at(u, "cache_creation_input_tokens");
}

// OpenAI counts cached tokens inside input_tokens; the store's columns are disjoint (docs/agents.md), as the
// Codex decoder keeps them: input is what was not read from the cache, Anthropic's meaning.
void read_openai_usage(const Json& u, trace::Usage& usage) {
  if (!u.is_object()) return;
  int64_t input = has_int(u, "input_tokens") ? int_at(u, "input_tokens") : int_at(u, "prompt_tokens");
  usage.output_tokens = has_int(u, "output_tokens") ? int_at(u, "output_tokens") : int_at(u, "completion_tokens");
  const Json& details = at(u, "input_tokens_details").is_object() ? at(u, "input_tokens_details")
                                                                   : at(u, "prompt_tokens_details");
  usage.cache_read_tokens = int_at(details, "cached_tokens");
  usage.input_tokens = std::max<int64_t>(0, input - usage.cache_read_tokens);
}

}  // namespace

LlmCallRecorder::LlmCallRecorder(std::string provider, std::string path, std::string_view request_body)
    : provider_(std::move(provider)), path_(std::move(path)), sse_([this](const SseEvent& e) { on_event(e); }) {
  request_bytes_ = static_cast<int64_t>(request_body.size());
  Json req = trace::parse_untrusted_json(request_body);
  request_model_ = string_at(req, "model");
  request_stream_ = at(req, "stream").is_boolean() && at(req, "stream").get<bool>();
}

void LlmCallRecorder::on_response_start(int status, const std::string& content_type, int64_t first_byte_ns) {
  status_ = status;
  first_byte_ns_ = first_byte_ns;
  is_sse_ = content_type.find("text/event-stream") != std::string::npos;
}

void LlmCallRecorder::feed(std::string_view bytes) {
  response_bytes_ += static_cast<int64_t>(bytes.size());
  if (is_sse_) return sse_.feed(bytes);
  if (body_.size() + bytes.size() <= kJsonBodyKept) body_.append(bytes);
}

void LlmCallRecorder::finish(int64_t end_ns, const std::string& failure) {
  if (finished_) return;
  finished_ = true;
  end_ns_ = end_ns;
  failure_ = failure;
  if (is_sse_) {
    sse_.finish();
  } else if (!body_.empty()) {
    Json j = trace::parse_untrusted_json(body_);
    if (!j.is_discarded()) on_json_body(j);
    if (status_ >= 400 && error_message_.empty()) error_message_ = clip(body_, kErrorKept);
  }
  body_.clear();
  body_.shrink_to_fit();
}

void LlmCallRecorder::add_text(std::string_view t) {
  if (text_.size() + t.size() <= kTextKept) {
    text_.append(t);
    return;
  }
  text_.append(t.substr(0, kTextKept - text_.size()));
  text_clipped_ = true;
}

void LlmCallRecorder::on_event(const SseEvent& e) {
  if (e.data == "[DONE]") return;  // Chat Completions' end marker
  Json j = trace::parse_untrusted_json(e.data);
  if (!j.is_object()) {
    ++bad_events_;
    return;
  }
  if (provider_ == "anthropic")
    on_anthropic(j);
  else
    on_openai(j);
}

void LlmCallRecorder::on_anthropic(const Json& j) {
  std::string type = string_at(j, "type");
  int64_t index = int_at(j, "index");
  if (type == "message_start") {
    const Json& m = at(j, "message");
    response_model_ = string_at(m, "model", response_model_);
    response_id_ = string_at(m, "id", response_id_);
    read_anthropic_usage(at(m, "usage"), usage_);
  } else if (type == "content_block_start") {
    const Json& b = at(j, "content_block");
    if (string_at(b, "type") == "tool_use")
      tool_calls_[index] = {{"id", string_at(b, "id")}, {"name", string_at(b, "name")}, {"arguments", ""}};
    else if (string_at(b, "type") == "text")
      add_text(string_at(b, "text"));
  } else if (type == "content_block_delta") {
    const Json& d = at(j, "delta");
    std::string dt = string_at(d, "type");
    if (dt == "text_delta") {
      add_text(string_at(d, "text"));
    } else if (dt == "input_json_delta" && tool_calls_.count(index)) {
      auto& args = tool_calls_[index]["arguments"].get_ref<std::string&>();
      if (args.size() < kArgumentsKept) args += string_at(d, "partial_json");
    }
  } else if (type == "message_delta") {
    stop_reason_ = string_at(at(j, "delta"), "stop_reason", stop_reason_);
    read_anthropic_usage(at(j, "usage"), usage_);
  } else if (type == "error") {
    error_message_ = clip(string_at(at(j, "error"), "message", at(j, "error").dump()), kErrorKept);
  }
}

void LlmCallRecorder::on_openai(const Json& j) {
  std::string type = string_at(j, "type");
  if (type.empty() && string_at(j, "object") == "chat.completion.chunk") {
    response_model_ = string_at(j, "model", response_model_);
    const Json& choices = at(j, "choices");
    if (choices.is_array() && !choices.empty()) {
      add_text(string_at(at(choices[0], "delta"), "content"));
      stop_reason_ = string_at(choices[0], "finish_reason", stop_reason_);
    }
    if (at(j, "usage").is_object()) read_openai_usage(at(j, "usage"), usage_);
    return;
  }
  if (type == "response.created" || type == "response.in_progress" || type == "response.completed" ||
      type == "response.incomplete" || type == "response.failed") {
    const Json& r = at(j, "response");
    response_model_ = string_at(r, "model", response_model_);
    response_id_ = string_at(r, "id", response_id_);
    if (at(r, "usage").is_object()) read_openai_usage(at(r, "usage"), usage_);
    if (type != "response.created" && type != "response.in_progress") stop_reason_ = string_at(r, "status");
    if (type == "response.failed")
      error_message_ = clip(string_at(at(r, "error"), "message", at(r, "error").dump()), kErrorKept);
  } else if (type == "response.output_text.delta") {
    add_text(string_at(j, "delta"));
  } else if (type == "response.output_item.done") {
    const Json& item = at(j, "item");
    std::string it = string_at(item, "type");
    if (it == "function_call" || it == "custom_tool_call") {
      std::string args = string_at(item, it == "function_call" ? "arguments" : "input");
      tool_calls_[int_at(j, "output_index")] = {
          {"id", string_at(item, "call_id")}, {"name", string_at(item, "name")},
          {"arguments", clip(args, kArgumentsKept)}};
    }
  } else if (type == "error") {
    error_message_ = clip(string_at(j, "message", j.dump()), kErrorKept);
  }
}

// A non-streamed response: an Anthropic message, an OpenAI response or chat completion, or an error object.
void LlmCallRecorder::on_json_body(const Json& j) {
  if (!j.is_object()) return;
  if (at(j, "error").is_object()) {
    error_message_ = clip(string_at(at(j, "error"), "message", at(j, "error").dump()), kErrorKept);
    return;
  }
  response_model_ = string_at(j, "model");
  response_id_ = string_at(j, "id");
  if (provider_ == "anthropic") {
    read_anthropic_usage(at(j, "usage"), usage_);
    stop_reason_ = string_at(j, "stop_reason");
    const Json& content = at(j, "content");
    if (!content.is_array()) return;
    for (size_t i = 0; i < content.size(); ++i) {
      const Json& b = content[i];
      if (string_at(b, "type") == "text") add_text(string_at(b, "text"));
      if (string_at(b, "type") == "tool_use")
        tool_calls_[static_cast<int64_t>(i)] = {{"id", string_at(b, "id")}, {"name", string_at(b, "name")},
                                                {"arguments", clip(at(b, "input").dump(), kArgumentsKept)}};
    }
    return;
  }
  read_openai_usage(at(j, "usage"), usage_);
  stop_reason_ = string_at(j, "status");
  const Json& output = at(j, "output");
  if (!output.is_array()) return;
  for (size_t i = 0; i < output.size(); ++i) {
    const Json& item = output[i];
    std::string it = string_at(item, "type");
    if (it == "message" && at(item, "content").is_array()) {
      for (const auto& c : at(item, "content"))
        if (string_at(c, "type") == "output_text") add_text(string_at(c, "text"));
    } else if (it == "function_call") {
      tool_calls_[static_cast<int64_t>(i)] = {{"id", string_at(item, "call_id")}, {"name", string_at(item, "name")},
                                              {"arguments", clip(string_at(item, "arguments"), kArgumentsKept)}};
    }
  }
}

trace::Span LlmCallRecorder::span(const std::string& trace_id, const std::string& span_id,
                                  const std::string& parent_span_id, int64_t start_ns) const {
  trace::Span s;
  s.trace_id = trace_id;
  s.span_id = span_id;
  s.parent_span_id = parent_span_id;
  s.session_id = "";  // under the agent span, beside (not inside) the sessions the agent's own output makes
  s.kind = trace::SpanKind::llm;
  std::string model = !request_model_.empty() ? request_model_ : response_model_;
  s.name = model.empty() ? "chat" : "chat " + model;
  s.start_ns = start_ns;
  s.end_ns = finished_ ? end_ns_ : 0;
  s.usage = usage_;
  Json& a = s.attributes;
  a["gen_ai.operation.name"] = "chat";
  a["gen_ai.system"] = provider_;
  a["harness.source"] = "proxy";
  a["url.path"] = trace::redacted(path_);
  if (!request_model_.empty()) a["gen_ai.request.model"] = request_model_;
  if (!response_model_.empty()) a["gen_ai.response.model"] = response_model_;
  if (!response_id_.empty()) a["gen_ai.response.id"] = response_id_;
  a["harness.proxy.request_bytes"] = request_bytes_;
  a["harness.proxy.stream"] = request_stream_;
  if (status_) a["http.response.status_code"] = status_;
  if (!finished_) return s;
  a["harness.proxy.response_bytes"] = response_bytes_;
  a["harness.proxy.latency_ms"] = static_cast<double>(end_ns_ - start_ns) / 1e6;
  if (first_byte_ns_) a["harness.proxy.first_byte_ms"] = static_cast<double>(first_byte_ns_ - start_ns) / 1e6;
  if (is_sse_) a["harness.proxy.sse_events"] = sse_.events();
  if (bad_events_) a["harness.proxy.unparsed_events"] = bad_events_;
  if (!text_.empty()) a["gen_ai.response.text"] = trace::redacted(text_) + (text_clipped_ ? "…" : "");
  if (!tool_calls_.empty()) {
    Json calls = Json::array();
    for (const auto& [index, call] : tool_calls_) {
      Json c = call;
      c["arguments"] = trace::redacted(clip(c["arguments"].get<std::string>(), kArgumentsKept));
      calls.push_back(std::move(c));
    }
    a["gen_ai.response.tool_calls"] = std::move(calls);
  }
  if (!stop_reason_.empty()) a["gen_ai.response.finish_reasons"] = Json::array({stop_reason_});
  if (!usage_.empty()) {
    a["gen_ai.usage.input_tokens"] = usage_.input_tokens;
    a["gen_ai.usage.output_tokens"] = usage_.output_tokens;
    a["gen_ai.usage.cache_read.input_tokens"] = usage_.cache_read_tokens;
    a["gen_ai.usage.cache_creation.input_tokens"] = usage_.cache_creation_tokens;
  }
  std::string error = !failure_.empty() ? failure_ : error_message_;
  if (!failure_.empty() && !error_message_.empty()) error += "; " + error_message_;
  bool failed = !failure_.empty() || status_ >= 400 || !error_message_.empty();
  s.status = failed ? trace::SpanStatus::error : trace::SpanStatus::ok;
  if (!error.empty()) a["error.message"] = trace::redacted(error);
  if (failed && error.empty()) a["error.message"] = fmt::format("upstream answered HTTP {}", status_);
  return s;
}

}  // namespace telemetry

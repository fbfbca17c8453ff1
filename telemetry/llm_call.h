// One LLM API call seen by the proxy, turned into an llm span: the request (model, size; never its headers), the
// response read as it passes (SSE events of Anthropic Messages, OpenAI Responses and Chat Completions, or a JSON
// body), usage exactly as the API stated it, text and tool calls (clipped, redacted), latency and status.
// Not thread-safe: one recorder per call, fed by the thread that writes the response to the agent.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "telemetry/sse_parser.h"
#include "trace/model.h"

namespace telemetry {

class LlmCallRecorder {
 public:
  // `provider`: "anthropic" or "openai"; `path` the forwarded path (/v1/messages); the body is read for its model.
  LlmCallRecorder(std::string provider, std::string path, std::string_view request_body);

  void on_response_start(int status, const std::string& content_type, int64_t first_byte_ns);
  // Response body bytes, in the order they reach the agent.
  void feed(std::string_view bytes);
  // How the call ended: ok, or why not ("upstream unreachable: ...", "client disconnected mid-stream").
  void finish(int64_t end_ns, const std::string& failure = "");

  // The span, parented under the agent; call after finish() (or any time, for an open span).
  trace::Span span(const std::string& trace_id, const std::string& span_id, const std::string& parent_span_id,
                   int64_t start_ns) const;

  const trace::Usage& usage() const { return usage_; }
  const std::string& text() const { return text_; }
  const std::string& request_model() const { return request_model_; }
  // The model that served the call (the response's), else the one asked for: what the call is priced as.
  const std::string& model() const { return response_model_.empty() ? request_model_ : response_model_; }
  int status() const { return status_; }
  int64_t response_bytes() const { return response_bytes_; }

 private:
  void on_event(const SseEvent& e);
  void on_anthropic(const trace::Json& j);
  void on_openai(const trace::Json& j);
  void on_json_body(const trace::Json& j);
  void add_text(std::string_view t);

  std::string provider_, path_;
  std::string request_model_, response_model_;
  bool request_stream_ = false;
  int64_t request_bytes_ = 0;
  int status_ = 0;
  bool is_sse_ = false;
  SseParser sse_;
  std::string body_;  // a non-SSE body, kept (bounded) until finish() parses it
  int64_t response_bytes_ = 0;
  int64_t first_byte_ns_ = 0, end_ns_ = 0;
  trace::Usage usage_;
  std::string text_;
  bool text_clipped_ = false;
  std::map<int64_t, trace::Json> tool_calls_;  // by content block index / output index, in order
  std::string stop_reason_, error_message_, failure_, response_id_;
  int64_t bad_events_ = 0;
  bool finished_ = false;
};

}  // namespace telemetry

// The generic JSONL trace protocol (docs/trace-protocol.md): what any agent or wrapper prints to be traced.
#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

#include "trace/decoders.h"
#include "trace/ids.h"
#include "trace/json_text.h"
#include "trace/time_parse.h"
#include "trace/json_parse.h"

namespace trace {
namespace {

constexpr size_t kMaxText = 8192;  // bounded copies of messages and tool output kept in attributes/events

std::string clip(const Json& v) {
  std::string s = v.is_string() ? v.get<std::string>() : json_text(v);
  if (s.size() > kMaxText) s = s.substr(0, kMaxText) + "…";
  return s;
}

// Fields of untrusted lines: a field of the wrong type reads as absent, never throws.
std::string str(const Json& j, const char* key, const std::string& fallback = "") {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

double real(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}

// Counts (tokens, durations): non-negative, clamped so that arithmetic on them cannot overflow.
int64_t num(const Json& j, const char* key) {
  constexpr int64_t kMax = int64_t{1} << 40;
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return 0;
  if (it->is_number_float()) {
    double v = it->get<double>();
    return v != v || v < 0 ? 0 : v > double(kMax) ? kMax : static_cast<int64_t>(v);
  }
  if (it->is_number_unsigned()) return static_cast<int64_t>(std::min<uint64_t>(it->get<uint64_t>(), kMax));
  return std::clamp<int64_t>(it->get<int64_t>(), 0, kMax);
}

class JsonlDecoder : public Decoder {
 public:
  using Decoder::Decoder;

  void feed(std::string_view line, int64_t line_no) override {
    ++stats_.lines;
    if (json_nesting_depth(line) > kMaxJsonDepth)
      return decode_error(line_no, fmt::format("JSON nests deeper than {} levels", kMaxJsonDepth), line);
    Json j = trace::parse_untrusted_json(line);
    if (j.is_discarded() || !j.is_object()) return decode_error(line_no, "not a JSON object", line);
    auto type_it = j.find("type");
    if (type_it == j.end() || !type_it->is_string()) return decode_error(line_no, "missing string field 'type'", line);
    const std::string type = *type_it;
    auto session_it = j.find("session");
    std::string session = session_it != j.end() && session_it->is_string() ? session_it->get<std::string>() : "main";
    int64_t t = now_ns();
    if (auto it = j.find("ts"); it != j.end()) {
      if (auto parsed = json_time_ns(*it)) t = *parsed;
    }
    line_ = line_no;
    current_line_ = line;
    if (type == "session.start") {
      session_start(j, session, t);
      ++stats_.decoded;  // every line is decoded, ignored or an error: the counts add up to `lines`
      return;
    }
    Span* s = session_span(session, t);
    if (type == "session.end") {
      s->end_ns = t;
      s->status = str(j, "status", "ok") == "error" ? SpanStatus::error : SpanStatus::ok;
      if (j.contains("exit_code")) s->attributes["process.exit.code"] = j["exit_code"];
      if (j.contains("reason")) s->attributes["harness.end_reason"] = clip(j["reason"]);
      emit_span(*s);
      event(s->span_id, t, "session.ended", {{"status", to_string(s->status)}});
    } else if (type == "llm.call") {
      llm_call(j, *s, t);
    } else if (type == "tool.start") {
      tool_start(j, *s, t);
    } else if (type == "tool.end") {
      tool_end(j, *s, t);
    } else if (type == "subagent.spawn") {
      std::string tool_key = session + ":" + str(j, "id");
      auto it = tools_.find(tool_key);
      std::string on = it != tools_.end() ? it->second.span_id : s->span_id;
      event(on, t, "subagent.spawned", {{"child_session", str(j, "child_session", "")}, {"name", str(j, "name", "")}});
    } else if (type == "file.read" || type == "file.write") {
      if (!j.contains("path") || !j["path"].is_string()) return decode_error(line_no, "missing string field 'path'", line);
      std::string on = s->span_id;
      if (auto it = tools_.find(session + ":" + str(j, "tool")); it != tools_.end()) on = it->second.span_id;
      event(on, t, type, {{"path", j["path"]}, {"session", s->span_id}});
    } else if (type == "message") {
      event(s->span_id, t, "message", {{"role", str(j, "role", "assistant")}, {"text", clip(str(j, "text", ""))}});
    } else if (type == "error") {
      Json payload = {{"message", clip(str(j, "message", ""))}};
      if (j.contains("kind")) payload["kind"] = j["kind"];
      event(s->span_id, t, "error", payload);
    } else {
      return decode_error(line_no, fmt::format("unknown type '{}'", type), line);
    }
    ++stats_.decoded;
  }

  void finish() override {
    for (auto& [key, tool] : tools_) close_unfinished(tool);
    for (auto& [key, s] : sessions_)
      if (s.end_ns == 0) close_unfinished(s);
    tools_.clear();
  }

 private:
  void close_unfinished(Span& s) {
    s.end_ns = std::max(s.start_ns, last_time_);
    s.attributes["harness.unfinished"] = true;
    emit_span(s);
  }

  void event(const std::string& span_id, int64_t t, std::string type, Json payload) {
    last_time_ = std::max(last_time_, t);
    Event e;
    e.span_id = span_id;
    e.seq = line_;
    e.time_ns = t;
    e.type = std::move(type);
    e.payload = std::move(payload);
    emit_event(std::move(e));
  }

  Span* session_span(const std::string& session, int64_t t) {
    auto it = sessions_.find(session);
    if (it != sessions_.end()) return &it->second;
    // A line for a session that never started: make the session so nothing is dropped.
    Json start = {{"session", session}};
    session_start(start, session, t);
    return &sessions_.at(session);
  }

  void session_start(const Json& j, const std::string& session, int64_t t) {
    Span s;
    s.trace_id = ctx_.trace_id;
    s.span_id = derive_span_id(ctx_.scope, "session:" + session);
    s.session_id = s.span_id;
    s.start_ns = t;
    s.parent_span_id = ctx_.parent_span_id;
    s.kind = SpanKind::session;
    std::string parent_tool = str(j, "parent_tool", "");
    std::string parent_session = str(j, "parent_session", "");
    if (!parent_tool.empty() || !parent_session.empty()) {
      s.kind = SpanKind::subagent;
      auto tool = tools_.find(parent_session + ":" + parent_tool);
      if (tool == tools_.end() && parent_session.empty()) {
        for (auto& [key, span] : tools_)
          if (key.size() > parent_tool.size() && key.ends_with(":" + parent_tool)) tool = tools_.find(key);
      }
      if (tool != tools_.end()) {
        s.parent_span_id = tool->second.span_id;
      } else if (auto ps = sessions_.find(parent_session); ps != sessions_.end()) {
        s.parent_span_id = ps->second.span_id;
      }
    }
    s.name = str(j, "name", str(j, "agent", session));
    if (!ctx_.label.empty()) s.attributes["harness.agent"] = ctx_.label;
    s.attributes["session.id"] = session;
    if (j.contains("model")) s.attributes["gen_ai.request.model"] = j["model"];
    if (j.contains("goal")) s.attributes["harness.goal"] = clip(j["goal"]);
    if (j.contains("strategy")) s.attributes["harness.strategy"] = j["strategy"];
    sessions_[session] = s;
    if (error_span_id_.empty()) error_span_id_ = s.span_id;
    ++stats_.sessions;
    emit_span(s);
    event(s.span_id, t, "session.started", {{"session", session}});
  }

  void llm_call(const Json& j, const Span& session, int64_t t) {
    Span s;
    s.trace_id = ctx_.trace_id;
    s.span_id = derive_span_id(ctx_.scope, fmt::format("llm:{}:{}", session.attributes.value("session.id", ""),
                                                       j.contains("id") ? clip(j["id"]) : std::to_string(line_)));
    s.parent_span_id = session.span_id;
    s.session_id = session.span_id;
    s.kind = SpanKind::llm;
    std::string model = str(j, "model", "");
    s.name = model.empty() ? "llm" : "chat " + model;
    int64_t dur = num(j, "duration_ms") * 1000000;
    s.start_ns = t - dur;
    s.end_ns = t;
    s.status = str(j, "status", "ok") == "error" ? SpanStatus::error : SpanStatus::ok;
    s.usage = {num(j, "input_tokens"), num(j, "output_tokens"), num(j, "cache_read_tokens"),
               num(j, "cache_creation_tokens"), plausible_cost(real(j, "cost_usd"))};
    if (s.usage.cost_usd != real(j, "cost_usd"))
      decode_error(line_, fmt::format("cost_usd {} is not a dollar figure (expected 0 to {:.0f}): not counted",
                                      real(j, "cost_usd"), kMaxCostPerRecordUsd),
                   current_line_);
    s.attributes = {{"gen_ai.operation.name", "chat"},
                    {"gen_ai.request.model", model},
                    {"gen_ai.usage.input_tokens", s.usage.input_tokens},
                    {"gen_ai.usage.output_tokens", s.usage.output_tokens}};
    if (j.contains("text")) s.attributes["gen_ai.output.text"] = clip(j["text"]);
    last_time_ = std::max(last_time_, t);
    emit_span(s);
  }

  void tool_start(const Json& j, const Span& session, int64_t t) {
    std::string id = j.contains("id") ? clip(j["id"]) : std::to_string(line_);
    Span s;
    s.trace_id = ctx_.trace_id;
    s.span_id = derive_span_id(ctx_.scope, "tool:" + session.attributes.value("session.id", "") + ":" + id);
    s.parent_span_id = session.span_id;
    s.session_id = session.span_id;
    s.kind = SpanKind::tool;
    s.name = str(j, "tool", "tool");
    s.start_ns = t;
    s.attributes = {{"gen_ai.operation.name", "execute_tool"}, {"gen_ai.tool.name", s.name}, {"gen_ai.tool.call.id", id}};
    if (j.contains("input")) s.attributes["gen_ai.tool.call.arguments"] = clip(j["input"]);
    tools_[session.attributes.value("session.id", "") + ":" + id] = s;
    emit_span(s);
    event(s.span_id, t, "tool.call.started", {{"tool", s.name}, {"input", s.attributes.value("gen_ai.tool.call.arguments", "")}});
  }

  void tool_end(const Json& j, const Span& session, int64_t t) {
    std::string key = session.attributes.value("session.id", "") + ":" + (j.contains("id") ? clip(j["id"]) : "");
    auto it = tools_.find(key);
    if (it == tools_.end()) {
      // An end without a start: make a zero-length span so the result is not lost.
      tool_start(j, session, t);
      it = tools_.find(key);
      if (it == tools_.end()) return;
    }
    Span& s = it->second;
    s.end_ns = t;
    bool error = str(j, "status", "ok") == "error";
    s.status = error ? SpanStatus::error : SpanStatus::ok;
    Json payload = {{"tool", s.name}};
    if (j.contains("output")) payload["output"] = s.attributes["gen_ai.tool.call.result"] = clip(j["output"]);
    if (j.contains("error")) payload["error"] = s.attributes["error.message"] = clip(j["error"]);
    if (j.contains("exit_code")) payload["exit_code"] = s.attributes["process.exit.code"] = j["exit_code"];
    emit_span(s);
    event(s.span_id, t, error ? "tool.call.failed" : "tool.call.completed", payload);
    tools_.erase(it);
  }

  std::unordered_map<std::string, Span> sessions_;
  std::unordered_map<std::string, Span> tools_;  // open tool calls only: memory stays bounded
  int64_t line_ = 0;
  std::string_view current_line_;  // valid during feed()
  int64_t last_time_ = 0;
};

}  // namespace

std::unique_ptr<Decoder> make_jsonl_decoder(DecodeContext ctx) { return std::make_unique<JsonlDecoder>(std::move(ctx)); }

}  // namespace trace

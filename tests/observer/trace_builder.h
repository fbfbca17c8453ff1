// Test helper: writes a small agent trace (agent > session > tool/llm spans and events) into a run store the way
// the decoders and the harness do, so the observer's rules read realistic input. Not thread-safe.
#pragma once

#include <string>

#include "trace/ids.h"
#include "trace/store.h"

namespace observer_test {

class TraceBuilder {
 public:
  explicit TraceBuilder(trace::Store& store) : store_(store) {}

  // An agent span (kind agent) with one session below it; returns the agent span id.
  std::string agent(const std::string& agent_id) {
    trace::Span a = span(trace::SpanKind::agent, agent_id, "", "agent:" + agent_id);
    a.attributes["harness.agent"] = agent_id;
    store_.put_span(a);
    trace::Span s = span(trace::SpanKind::session, "session", a.span_id, "session:" + agent_id);
    s.session_id = s.span_id;
    store_.put_span(s);
    session_ = s.span_id;
    agent_span_ = a.span_id;
    return a.span_id;
  }
  const std::string& session() const { return session_; }
  const std::string& agent_span() const { return agent_span_; }

  // A tool call with its started and completed/failed events; returns the failed/completed event id.
  int64_t tool(const std::string& name, const std::string& arguments, bool failed = false,
               const std::string& error = "", const std::string& exit_code = "") {
    trace::Span t = span(trace::SpanKind::tool, name, session_, "tool:" + std::to_string(++n_));
    t.session_id = session_;
    t.attributes = {{"gen_ai.tool.name", name}, {"gen_ai.tool.call.arguments", arguments}};
    t.status = failed ? trace::SpanStatus::error : trace::SpanStatus::ok;
    if (failed) t.attributes["error.message"] = error;
    if (!exit_code.empty()) t.attributes["process.exit.code"] = std::stoi(exit_code);
    store_.put_span(t);
    last_tool_ = t.span_id;
    event(t.span_id, "tool.call.started", {{"tool", name}, {"input", arguments}});
    trace::Json payload = {{"tool", name}};
    if (failed) payload["error"] = error;
    return event(t.span_id, failed ? "tool.call.failed" : "tool.call.completed", payload);
  }
  const std::string& last_tool() const { return last_tool_; }

  int64_t file(const std::string& type, const std::string& path) {
    return event(last_tool_.empty() ? session_ : last_tool_, type, {{"path", path}, {"session", session_}});
  }
  int64_t message(const std::string& text, const std::string& role = "assistant") {
    return event(session_, "message", {{"role", role}, {"text", text}});
  }
  std::string llm(int64_t input_tokens, int64_t output_tokens) {
    trace::Span l = span(trace::SpanKind::llm, "chat test-model", session_, "llm:" + std::to_string(++n_));
    l.session_id = session_;
    l.usage.input_tokens = input_tokens;
    l.usage.output_tokens = output_tokens;
    store_.put_span(l);
    return l.span_id;
  }
  std::string verify(bool passed) {
    trace::Span v = span(trace::SpanKind::verify, "verify", agent_span_, "verify:" + std::to_string(++n_));
    v.status = passed ? trace::SpanStatus::ok : trace::SpanStatus::error;
    store_.put_span(v);
    event(v.span_id, passed ? "verify.passed" : "verify.failed", {{"repeat", 1}});
    return v.span_id;
  }
  int64_t event(const std::string& span_id, const std::string& type, trace::Json payload) {
    trace::Event e;
    e.span_id = span_id;
    e.time_ns = ++clock_;
    e.type = type;
    e.payload = std::move(payload);
    return store_.put_event(e);
  }

 private:
  trace::Span span(trace::SpanKind kind, const std::string& name, const std::string& parent, const std::string& key) {
    trace::Span s;
    s.trace_id = "0123456789abcdef0123456789abcdef";
    s.span_id = trace::derive_span_id("test", key);
    s.parent_span_id = parent;
    s.session_id = session_;
    s.kind = kind;
    s.name = name;
    s.start_ns = ++clock_;
    s.end_ns = s.start_ns + 1;
    return s;
  }

  trace::Store& store_;
  std::string session_, agent_span_, last_tool_;
  int n_ = 0;
  int64_t clock_ = 1'700'000'000'000'000'000;
};

}  // namespace observer_test

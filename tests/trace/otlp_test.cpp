// OTLP/HTTP JSON decoding: the official examples, Claude Code's claude_code.* log events, out-of-order
// batches, ids in hex and base64, an agent's OTLP hung under its agent span, and a corpus of broken
// documents.
#include <gtest/gtest.h>

#include "trace/ids.h"

#include <fstream>
#include <map>
#include <sstream>

#include "trace/import.h"
#include "trace/otlp_json.h"

using namespace trace;

namespace {

struct OtlpSink : SpanSink {
  std::map<std::string, Span> spans;  // last write wins, as in the store
  std::vector<Event> events;
  void put_span(const Span& s) override { spans[s.span_id] = s; }
  int64_t put_event(const Event& e) override {
    events.push_back(e);
    return static_cast<int64_t>(events.size());
  }
  std::vector<Event> of_type(const std::string& type) const {
    std::vector<Event> out;
    for (const auto& e : events)
      if (e.type == type) out.push_back(e);
    return out;
  }
};

DecodeContext otlp_ctx(SpanSink* sink) {
  DecodeContext ctx;
  ctx.sink = sink;
  ctx.trace_id = "0123456789abcdef0123456789abcdef";
  ctx.scope = "otlp-test";
  ctx.clock_fallback_ns = 42;
  return ctx;
}

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(HARNESS_FIXTURES) + "/otlp-json/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

DecodeStats decode_text(std::unique_ptr<Decoder> d, const std::string& text) {
  StreamCapture capture(std::move(d), "", 0);
  capture.feed(text);
  capture.finish();
  return capture.stats();
}

Json kv(const std::string& key, const Json& any) { return {{"key", key}, {"value", any}}; }
Json str(const std::string& s) { return {{"stringValue", s}}; }

}  // namespace

TEST(OtlpIds, HexOfAnyCaseAndBase64BecomeLowerHex) {
  EXPECT_EQ(normalize_otlp_id("5B8EFFF798038103D269B633813FC60C", 16), "5b8efff798038103d269b633813fc60c");
  // base64 of the same bytes (python: base64.b64encode(bytes.fromhex(...)))
  EXPECT_EQ(normalize_otlp_id("W47/95gDgQPSabYzgT/GDA==", 16), "5b8efff798038103d269b633813fc60c");
  EXPECT_EQ(normalize_otlp_id("7uGbfsPBsXQ=", 8), "eee19b7ec3c1b174");
  EXPECT_EQ(normalize_otlp_id("", 8), "");
  EXPECT_EQ(normalize_otlp_id(Json(), 8), "");
  EXPECT_EQ(normalize_otlp_id("xyz", 8), std::nullopt);
  EXPECT_EQ(normalize_otlp_id("eee19b7ec3c1b17", 8), std::nullopt);  // 15 hex digits
  EXPECT_EQ(normalize_otlp_id(12, 8), std::nullopt);
}

TEST(OtlpAnyValue, PlainJsonSurvivesARoundTrip) {
  Json plain = {{"s", "x"}, {"b", true}, {"i", -7}, {"d", 2.5}, {"a", {1, "two"}}, {"m", {{"k", nullptr}}}};
  Json any = to_any_value(plain);
  // nlohmann keeps object keys sorted: a, b, d, i, m, s
  EXPECT_EQ(any["kvlistValue"]["values"][3], kv("i", {{"intValue", "-7"}}));
  EXPECT_EQ(from_any_value(any), plain);
}

// trace.json: one span, ids in upper-case hex, its parent EEE19B7EC3C1B173 is not in the file, kind 2
// (SERVER).
TEST(OtlpDecoder, OfficialTraceExampleKeepsItsIdsAndTimes) {
  OtlpSink sink;
  DecodeStats st = decode_text(make_decoder(Format::otlp, otlp_ctx(&sink)), fixture("trace.json"));
  EXPECT_EQ(st.errors, 0);
  EXPECT_EQ(st.sessions, 1);
  ASSERT_EQ(sink.spans.size(), 1u);
  const Span& s = sink.spans.begin()->second;
  EXPECT_EQ(s.span_id, "eee19b7ec3c1b174");
  EXPECT_EQ(s.parent_span_id, "eee19b7ec3c1b173");
  EXPECT_EQ(s.trace_id, "5b8efff798038103d269b633813fc60c");
  EXPECT_EQ(s.name, "I'm a server span");
  EXPECT_EQ(s.start_ns, 1544712660000000000);
  EXPECT_EQ(s.end_ns, 1544712661000000000);
  // No GenAI attribute, and its parent never arrived: settled as a root, hence a session.
  EXPECT_EQ(s.kind, SpanKind::session);
  EXPECT_EQ(s.session_id, s.span_id);
  EXPECT_EQ(s.attributes, Json({{"my.span.attr", "some value"}, {"otel.span.kind", "server"}}));
}

// logs.json: one record naming span EEE19B7EC3C1B174; events.json: one browser.page_view without a span.
TEST(OtlpDecoder, OfficialLogAndEventExamplesBecomeEvents) {
  OtlpSink sink;
  std::string text = fixture("trace.json") + "\n" + fixture("logs.json") + "\n" + fixture("events.json");
  DecodeStats st = decode_text(make_decoder(Format::otlp, otlp_ctx(&sink)), text);
  EXPECT_EQ(st.errors, 0);
  auto logs = sink.of_type("log");
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_EQ(logs[0].span_id, "eee19b7ec3c1b174");
  EXPECT_EQ(logs[0].time_ns, 1544712660300000000);
  EXPECT_EQ(logs[0].payload, Json::parse(R"({"string.attribute":"some string","boolean.attribute":true,
      "int.attribute":10,"double.attribute":637.704,"array.attribute":["many","values"],
      "map.attribute":{"some.map.key":"some value"},"body":"Example log record","severity":"Information",
      "severity_number":10})"));
  auto views = sink.of_type("browser.page_view");
  ASSERT_EQ(views.size(), 1u);
  const Span& session = sink.spans.at(views[0].span_id);
  EXPECT_EQ(session.kind, SpanKind::session);
  EXPECT_EQ(session.name, "my.service");
  EXPECT_EQ(views[0].payload["body"]["type"], 0);
  EXPECT_EQ(views[0].payload["body"]["title"], "Free Online GUID Generator");
  EXPECT_EQ(views[0].payload["event.attribute"], "some event attribute");
  EXPECT_EQ(sink.spans.size(), 2u);
}

TEST(OtlpDecoder, MetricsAreCountedAsIgnored) {
  OtlpSink sink;
  DecodeStats st = decode_text(make_decoder(Format::otlp, otlp_ctx(&sink)), fixture("metrics.json"));
  EXPECT_EQ(st.errors, 0);
  EXPECT_EQ(st.ignored, 1);
  EXPECT_TRUE(sink.spans.empty());
}

// Attribute names and string-typed values as Claude Code's monitoring documentation lists them.
TEST(OtlpDecoder, ClaudeCodeEventsBecomeLlmAndToolSpansAndEvents) {
  auto record = [](int64_t sec, const std::string& name, Json attrs) {
    attrs.push_back(kv("session.id", str("s1")));
    attrs.push_back(kv("event.name", str(name.substr(std::string("claude_code.").size()))));
    return Json{
        {"timeUnixNano", std::to_string(sec) + "000000000"}, {"body", str(name)}, {"attributes", attrs}};
  };
  Json records = Json::array({
      record(1700000000, "claude_code.user_prompt",
             {kv("event.sequence", {{"intValue", "1"}}), kv("prompt_length", str("12")),
              kv("prompt", str("fix the race"))}),
      record(1700000002, "claude_code.api_request",
             {kv("event.sequence", {{"intValue", "2"}}), kv("model", str("claude-sonnet-4-5")),
              kv("input_tokens", str("1200")), kv("output_tokens", str("345")),
              kv("cache_read_tokens", str("800")), kv("cache_creation_tokens", str("100")),
              kv("cost_usd", str("0.0123")), kv("duration_ms", str("1500"))}),
      record(1700000003, "claude_code.tool_decision",
             {kv("event.sequence", {{"intValue", "3"}}), kv("tool_name", str("Bash")),
              kv("decision", str("accept")), kv("source", str("config"))}),
      record(1700000004, "claude_code.tool_result",
             {kv("event.sequence", {{"intValue", "4"}}), kv("tool_name", str("Bash")),
              kv("success", str("false")), kv("duration_ms", str("250")), kv("error", str("Exit code 1")),
              kv("tool_parameters", str(R"({"bash_command":"make"})"))}),
      record(1700000005, "claude_code.api_error",
             {kv("event.sequence", {{"intValue", "5"}}), kv("model", str("claude-sonnet-4-5")),
              kv("error", str("Overloaded")), kv("status_code", str("529")), kv("attempt", str("1"))}),
      record(1700000006, "claude_code.mcp_server_connection",
             {kv("event.sequence", {{"intValue", "6"}}), kv("status", str("connected"))}),
  });
  Json doc = {{"resourceLogs",
               {{{"resource", {{"attributes", {kv("service.name", str("claude-code"))}}}},
                 {"scopeLogs",
                  {{{"scope", {{"name", "com.anthropic.claude_code.events"}}}, {"logRecords", records}}}}}}}};
  OtlpSink sink;
  OtlpDocumentStats st = decode_otlp_document(doc, otlp_ctx(&sink), 7);
  EXPECT_TRUE(st.problems.empty());
  ASSERT_EQ(sink.spans.size(), 3u);
  const Span* session = nullptr;
  const Span* llm = nullptr;
  const Span* tool = nullptr;
  for (const auto& [id, s] : sink.spans) {
    if (s.kind == SpanKind::session) session = &s;
    if (s.kind == SpanKind::llm) llm = &s;
    if (s.kind == SpanKind::tool) tool = &s;
  }
  ASSERT_TRUE(session && llm && tool);
  EXPECT_EQ(session->name, "claude-code");
  EXPECT_EQ(session->attributes["session.id"], "s1");
  EXPECT_EQ(session->start_ns, 1700000000000000000);
  EXPECT_EQ(session->end_ns, 1700000006000000000);
  EXPECT_EQ(llm->name, "chat claude-sonnet-4-5");
  EXPECT_EQ(llm->parent_span_id, session->span_id);
  EXPECT_EQ(llm->session_id, session->span_id);
  EXPECT_EQ(llm->usage.input_tokens, 1200);
  EXPECT_EQ(llm->usage.output_tokens, 345);
  EXPECT_EQ(llm->usage.cache_read_tokens, 800);
  EXPECT_EQ(llm->usage.cache_creation_tokens, 100);
  EXPECT_DOUBLE_EQ(llm->usage.cost_usd, 0.0123);
  EXPECT_EQ(llm->start_ns, 1700000000500000000);  // ended at 2 s, took 1500 ms
  EXPECT_EQ(llm->end_ns, 1700000002000000000);
  EXPECT_EQ(tool->name, "Bash");
  EXPECT_EQ(tool->status, SpanStatus::error);
  EXPECT_EQ(tool->attributes["error.message"], "Exit code 1");
  EXPECT_EQ(tool->attributes["gen_ai.tool.call.arguments"], R"({"bash_command":"make"})");
  EXPECT_EQ(tool->start_ns, 1700000003750000000);
  auto prompt = sink.of_type("message");
  ASSERT_EQ(prompt.size(), 1u);
  EXPECT_EQ(prompt[0].payload, Json({{"role", "user"}, {"text", "fix the race"}, {"prompt_length", 12}}));
  EXPECT_EQ(prompt[0].seq, 7);
  auto errors = sink.of_type("error");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].payload["message"], "Overloaded");
  EXPECT_EQ(errors[0].payload["status_code"], "529");
  EXPECT_EQ(sink.of_type("tool.decision").at(0).payload,
            Json({{"tool", "Bash"}, {"decision", "accept"}, {"source", "config"}}));
  EXPECT_EQ(sink.of_type("tool.call.failed").at(0).span_id, tool->span_id);
  EXPECT_EQ(sink.of_type("claude_code.mcp_server_connection").at(0).payload["status"], "connected");
}

TEST(OtlpDecoder, AnAgentsSpansHangUnderItsAgentSpanInTheRunTrace) {
  Json spans = Json::array({
      {{"traceId", "5b8efff798038103d269b633813fc60c"},
       {"spanId", "2222222222222222"},
       {"parentSpanId", "1111111111111111"},
       {"name", "chat gpt-5"},
       {"startTimeUnixNano", "100"},
       {"endTimeUnixNano", 200},
       {"attributes",
        {kv("gen_ai.operation.name", str("chat")), kv("gen_ai.usage.input_tokens", {{"intValue", "30"}}),
         kv("gen_ai.usage.output_tokens", {{"intValue", 7}})}}},
      {{"traceId", "5b8efff798038103d269b633813fc60c"},
       {"spanId", "3333333333333333"},
       {"parentSpanId", "2222222222222222"},
       {"name", "execute_tool grep"},
       {"startTimeUnixNano", "120"},
       {"endTimeUnixNano", "130"},
       {"status", {{"code", 2}, {"message", "boom"}}},
       {"attributes", {kv("gen_ai.operation.name", str("execute_tool"))}}},
      {{"traceId", "5b8efff798038103d269b633813fc60c"},
       {"spanId", "1111111111111111"},
       {"name", "invoke_agent fixer"},
       {"startTimeUnixNano", "50"},
       {"endTimeUnixNano", "300"},
       {"attributes", {kv("gen_ai.operation.name", str("invoke_agent"))}}},
  });
  Json doc = {{"resourceSpans",
               {{{"resource", {{"attributes", {kv("service.name", str("fixer"))}}}},
                 {"scopeSpans", {{{"spans", spans}}}}}}}};
  OtlpSink sink;
  DecodeContext ctx = otlp_ctx(&sink);
  ctx.parent_span_id = "aaaaaaaaaaaaaaaa";
  ctx.label = "g01-a02";
  OtlpDocumentStats st = decode_otlp_document(doc, ctx);
  EXPECT_TRUE(st.problems.empty());
  // Under an agent the exporter's ids are scoped by that agent's span (kept as harness.otlp.span_id).
  auto id = [&](const char* exporter) { return trace::derive_span_id(ctx.parent_span_id, std::string("otlp:") + exporter); };
  const Span& root = sink.spans.at(id("1111111111111111"));
  EXPECT_EQ(root.attributes["harness.otlp.span_id"], "1111111111111111");
  EXPECT_EQ(root.parent_span_id, "aaaaaaaaaaaaaaaa");
  EXPECT_EQ(root.kind, SpanKind::session);
  EXPECT_EQ(root.trace_id, ctx.trace_id);
  EXPECT_EQ(root.attributes["harness.otlp.trace_id"], "5b8efff798038103d269b633813fc60c");
  EXPECT_EQ(root.attributes["service.name"], "fixer");
  EXPECT_EQ(root.attributes["harness.agent"], "g01-a02");
  const Span& chat = sink.spans.at(id("2222222222222222"));
  EXPECT_EQ(chat.kind, SpanKind::llm);
  EXPECT_EQ(chat.session_id, id("1111111111111111"));
  EXPECT_EQ(chat.trace_id, ctx.trace_id);
  EXPECT_EQ(chat.usage.input_tokens, 30);
  EXPECT_EQ(chat.usage.output_tokens, 7);
  EXPECT_EQ(chat.end_ns, 200);
  const Span& tool = sink.spans.at(id("3333333333333333"));
  EXPECT_EQ(tool.kind, SpanKind::tool);
  EXPECT_EQ(tool.parent_span_id, id("2222222222222222"));
  EXPECT_EQ(tool.session_id, id("1111111111111111"));
  EXPECT_EQ(tool.status, SpanStatus::error);
  EXPECT_EQ(tool.attributes["error.message"], "boom");

  // A second agent exporting the very same ids gets spans of its own: nothing of the first is overwritten.
  OtlpSink other;
  DecodeContext ctx2 = otlp_ctx(&other);
  ctx2.parent_span_id = "bbbbbbbbbbbbbbbb";
  decode_otlp_document(doc, ctx2);
  for (const auto& [span_id, span] : other.spans) EXPECT_FALSE(sink.spans.count(span_id)) << span_id;
  EXPECT_EQ(other.spans.size(), 3u);
}

TEST(OtlpDocumentDecoder, ChildrenSentBeforeTheirParentAreSettledWhenItArrives) {
  auto doc_of = [](Json span) {
    return Json{{"resourceSpans", {{{"scopeSpans", {{{"spans", Json::array({span})}}}}}}}};
  };
  const std::string trace = "5b8efff798038103d269b633813fc60c";
  OtlpSink sink;
  OtlpDocumentDecoder decoder(otlp_ctx(&sink));
  decoder.decode(doc_of({{"traceId", trace},
                         {"spanId", "0000000000000002"},
                         {"parentSpanId", "0000000000000001"},
                         {"name", "chat"},
                         {"attributes", {kv("gen_ai.operation.name", str("chat"))}}}),
                 1);
  EXPECT_EQ(sink.spans.at("0000000000000002").session_id, "");  // written, not yet settled
  decoder.decode(doc_of({{"traceId", trace}, {"spanId", "0000000000000001"}, {"name", "agent"}}), 2);
  EXPECT_EQ(sink.spans.at("0000000000000001").kind, SpanKind::session);
  EXPECT_EQ(sink.spans.at("0000000000000002").session_id, "0000000000000001");
  // A chat span whose parent never arrives gets a session made for its service at the end.
  decoder.decode(doc_of({{"traceId", trace},
                         {"spanId", "0000000000000009"},
                         {"parentSpanId", "00000000000000ff"},
                         {"name", "lost chat"},
                         {"attributes", {kv("gen_ai.operation.name", str("chat"))}}}),
                 3);
  OtlpDocumentStats tail = decoder.finish();
  EXPECT_EQ(tail.sessions, 1);
  const Span& lost = sink.spans.at("0000000000000009");
  EXPECT_EQ(lost.kind, SpanKind::llm);
  EXPECT_EQ(lost.parent_span_id, "00000000000000ff");
  ASSERT_FALSE(lost.session_id.empty());
  EXPECT_EQ(sink.spans.at(lost.session_id).kind, SpanKind::session);
  EXPECT_EQ(sink.spans.at(lost.session_id).name, "otlp");
}

TEST(OtlpDecoder, BrokenDocumentsAreCountedAndTheNextOneStillDecodes) {
  const std::string trace = "5b8efff798038103d269b633813fc60c";
  std::string big = "{ \"resourceSpans\": [ { \"scopeSpans\": [ { \"spans\": [\n  { \"name\": \"" +
                    std::string(2000, 'x') + "\" }\n  ] } ] } ]\n}\n";
  std::string text =
      "hello\n"
      "{\"resourceSpans\": [}\n"
      "{\"foo\": 1}\n"
      "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"" +
      trace + "\",\"name\":\"no id\"}]}]}]}\n" + big + std::string(1001, '[') + "\n" +
      "[{\"resourceMetrics\":[]},{\"resourceMetrics\":[]}]\n"
      "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"" +
      trace +
      "\",\"spanId\":\"1111111111111111\",\"name\":\"ok\"}]}]}]}\n"
      "{\"resourceSpans\": [\n";
  OtlpSink sink;
  DecodeStats st = decode_text(make_otlp_decoder(otlp_ctx(&sink), 1024), text);
  std::vector<std::string> reasons;
  for (const auto& e : sink.of_type("decode.error")) reasons.push_back(e.payload["reason"]);
  ASSERT_EQ(reasons.size(), 7u);
  EXPECT_EQ(st.errors, 7);
  EXPECT_EQ(reasons[0], "expected '{' starting an OTLP JSON document");
  EXPECT_TRUE(reasons[1].starts_with("invalid JSON: [json.exception.parse_error.101]")) << reasons[1];
  EXPECT_EQ(reasons[2], "not an OTLP document: no resourceSpans, resourceLogs or resourceMetrics");
  EXPECT_EQ(reasons[3], "resourceSpans[0].scopeSpans[0].spans[0]: missing or invalid spanId");
  EXPECT_EQ(reasons[4], "OTLP document exceeds the 1024-byte limit; skipped");
  EXPECT_EQ(reasons[5], "OTLP document nests deeper than 1000 levels; skipped");
  // 19 bytes of `{"resourceSpans": [` plus the line's '\n'
  EXPECT_EQ(reasons[6], "truncated OTLP document: 20 bytes without its closing brace");
  EXPECT_EQ(st.ignored, 2);
  EXPECT_EQ(sink.spans.at("1111111111111111").name, "ok");
}

TEST(OtlpDecoder, WrongTypesAndGarbageNeverThrow) {
  const std::string trace = "5b8efff798038103d269b633813fc60c";
  std::string odd = R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"intValue":5}}]},)"
                    R"("scopeSpans":[{"spans":[{"traceId":")" + trace + R"(","spanId":"1111111111111111","name":5,)"
                    R"("kind":"x","startTimeUnixNano":"abc","endTimeUnixNano":1e300,"status":"bad","events":[5],)"
                    R"("attributes":[{"key":"gen_ai.operation.name","value":{"intValue":"3"}},{"value":1},7]}]}]}],)"
                    R"("resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"claude_code.api_request"},)"
                    R"("attributes":[{"key":"duration_ms","value":{"doubleValue":1e300}},)"
                    R"({"key":"input_tokens","value":{"stringValue":"many"}}]}]}]}]})";
  OtlpSink sink;
  DecodeStats st = decode_text(make_decoder(Format::otlp, otlp_ctx(&sink)), odd + "\n");
  EXPECT_EQ(st.errors, 1);  // the event without a name; every other odd value falls back
  const Span& s = sink.spans.at("1111111111111111");
  EXPECT_EQ(s.name, "span");
  EXPECT_EQ(s.start_ns, 42);  // the context's clock: the start time was not a number
  EXPECT_EQ(s.kind, SpanKind::session);
  // Random bytes, deterministic: every line is counted, nothing throws.
  std::string garbage;
  uint64_t x = 88172645463325252ULL;
  for (int i = 0; i < 20000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    garbage.push_back(static_cast<char>(x % 7 == 0 ? '\n' : x % 5 == 0 ? '{' : x % 11 == 0 ? '"' : x & 0xff));
  }
  OtlpSink junk;
  DecodeStats g = decode_text(make_decoder(Format::otlp, otlp_ctx(&junk)), garbage);
  EXPECT_GT(g.errors, 0);
  EXPECT_EQ(g.spans, 1);  // only the span decode errors hang on (the input's own span)
}

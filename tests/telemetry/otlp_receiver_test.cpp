// The run's OTLP/HTTP receiver over real HTTP: documents land under the agent whose token came with them (and are
// kept in its otlp.jsonl for rebuilds); every bad input gets its status and text and is recorded, never a crash.
#include <gtest/gtest.h>

#include "trace/ids.h"

#include <fmt/format.h>

#include "telemetry/otlp_receiver.h"
#include "telemetry_test_util.h"
#include "trace/import.h"

using namespace telemetry;
using namespace telemetry::testing;
using trace::Json;

namespace {

Json kv(const std::string& key, const Json& any) { return {{"key", key}, {"value", any}}; }
Json str(const std::string& s) { return {{"stringValue", s}}; }

// A root span and an llm child with usage, as an OTLP exporter sends them.
Json trace_doc(const std::string& root_id, const std::string& chat_id) {
  Json spans = Json::array({
      {{"traceId", "5b8efff798038103d269b633813fc60c"}, {"spanId", root_id}, {"name", "claude_code.interaction"},
       {"startTimeUnixNano", "1000"}, {"endTimeUnixNano", "9000"}},
      {{"traceId", "5b8efff798038103d269b633813fc60c"}, {"spanId", chat_id}, {"parentSpanId", root_id},
       {"name", "chat claude-sonnet"}, {"startTimeUnixNano", "2000"}, {"endTimeUnixNano", "3000"},
       {"attributes", {kv("gen_ai.operation.name", str("chat")), kv("gen_ai.usage.input_tokens", {{"intValue", "120"}}),
                       kv("gen_ai.usage.output_tokens", {{"intValue", "33"}})}}},
  });
  return {{"resourceSpans", {{{"resource", {{"attributes", {kv("service.name", str("claude-code"))}}}},
                              {"scopeSpans", {{{"spans", spans}}}}}}}};
}

struct ReceiverFixture : ::testing::Test {
  TelemetryRun run;
  AgentTokens tokens;
  std::unique_ptr<OtlpReceiver> receiver;
  std::shared_ptr<AgentTelemetryEntry> a1, a2;
  std::unique_ptr<httplib::Client> client;
  int port = 0;

  void SetUp() override {
    OtlpReceiverOptions o;
    o.run_span_id = run.run_span;
    o.max_body_bytes = 64 << 10;
    receiver = std::make_unique<OtlpReceiver>(*run.store, tokens, o);
    port = receiver->start();
    a1 = tokens.add(run.agent(1));
    a2 = tokens.add(run.agent(2));
    client = std::make_unique<httplib::Client>("127.0.0.1", port);
  }
  httplib::Result post(const std::string& path, const std::string& body, const std::string& token,
                       const std::string& type = "application/json") {
    httplib::Headers h;
    if (!token.empty()) h.emplace(kAgentTokenHeader, token);
    return client->Post(path.c_str(), h, body, type.c_str());
  }
  std::vector<trace::Event> rejections() { return run.events("type = 'telemetry.rejected'"); }
  // Where an agent's exported span id is stored: scoped by its agent span (two agents never collide).
  static std::string stored(const std::shared_ptr<AgentTelemetryEntry>& agent, const std::string& exporter_id) {
    return trace::derive_span_id(agent->target.agent_span_id, "otlp:" + exporter_id);
  }
};

TEST_F(ReceiverFixture, SpansLandUnderTheAgentWhoseTokenCameWithThem) {
  auto r1 = post("/v1/traces", trace_doc("1111111111111111", "2222222222222222").dump(), a1->token);
  auto r2 = post("/v1/traces", trace_doc("3333333333333333", "4444444444444444").dump(), a2->token);
  ASSERT_TRUE(r1 && r2);
  EXPECT_EQ(r1->status, 200);
  EXPECT_EQ(r1->body, "{}");
  EXPECT_EQ(r2->status, 200);
  auto root1 = run.store->span(stored(a1, "1111111111111111"));
  auto root2 = run.store->span(stored(a2, "3333333333333333"));
  ASSERT_TRUE(root1 && root2);
  EXPECT_EQ(root1->parent_span_id, a1->target.agent_span_id);
  EXPECT_EQ(root2->parent_span_id, a2->target.agent_span_id);
  EXPECT_EQ(root1->trace_id, run.trace_id);  // joined the run's trace
  EXPECT_EQ(root1->attributes["harness.agent"], "g01-a01");
  auto chat = run.store->span(stored(a1, "2222222222222222"));
  ASSERT_TRUE(chat);
  EXPECT_EQ(chat->kind, trace::SpanKind::llm);
  EXPECT_EQ(chat->session_id, stored(a1, "1111111111111111"));
  EXPECT_EQ(chat->usage.input_tokens, 120);
  EXPECT_EQ(chat->usage.output_tokens, 33);
  // Each agent's documents are kept as a raw input of its own, one line each, under its span.
  auto raws = run.store->raw_inputs();
  ASSERT_EQ(raws.size(), 2u);
  EXPECT_EQ(raws[0].path, "gen-001/agent-01/otlp.jsonl");
  EXPECT_EQ(raws[0].format, "otlp");
  EXPECT_EQ(raws[0].parent_span_id, a1->target.agent_span_id);
  std::ifstream kept(run.dir + "/gen-001/agent-01/otlp.jsonl");
  std::string line;
  ASSERT_TRUE(std::getline(kept, line));
  EXPECT_EQ(Json::parse(line), trace_doc("1111111111111111", "2222222222222222"));
  EXPECT_EQ(receiver->counters().documents, 2);
  EXPECT_TRUE(rejections().empty());
}

TEST_F(ReceiverFixture, RebuildFromTheKeptDocumentsGivesTheSameSpans) {
  ASSERT_EQ(post("/v1/traces", trace_doc("1111111111111111", "2222222222222222").dump(), a1->token)->status, 200);
  TelemetryTarget t = a1->target;
  tokens.remove(a1->token);
  receiver->finish_agent(*a1);
  auto before = run.spans("raw_id > 0");
  receiver->stop();
  run.store.reset();
  trace::rebuild(run.dir);
  run.store = trace::Store::open(run.dir + "/run.db");
  auto after = run.spans("raw_id > 0");
  ASSERT_EQ(before.size(), after.size());
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(before[i].span_id, after[i].span_id);
    EXPECT_EQ(before[i].parent_span_id, after[i].parent_span_id);
    EXPECT_EQ(before[i].usage.input_tokens, after[i].usage.input_tokens);
  }
}

TEST_F(ReceiverFixture, EveryBadInputGetsItsStatusAndIsRecorded) {
  std::string good = trace_doc("1111111111111111", "2222222222222222").dump();
  auto garbage = post("/v1/traces", "{\"resourceSpans\": [", a1->token);
  ASSERT_TRUE(garbage);
  EXPECT_EQ(garbage->status, 400);
  EXPECT_NE(garbage->body.find("malformed OTLP JSON: [json.exception.parse_error.101]"), std::string::npos)
      << garbage->body;
  auto array = post("/v1/logs", "[1, 2]", a1->token);
  EXPECT_EQ(array->status, 400);
  EXPECT_EQ(Json::parse(array->body)["error"]["message"],
            "malformed OTLP JSON: the body must be an object (an Export*ServiceRequest)");
  auto protobuf = post("/v1/traces", "\x0a\x02\x08\x01", a1->token, "application/x-protobuf");
  EXPECT_EQ(protobuf->status, 415);
  EXPECT_EQ(Json::parse(protobuf->body)["error"]["message"],
            "OTLP protobuf bodies are not supported: set OTEL_EXPORTER_OTLP_PROTOCOL=http/json");
  auto text = post("/v1/traces", good, a1->token, "text/plain");
  EXPECT_EQ(text->status, 415);
  auto missing = post("/v1/traces", good, "");
  EXPECT_EQ(missing->status, 401);
  EXPECT_EQ(Json::parse(missing->body)["error"]["message"],
            "missing or unknown x-harness-agent-token header: each agent sends with the token in its "
            "OTEL_EXPORTER_OTLP_HEADERS");
  auto wrong = post("/v1/traces", good, std::string(32, 'f'));
  EXPECT_EQ(wrong->status, 401);
  // Oversized: the headers announce more than the limit; the receiver answers before reading the body.
  std::string answer = raw_http(port,
                                fmt::format("POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                            "{}: {}\r\nContent-Length: {}\r\n\r\n{{",
                                            kAgentTokenHeader, a1->token, 1 << 20));
  EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer;
  EXPECT_NE(answer.find("body larger than the receiver's 65536-byte limit (telemetry.max_body_mb)"),
            std::string::npos);
  auto unknown_path = post("/v1/spans", good, a1->token);
  EXPECT_EQ(unknown_path->status, 404);

  // Nothing was decoded from any of them, each was recorded where it belongs, and the receiver still works.
  EXPECT_TRUE(run.spans("raw_id > 0").empty());
  auto rejected = rejections();
  ASSERT_EQ(rejected.size(), 8u);
  std::vector<int> statuses;
  for (const auto& e : rejected) statuses.push_back(e.payload["status"].get<int>());
  EXPECT_EQ(statuses, (std::vector<int>{400, 400, 415, 415, 401, 401, 413, 404}));
  EXPECT_EQ(rejected[0].span_id, a1->target.agent_span_id);
  EXPECT_EQ(rejected[4].span_id, run.run_span);  // no valid token: on the run span
  EXPECT_EQ(rejected[6].span_id, a1->target.agent_span_id);
  EXPECT_EQ(rejected[6].payload["body_bytes"], 1 << 20);
  EXPECT_EQ(post("/v1/traces", good, a1->token)->status, 200);
  EXPECT_TRUE(run.store->span(stored(a1, "2222222222222222")));
}

TEST_F(ReceiverFixture, ProblemsInsideADocumentArePartialSuccessAndDecodeErrors) {
  Json doc = trace_doc("1111111111111111", "2222222222222222");
  doc["resourceSpans"][0]["scopeSpans"][0]["spans"][1]["spanId"] = "xyz";
  auto r = post("/v1/traces", doc.dump(), a1->token);
  ASSERT_EQ(r->status, 200);
  EXPECT_NE(Json::parse(r->body)["partialSuccess"]["errorMessage"].get<std::string>().find("invalid spanId"),
            std::string::npos)
      << r->body;
  auto errors = run.events("type = 'decode.error'");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].span_id, a1->target.agent_span_id);
  EXPECT_TRUE(run.store->span(stored(a1, "1111111111111111")));  // the good span of the document still landed
}

TEST_F(ReceiverFixture, AnEndedAgentsTokenIsRefused) {
  ASSERT_EQ(post("/v1/logs", R"({"resourceLogs": []})", a1->token)->status, 200);
  tokens.remove(a1->token);
  receiver->finish_agent(*a1);
  EXPECT_EQ(post("/v1/logs", R"({"resourceLogs": []})", a1->token)->status, 401);
  EXPECT_EQ(post("/v1/metrics", R"({"resourceMetrics": []})", a2->token)->status, 200);
}

TEST(OtlpReceiverEnv, AgentsGetTheEndpointProtocolAndTheirTokenHeader) {
  TelemetryRun run;
  AgentTokens tokens;
  OtlpReceiver receiver(*run.store, tokens, {});
  int port = receiver.start();
  auto env = receiver.agent_env("abc");
  EXPECT_EQ(env.at("OTEL_EXPORTER_OTLP_ENDPOINT"), fmt::format("http://127.0.0.1:{}", port));
  EXPECT_EQ(env.at("OTEL_EXPORTER_OTLP_PROTOCOL"), "http/json");
  EXPECT_EQ(env.at("OTEL_EXPORTER_OTLP_HEADERS"), "x-harness-agent-token=abc");
}

}  // namespace

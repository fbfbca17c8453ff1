// The LLM proxy over real HTTP against a scripted upstream: SSE passes through unchanged, in order and event by
// event (the upstream holds each chunk back until the agent has the previous one); llm spans carry the usage the
// upstream sent; upstream errors reach the agent unchanged; bad input gets its status, is recorded, never crashes;
// no key or Authorization text is stored anywhere in the run dir.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "telemetry/llm_proxy.h"
#include "telemetry/sse_parser.h"
#include "telemetry_test_util.h"

using namespace telemetry;
using namespace telemetry::testing;
using trace::Json;

namespace {

const char* kKey = "sk-ant-api03-SECRETSECRETSECRETSECRET0123456789";

std::vector<std::string> anthropic_stream() {
  return {
      sse("message_start", R"({"type":"message_start","message":{"id":"msg_1","model":"claude-sonnet-4-5",)"
                           R"("usage":{"input_tokens":1234,"cache_read_input_tokens":400,)"
                           R"("cache_creation_input_tokens":56,"output_tokens":1}}})"),
      sse("content_block_start",
          R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})"),
      sse("content_block_delta",
          R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Let me run "}})"),
      sse("ping", R"({"type":"ping"})"),
      sse("content_block_delta",
          R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"the tests."}})"),
      sse("content_block_start", R"({"type":"content_block_start","index":1,"content_block":)"
                                 R"({"type":"tool_use","id":"toolu_9","name":"Bash","input":{}}})"),
      sse("content_block_delta", R"({"type":"content_block_delta","index":1,"delta":)"
                                 R"({"type":"input_json_delta","partial_json":"{\"command\": \"make"}})"),
      sse("content_block_delta", R"({"type":"content_block_delta","index":1,"delta":)"
                                 R"({"type":"input_json_delta","partial_json":" test\"}"}})"),
      sse("message_delta",
          R"({"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":87}})"),
      sse("message_stop", R"({"type":"message_stop"})"),
  };
}

struct ProxyFixture : ::testing::Test {
  TelemetryRun run;
  AgentTokens tokens;
  ScriptedUpstream upstream;
  std::unique_ptr<LlmProxy> proxy;
  std::shared_ptr<AgentTelemetryEntry> agent;
  int port = 0;

  void start(const std::string& anthropic_upstream, const std::string& openai_upstream = "") {
    LlmProxyOptions o;
    o.run_span_id = run.run_span;
    o.anthropic_upstream = anthropic_upstream;
    o.openai_upstream = openai_upstream.empty() ? upstream.url("/v1") : openai_upstream;
    o.max_request_bytes = 64 << 10;
    proxy = std::make_unique<LlmProxy>(*run.store, tokens, o);
    port = proxy->start();
    agent = tokens.add(run.agent(1));
  }
  // POSTs through the proxy like an SDK does, collecting the body chunk by chunk as it arrives.
  struct Answer {
    int status = 0;
    httplib::Headers headers;
    std::vector<std::string> chunks;
    std::string body() const {
      std::string b;
      for (const auto& c : chunks) b += c;
      return b;
    }
  };
  Answer send(const std::string& path, const std::string& body, const std::function<void(size_t)>& on_chunk = {}) {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(std::chrono::seconds(20));
    httplib::Request req;
    req.method = "POST";
    req.path = path;
    req.headers = {{"x-api-key", kKey}, {"Authorization", std::string("Bearer ") + kKey},
                   {"anthropic-version", "2023-06-01"}, {"Content-Type", "application/json"}};
    req.body = body;
    Answer a;
    req.content_receiver = [&](const char* d, size_t n, uint64_t, uint64_t) {
      a.chunks.emplace_back(d, n);
      if (on_chunk) on_chunk(a.chunks.size());
      return true;
    };
    httplib::Response res;
    httplib::Error err;
    EXPECT_TRUE(c.send(req, res, err)) << httplib::to_string(err);
    a.status = res.status;
    a.headers = res.headers;
    if (a.chunks.empty() && !res.body.empty()) a.chunks.push_back(res.body);
    return a;
  }
  // The llm span once its call is recorded as ended (the proxy writes it after the last byte went out).
  trace::Span finished_llm_span() {
    std::vector<trace::Span> spans;
    EXPECT_TRUE(eventually([&] {
      spans = run.spans("kind = 'llm'");
      return spans.size() == 1 && spans[0].end_ns != 0;
    }));
    return spans.empty() ? trace::Span{} : spans.back();
  }
  std::string path(const std::string& rest, const std::string& provider = "anthropic") const {
    return "/" + agent->token + "/" + provider + rest;
  }
};

std::vector<std::string> events_of(const std::string& body) {
  std::vector<std::string> out;
  SseParser p([&](const SseEvent& e) { out.push_back(e.event + "|" + e.data); });
  p.feed(body);
  p.finish();
  return out;
}

TEST_F(ProxyFixture, AnthropicStreamPassesThroughEventByEventAndBecomesAnLlmSpan) {
  upstream.chunks = anthropic_stream();
  // Lockstep: the upstream writes chunk i only once the agent has received chunk i-1, so the test can only end
  // if the proxy passes each chunk on as it arrives (a proxy that buffered the response would hang here).
  std::mutex mu;
  std::condition_variable cv;
  size_t received = 0;
  upstream.before_chunk = [&](size_t i) {
    std::unique_lock lock(mu);
    cv.wait_for(lock, std::chrono::seconds(20), [&] { return received >= i; });
  };
  start(upstream.url());
  std::string request = R"({"model":"claude-sonnet-4-5","stream":true,"max_tokens":100,"messages":[]})";
  Answer a = send(path("/v1/messages?beta=true"), request, [&](size_t) {
    std::lock_guard lock(mu);
    ++received;
    cv.notify_all();
  });
  EXPECT_EQ(a.status, 200);
  std::string expected;
  for (const auto& c : upstream.chunks) expected += c;
  EXPECT_EQ(a.body(), expected);
  EXPECT_EQ(a.chunks, upstream.chunks);  // lockstep makes the chunking itself observable
  // The upstream got the path after the prefix, the agent's headers (keys included), and the body.
  auto seen = upstream.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].path, "/v1/messages");
  EXPECT_EQ(seen[0].body, request);
  EXPECT_EQ(seen[0].headers.find("x-api-key")->second, kKey);
  EXPECT_EQ(seen[0].headers.find("anthropic-version")->second, "2023-06-01");

  trace::Span s = finished_llm_span();
  EXPECT_EQ(s.parent_span_id, agent->target.agent_span_id);
  EXPECT_EQ(s.trace_id, run.trace_id);
  EXPECT_EQ(s.name, "chat claude-sonnet-4-5");
  EXPECT_EQ(s.status, trace::SpanStatus::ok);
  EXPECT_EQ(s.usage.input_tokens, 1234);
  EXPECT_EQ(s.usage.output_tokens, 87);  // message_delta's figure replaces message_start's
  EXPECT_EQ(s.usage.cache_read_tokens, 400);
  EXPECT_EQ(s.usage.cache_creation_tokens, 56);
  EXPECT_EQ(s.attributes["gen_ai.usage.input_tokens"], 1234);
  EXPECT_EQ(s.attributes["gen_ai.response.text"], "Let me run the tests.");
  EXPECT_EQ(s.attributes["gen_ai.response.tool_calls"],
            Json::parse(R"([{"id":"toolu_9","name":"Bash","arguments":"{\"command\": \"make test\"}"}])"));
  EXPECT_EQ(s.attributes["gen_ai.response.finish_reasons"], Json::array({"tool_use"}));
  EXPECT_EQ(s.attributes["harness.proxy.request_bytes"], request.size());
  EXPECT_EQ(s.attributes["harness.proxy.response_bytes"], expected.size());
  EXPECT_EQ(s.attributes["harness.proxy.sse_events"], 10);
  EXPECT_EQ(s.attributes["http.response.status_code"], 200);
  EXPECT_EQ(s.attributes["url.path"], "/v1/messages?beta=true");
  EXPECT_TRUE(s.attributes.contains("harness.proxy.latency_ms"));
}

TEST_F(ProxyFixture, OpenAiResponsesStreamUsageTextAndFunctionCalls) {
  upstream.chunks = {
      sse("response.created", R"({"type":"response.created","response":{"id":"resp_1","model":"gpt-5-codex"}})"),
      sse("response.output_text.delta", R"({"type":"response.output_text.delta","delta":"Patching."})"),
      sse("response.output_item.done", R"({"type":"response.output_item.done","output_index":1,"item":)"
                                       R"({"type":"function_call","call_id":"call_7","name":"shell",)"
                                       R"("arguments":"{\"cmd\":[\"ls\"]}"}})"),
      sse("response.completed", R"({"type":"response.completed","response":{"id":"resp_1","model":"gpt-5-codex",)"
                                R"("status":"completed","usage":{"input_tokens":900,"output_tokens":45,)"
                                R"("input_tokens_details":{"cached_tokens":300}}}})"),
  };
  start(upstream.url(), upstream.url("/v1"));
  Answer a = send(path("/responses", "openai"), R"({"model":"gpt-5-codex","stream":true})");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(events_of(a.body()).size(), 4u);
  EXPECT_EQ(upstream.seen().at(0).path, "/v1/responses");
  trace::Span s = finished_llm_span();
  EXPECT_EQ(s.attributes["gen_ai.system"], "openai");
  // OpenAI's 900 include the 300 read from the cache; the columns are disjoint (docs/agents.md).
  EXPECT_EQ(s.usage.input_tokens, 600);
  EXPECT_EQ(s.usage.output_tokens, 45);
  EXPECT_EQ(s.usage.cache_read_tokens, 300);
  EXPECT_EQ(s.attributes["gen_ai.response.text"], "Patching.");
  EXPECT_EQ(s.attributes["gen_ai.response.tool_calls"][0]["name"], "shell");
  EXPECT_EQ(s.attributes["gen_ai.response.tool_calls"][0]["arguments"], "{\"cmd\":[\"ls\"]}");
}

TEST_F(ProxyFixture, UpstreamErrorsReachTheAgentUnchanged) {
  upstream.error_status = 429;
  upstream.error_body = R"({"type":"error","error":{"type":"rate_limit_error","message":"slow down"}})";
  start(upstream.url());
  Answer a = send(path("/v1/messages"), R"({"model":"claude-haiku","stream":true})");
  EXPECT_EQ(a.status, 429);
  EXPECT_EQ(a.body(), upstream.error_body);
  auto retry = a.headers.find("retry-after");
  ASSERT_NE(retry, a.headers.end());
  EXPECT_EQ(retry->second, "7");
  trace::Span s = finished_llm_span();
  EXPECT_EQ(s.status, trace::SpanStatus::error);
  EXPECT_EQ(s.attributes["error.message"], "slow down");
  EXPECT_EQ(s.attributes["http.response.status_code"], 429);
}

TEST_F(ProxyFixture, UpstreamDownIsA502WithAClearBody) {
  int dead = closed_port();
  start(fmt::format("http://127.0.0.1:{}", dead));
  Answer a = send(path("/v1/messages"), R"({"model":"claude-haiku"})");
  EXPECT_EQ(a.status, 502);
  std::string message = fmt::format("harness LLM proxy: upstream http://127.0.0.1:{} unreachable: "
                                    "could not connect", dead);
  EXPECT_EQ(Json::parse(a.body()),
            (Json{{"type", "error"},
                  {"error", {{"type", "harness_proxy_upstream_unreachable"}, {"message", message}}}}));
  trace::Span s = finished_llm_span();
  EXPECT_EQ(s.status, trace::SpanStatus::error);
  EXPECT_EQ(s.attributes["error.message"], message);
  EXPECT_EQ(proxy->counters().failed, 1);
}

TEST_F(ProxyFixture, ClientDisconnectMidStreamAbortsTheUpstreamAndIsRecorded) {
  upstream.chunks = anthropic_stream();
  upstream.endless = true;
  start(upstream.url());
  std::string body = R"({"model":"claude-sonnet-4-5","stream":true})";
  std::string answer = raw_http(port,
                                fmt::format("POST {} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                            "Content-Length: {}\r\n\r\n{}",
                                            path("/v1/messages"), body.size(), body),
                                "content_block_delta");
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_TRUE(upstream.wait_reader_gone());  // the proxy dropped its upstream request
  trace::Span s = finished_llm_span();
  EXPECT_EQ(s.status, trace::SpanStatus::error);
  EXPECT_EQ(s.attributes["error.message"], "client disconnected mid-stream");
  EXPECT_EQ(s.usage.input_tokens, 1234);  // what passed before the disconnect is kept
  // The proxy carries on serving.
  upstream.endless = false;
  EXPECT_EQ(send(path("/v1/messages"), body).status, 200);
}

TEST_F(ProxyFixture, BadRequestsAreRefusedAndRecorded) {
  upstream.chunks = anthropic_stream();
  start(upstream.url());
  httplib::Client c("127.0.0.1", port);
  auto wrong = c.Post(("/" + std::string(32, 'a') + "/anthropic/v1/messages").c_str(), "{}", "application/json");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_EQ(Json::parse(wrong->body)["error"]["message"],
            "unknown agent token in the path: agents reach the proxy through the ANTHROPIC_BASE_URL / "
            "OPENAI_BASE_URL the harness gave them");
  auto provider = c.Post(path("/v1/x", "gemini").c_str(), "{}", "application/json");
  EXPECT_EQ(provider->status, 404);
  EXPECT_EQ(Json::parse(provider->body)["error"]["message"],
            "unknown provider 'gemini': the proxy serves /<token>/anthropic/... and /<token>/openai/...");
  std::string big = raw_http(port, fmt::format("POST {} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{{",
                                               path("/v1/messages"), 1 << 20));
  EXPECT_EQ(big.rfind("HTTP/1.1 413", 0), 0u) << big;
  std::string garbage = raw_http(port, "GARBAGE\r\n\r\n");
  EXPECT_EQ(garbage.rfind("HTTP/1.1 400", 0), 0u) << garbage;
  auto rejected = run.events("type = 'telemetry.rejected'");
  ASSERT_EQ(rejected.size(), 4u);
  EXPECT_EQ(rejected[0].span_id, run.run_span);
  EXPECT_EQ(rejected[0].payload["path"], "/<token>/anthropic/v1/messages");
  EXPECT_EQ(rejected[1].span_id, agent->target.agent_span_id);
  EXPECT_EQ(rejected[2].payload["status"], 413);
  EXPECT_EQ(rejected[3].payload["reason"], "malformed HTTP request (HTTP 400)");
  EXPECT_EQ(rejected[3].span_id, run.run_span);
  EXPECT_TRUE(upstream.seen().empty());
  EXPECT_EQ(send(path("/v1/messages"), "{}").status, 200);
}

TEST_F(ProxyFixture, ACompressionBombIsRefusedBeforeItReachesTheUpstream) {
  upstream.chunks = anthropic_stream();
  start(upstream.url());
  // 4 MiB of spaces, about 4 KiB gzipped: within the limit on the wire, 64 times it once expanded. It was forwarded.
  httplib::Client c("127.0.0.1", port);
  c.set_compress(true);
  auto bomb = c.Post(path("/v1/messages").c_str(), "{}" + std::string(4 << 20, ' '), "application/json");
  ASSERT_TRUE(bomb);
  EXPECT_EQ(bomb->status, 413);
  EXPECT_NE(bomb->body.find("counted after decompression"), std::string::npos) << bomb->body;
  EXPECT_TRUE(upstream.seen().empty());
  // A compressed request within the limit goes on, expanded.
  auto fine = c.Post(path("/v1/messages").c_str(), R"({"model": "m", "stream": true})", "application/json");
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->status, 200);
  ASSERT_EQ(upstream.seen().size(), 1u);
}

TEST_F(ProxyFixture, NoKeyOrAuthorizationTextIsStoredAnywhere) {
  upstream.chunks = anthropic_stream();
  start(upstream.url());
  ASSERT_EQ(send(path("/v1/messages"), R"({"model":"claude-sonnet-4-5","stream":true})").status, 200);
  upstream.error_status = 401;
  upstream.error_body = R"({"type":"error","error":{"type":"authentication_error","message":"bad key"}})";
  ASSERT_EQ(send(path("/v1/messages"), R"({"model":"m"})").status, 401);
  EXPECT_TRUE(eventually([&] { return run.spans("kind = 'llm' AND end_ns != 0").size() == 2; }));
  proxy->stop();
  run.store.reset();  // every write on disk
  for (const auto& f : std::filesystem::recursive_directory_iterator(run.dir)) {
    if (!f.is_regular_file()) continue;
    std::ifstream in(f.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find("SECRETSECRET"), std::string::npos) << f.path();
    EXPECT_EQ(bytes.find("Bearer"), std::string::npos) << f.path();
    EXPECT_EQ(bytes.find("x-api-key"), std::string::npos) << f.path();
  }
}

TEST(UpstreamUrl, SplitsOriginAndPrefix) {
  auto u = parse_upstream_url("https://api.openai.com/v1/");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme_host_port, "https://api.openai.com");
  EXPECT_EQ(u->path_prefix, "/v1");
  EXPECT_EQ(parse_upstream_url("http://127.0.0.1:8080")->path_prefix, "");
  EXPECT_FALSE(parse_upstream_url("ftp://x"));
  EXPECT_FALSE(parse_upstream_url("https://"));
  EXPECT_FALSE(parse_upstream_url("api.anthropic.com"));
}

TEST(SseParser, EventsSplitAnywhereCrlfCommentsAndMultiLineData) {
  std::vector<SseEvent> got;
  SseParser p([&](const SseEvent& e) { got.push_back(e); });
  std::string text = ": keep-alive\r\nevent: a\r\ndata: one\r\ndata: two\r\n\r\ndata:{\"x\":1}\n\nevent: tail\ndata: end";
  for (char c : text) p.feed(std::string_view(&c, 1));
  p.finish();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].event, "a");
  EXPECT_EQ(got[0].data, "one\ntwo");
  EXPECT_EQ(got[1].event, "");
  EXPECT_EQ(got[1].data, "{\"x\":1}");
  EXPECT_EQ(got[2].event, "tail");
  EXPECT_EQ(got[2].data, "end");
}

TEST(SseParser, AnOverlongLineIsDroppedAndCounted) {
  std::vector<SseEvent> got;
  SseParser p([&](const SseEvent& e) { got.push_back(e); }, 16);
  p.feed("data: " + std::string(100, 'x') + "\n\ndata: ok\n\n");
  EXPECT_EQ(p.dropped_lines(), 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, "ok");
}

}  // namespace

// The OTLP receiver under hostile requests (issue 18): nesting deep enough to overflow a thread's stack, invalid
// UTF-8, compression bombs and unbounded chunked bodies, connections held open byte by byte (slowloris) and
// pipelined requests. Each gets a clear status, is recorded, and the receiver goes on answering.
#include <gtest/gtest.h>

#include <fstream>

#include <fmt/format.h>

#include "telemetry/otlp_receiver.h"
#include "telemetry_test_util.h"

using namespace telemetry;
using namespace telemetry::testing;
using trace::Json;

namespace {

struct HostileFixture : ::testing::Test {
  TelemetryRun run;
  AgentTokens tokens;
  std::unique_ptr<OtlpReceiver> receiver;
  std::shared_ptr<AgentTelemetryEntry> agent;
  int port = 0;
  const std::string good = R"({"resourceLogs": []})";

  void SetUp() override {
    OtlpReceiverOptions o;
    o.run_span_id = run.run_span;
    o.max_body_bytes = 64 << 10;
    receiver = std::make_unique<OtlpReceiver>(*run.store, tokens, o);
    port = receiver->start();
    agent = tokens.add(run.agent(1));
  }
  httplib::Result post(const std::string& body, bool compress = false) {
    httplib::Client client("127.0.0.1", port);
    client.set_compress(compress);
    return client.Post("/v1/logs", {{kAgentTokenHeader, agent->token}}, body, "application/json");
  }
  std::string message(const httplib::Result& r) { return Json::parse(r->body)["error"]["message"]; }
  std::vector<int> rejected_statuses() {
    std::vector<int> out;
    for (const auto& e : run.events("type = 'telemetry.rejected'")) out.push_back(e.payload["status"].get<int>());
    return out;
  }
};

TEST_F(HostileFixture, NestingThousandsDeepIsRefusedNotACrash) {
  // 20,000 deep killed the harness with SIGSEGV in a server thread; 60,000 bytes fit the 64 KiB limit.
  std::string deep = R"({"resourceLogs": )" + std::string(30000, '[') + std::string(30000, ']') + "}";
  auto r = post(deep);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(message(r), "malformed OTLP JSON: nested deeper than 256 levels");
  // Brackets inside strings are text, not nesting.
  EXPECT_EQ(post(R"({"resourceLogs": [], "note": ")" + std::string(1000, '[') + "\"}")->status, 200);
  EXPECT_EQ(post(good)->status, 200);
  EXPECT_EQ(rejected_statuses(), std::vector<int>{400});
}

TEST_F(HostileFixture, InvalidUtf8IsA400WithAReadableReason) {
  auto r = post("{\"resourceLogs\": [], \"x\": \"\xff\xfe\"}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);  // was 500: the reason quoted the bad bytes and dumping it threw
  EXPECT_NE(message(r).find("malformed OTLP JSON"), std::string::npos);
  EXPECT_EQ(rejected_statuses(), std::vector<int>{400});
}

TEST_F(HostileFixture, ACompressionBombIsCountedAfterDecompression) {
  // 4 MiB of spaces: about 4 KiB gzipped, far below the limit on the wire, 64 times the limit expanded.
  std::string bomb = R"({"resourceLogs": [])" + std::string(4 << 20, ' ') + "}";
  auto r = post(bomb, /*compress=*/true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_NE(message(r).find("counted after decompression"), std::string::npos) << r->body;
  // A compressed body within the limit is taken.
  EXPECT_EQ(post(good, /*compress=*/true)->status, 200);
  EXPECT_EQ(rejected_statuses(), std::vector<int>{413});
}

TEST_F(HostileFixture, AChunkedBodyWithoutLengthIsBoundedToo) {
  // httplib checks its payload limit against Content-Length only: chunks were read without end.
  std::string chunk(32 << 10, ' ');
  std::string request = fmt::format(
      "POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{}: {}\r\n"
      "Transfer-Encoding: chunked\r\n\r\n",
      kAgentTokenHeader, agent->token);
  for (int i = 0; i < 4; ++i) request += fmt::format("{:x}\r\n{}\r\n", chunk.size(), chunk);
  request += "0\r\n\r\n";
  std::string answer = raw_http(port, request);
  EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer.substr(0, 200);
  EXPECT_EQ(rejected_statuses(), std::vector<int>{413});
}

TEST_F(HostileFixture, ConnectionsHeldOpenByteByByteDoNotStarveTheOthers) {
  // 150 sockets that sent half a request line and then nothing: each holds a worker until its read times out.
  std::vector<int> held;
  for (int i = 0; i < 150; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ::send(fd, "POST /v1/lo", 11, MSG_NOSIGNAL);
    held.push_back(fd);
  }
  auto r = post(good);
  ASSERT_TRUE(r) << "no answer while 150 connections were held";
  EXPECT_EQ(r->status, 200);
  for (int fd : held) ::close(fd);
}

TEST_F(HostileFixture, PipelinedRequestsAreAnsweredOneByOneOrRefusedByClosing) {
  std::string one = fmt::format(
      "POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{}: {}\r\nContent-Length: {}\r\n\r\n{}",
      kAgentTokenHeader, agent->token, good.size(), good);
  std::string answer = raw_http(port, one + one + one, "\r\n\r\n{}");
  // The first is answered, and the answer closes the connection: a client knows the others were not taken and
  // sends them again (before, they were swallowed silently and the connection waited).
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  EXPECT_NE(answer.find("Connection: close"), std::string::npos) << answer;
}

}  // namespace

namespace {

TEST_F(HostileFixture, AnAttributeNamedLikeASecretIsNeitherStoredNorKept) {
  // The text redactor sees {"key": "api_key"} and its value apart: this was stored in clear (issue 18).
  std::string doc = R"({"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "5b8efff798038103d269b633813fc60c",
    "spanId": "1111111111111111", "name": "work", "startTimeUnixNano": "1", "endTimeUnixNano": "2",
    "attributes": [{"key": "api_key", "value": {"stringValue": "plainvalue12345"}},
                   {"key": "user.name", "value": {"stringValue": "kept"}}]}]}]}]})";
  httplib::Client client("127.0.0.1", port);
  auto r = client.Post("/v1/traces", {{kAgentTokenHeader, agent->token}}, doc, "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  auto spans = run.spans("name = 'work'");
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].attributes["api_key"], "[REDACTED:secret]");
  EXPECT_EQ(spans[0].attributes["user.name"], "kept");
  receiver->finish_agent(*agent);  // closes otlp.jsonl
  std::ifstream in(run.dir + "/" + agent->target.agent_dir_rel + "/otlp.jsonl");
  std::string kept((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(kept.find("plainvalue12345"), std::string::npos) << kept;
  EXPECT_NE(kept.find("[REDACTED:secret]"), std::string::npos) << kept;
}

}  // namespace

// The sandbox's egress proxy with real sockets on 127.0.0.1: the allow-list, CONNECT tunnels and absolute-form
// requests to an allowed host (the agent's token taken off, not passed on), refusals, and the event every attempt
// leaves on the agent's span (or the run's, without a valid token).
#include "telemetry/egress_proxy.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

#include "telemetry/socket_pump.h"
#include "telemetry_test_util.h"

namespace telemetry {
namespace {

using testing::raw_http;
using testing::TelemetryRun;

TEST(EgressAllowList, ParsesAndMatches) {
  std::string why;
  auto a = parse_allowed_host("Registry.npmjs.org:443", why);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "registry.npmjs.org");
  EXPECT_EQ(a->port, 443);
  auto w = parse_allowed_host("*.pypi.org", why);
  ASSERT_TRUE(w);
  EXPECT_FALSE(parse_allowed_host("host:99999", why));
  EXPECT_FALSE(parse_allowed_host("a*b.com", why));
  std::vector<AllowedHost> allow = {*a, *w};
  EXPECT_TRUE(host_allowed(allow, "registry.npmjs.org", 443));
  EXPECT_FALSE(host_allowed(allow, "registry.npmjs.org", 80));
  EXPECT_TRUE(host_allowed(allow, "files.pypi.org", 1));
  EXPECT_FALSE(host_allowed(allow, "pypi.org", 443));
}

std::string base64(const std::string& in) {
  static const char* chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) v |= static_cast<unsigned char>(in[i + 2]);
    out += chars[(v >> 18) & 63];
    out += chars[(v >> 12) & 63];
    out += i + 1 < in.size() ? chars[(v >> 6) & 63] : '=';
    out += i + 2 < in.size() ? chars[v & 63] : '=';
  }
  return out;
}

// The "outside" host: answers one request per connection with the request head it received as the body.
class EchoHost {
 public:
  EchoHost() : fd_(sockets::listen_loopback(0)), port_(sockets::local_port(fd_)) {
    thread_ = std::thread([this] {
      for (int c; (c = sockets::accept_retry(fd_)) >= 0;) {
        std::string head;
        char buf[4096];
        ssize_t n;
        while (head.find("\r\n\r\n") == std::string::npos && (n = ::read(c, buf, sizeof buf)) > 0) head.append(buf, n);
        std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(head.size()) + "\r\n\r\n" + head;
        ssize_t w = ::write(c, answer.data(), answer.size());
        (void)w;
        ::close(c);
      }
    });
  }
  ~EchoHost() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }

 private:
  int fd_, port_;
  std::thread thread_;
};

class EgressProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    entry_ = tokens_.add(run_.agent(1));
    EgressProxyOptions options;
    options.allow = {AllowedHost{"127.0.0.1", 0}};
    options.run_span_id = run_.run_span;
    proxy_ = std::make_unique<EgressProxy>(*run_.store, tokens_, options);
    port_ = proxy_->start();
  }
  std::string auth() const { return "Proxy-Authorization: Basic " + base64("harness:" + entry_->token) + "\r\n"; }
  std::vector<trace::Event> egress_events() { return run_.events("type LIKE 'egress.%'"); }

  TelemetryRun run_;
  AgentTokens tokens_;
  std::shared_ptr<AgentTelemetryEntry> entry_;
  std::unique_ptr<EgressProxy> proxy_;
  int port_ = 0;
  EchoHost host_;
};

TEST_F(EgressProxyTest, AgentEnvCarriesTheTokenAndLeavesLoopbackDirect) {
  auto env = proxy_->agent_env("tok");
  EXPECT_EQ(env["HTTPS_PROXY"], "http://harness:tok@127.0.0.1:" + std::to_string(port_));
  EXPECT_EQ(env["no_proxy"], "127.0.0.1,localhost,::1");
}

TEST_F(EgressProxyTest, AbsoluteFormRequestIsForwardedWithoutTheProxyHeaders) {
  std::string answer = raw_http(port_, "GET http://127.0.0.1:" + std::to_string(host_.port()) +
                                           "/simple/pkg?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth() +
                                           "proxy-connection: keep-alive\r\nAccept: */*\r\n\r\n");
  EXPECT_EQ(answer.substr(0, answer.find("\r\n")), "HTTP/1.1 200 OK");
  std::string seen = answer.substr(answer.find("\r\n\r\n") + 4);
  EXPECT_EQ(seen, "GET /simple/pkg?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n");
  auto events = egress_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "egress.allowed");
  EXPECT_EQ(events[0].span_id, entry_->target.agent_span_id);
  EXPECT_EQ(events[0].payload["host"], "127.0.0.1");
  EXPECT_EQ(events[0].payload["port"], host_.port());
  EXPECT_EQ(events[0].payload["method"], "GET");
  EXPECT_EQ(events[0].payload["agent"], "g01-a01");
}

TEST_F(EgressProxyTest, ConnectTunnelsToAnAllowedHost) {
  // Bytes sent right after the CONNECT head go through the tunnel too.
  const std::string inner = "PING / HTTP/1.1\r\n\r\n";
  std::string answer =
      raw_http(port_, "CONNECT 127.0.0.1:" + std::to_string(host_.port()) + " HTTP/1.1\r\n" + auth() + "\r\n" + inner);
  EXPECT_EQ(answer, "HTTP/1.1 200 Connection established\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: " +
                        std::to_string(inner.size()) + "\r\n\r\n" + inner);
  auto events = egress_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "egress.allowed");
  EXPECT_EQ(events[0].payload["method"], "CONNECT");
}

TEST_F(EgressProxyTest, AHostNotAllowedIsRefusedAndRecorded) {
  std::string answer = raw_http(port_, "CONNECT Example.COM HTTP/1.1\r\n" + auth() + "\r\n");
  EXPECT_EQ(answer.substr(0, answer.find("\r\n")), "HTTP/1.1 403 Forbidden");
  EXPECT_NE(answer.find("harness sandbox: example.com:443 is not in sandbox.allow_hosts\n"), std::string::npos);
  auto events = egress_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "egress.denied");
  EXPECT_EQ(events[0].span_id, entry_->target.agent_span_id);
  EXPECT_EQ(events[0].payload["host"], "example.com");
  EXPECT_EQ(events[0].payload["port"], 443);
  EXPECT_FALSE(events[0].payload.contains("error"));
}

TEST_F(EgressProxyTest, BadRequestsAreRefused) {
  std::string answer = raw_http(port_, "nonsense\r\n\r\n");
  EXPECT_NE(answer.find("HTTP/1.1 400 Bad Request"), std::string::npos);
  EXPECT_NE(answer.find("harness egress proxy: malformed request line\n"), std::string::npos);
  EXPECT_TRUE(egress_events().empty());
  // A relative target, and no token: denied on the run span.
  answer = raw_http(port_, "GET /relative HTTP/1.1\r\nProxy-Authorization: Basic " + base64("harness:wrong") +
                               "\r\n\r\n");
  EXPECT_NE(answer.find("expected CONNECT host:port or an absolute http:// URL"), std::string::npos);
  auto events = egress_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "egress.denied");
  EXPECT_EQ(events[0].span_id, run_.run_span);
  EXPECT_EQ(events[0].payload["host"], "/relative");
  EXPECT_EQ(events[0].payload["error"], "not a CONNECT or absolute http:// request");
  EXPECT_FALSE(events[0].payload.contains("agent"));
}

TEST_F(EgressProxyTest, AnUnreachableAllowedHostIsA502) {
  std::string answer =
      raw_http(port_, "CONNECT 127.0.0.1:" + std::to_string(testing::closed_port()) + " HTTP/1.1\r\n" + auth() + "\r\n");
  EXPECT_EQ(answer.substr(0, answer.find("\r\n")), "HTTP/1.1 502 Bad Gateway");
  auto events = egress_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "egress.allowed");
  EXPECT_EQ(events[0].payload["error"], "Connection refused");
}

}  // namespace
}  // namespace telemetry

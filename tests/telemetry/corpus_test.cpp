// The malformed-input corpus of the run's servers (issue 18), over real HTTP on 127.0.0.1, each case in a
// forked child (tests/support/corpus/corpus_runner.h; the child starts its own servers):
// - the OTLP receiver: the OTLP fixtures mutated (tests/support/corpus/mutations.h) and POSTed with an
// agent's
//   token, plus bad HTTP (content types, tokens, gzip garbage, raw garbage requests). Each must get 200 (with
//   a partialSuccess when something was refused) or a 4xx with its reason; a 5xx or no answer is a failure.
// - the LLM proxy: mutated request bodies, and mutated upstream answers (SSE streams split at odd places,
// JSON
//   bodies, error statuses) from a local upstream. The agent must get the upstream's status and bytes
//   unchanged, and every call must end (its span written).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include "telemetry/llm_proxy.h"
#include "telemetry/otlp_receiver.h"
#include "telemetry_test_util.h"
#include "tests/support/corpus/mutations.h"

namespace telemetry {
namespace {

using namespace telemetry::testing;
using corpus::OrderedJson;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
std::string fixture(const std::string& rel) { return std::string(HARNESS_FIXTURES) + "/" + rel; }

// Sends raw bytes to 127.0.0.1:port and reads the answer until the server closes or 20 s pass (a bound: then
// the answer so far). What a well-behaved client never sends.
std::string raw_exchange(int port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{20, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    ::shutdown(fd, SHUT_WR);  // no more request: a server waiting for the rest sees the end
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) answer.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return answer;
}

int status_of(const std::string& answer) {
  return answer.rfind("HTTP/1.", 0) == 0 && answer.size() > 12 ? std::atoi(answer.c_str() + 9) : 0;
}

// ---- OTLP receiver ----

void add_otlp_cases(std::vector<corpus::Case>& cases, const std::string& signal, const std::string& file,
                    bool heavy) {
  std::string pretty = read_file(fixture("otlp-json/" + file));
  std::string compact = nlohmann::json::parse(pretty).dump();
  std::vector<corpus::Case> raw;
  corpus::add_byte_mutations(raw, signal + "|" + file, pretty, false, 5, heavy);
  for (auto& m : corpus::json_mutations(compact, 60, heavy))
    raw.push_back({signal + "|" + file + ": " + m.name, m.text, ""});
  for (auto& c : raw) cases.push_back(std::move(c));
}

struct ReceiverChild {
  TelemetryRun run;
  AgentTokens tokens;
  std::unique_ptr<OtlpReceiver> receiver;
  std::shared_ptr<AgentTelemetryEntry> agent;
  int port = 0;
  ReceiverChild() {
    OtlpReceiverOptions o;
    o.run_span_id = run.run_span;
    o.max_body_bytes = 4u << 20;
    o.worker_threads = 4;
    receiver = std::make_unique<OtlpReceiver>(*run.store, tokens, o);
    port = receiver->start();
    agent = tokens.add(run.agent(1));
  }
};

corpus::Verdict receiver_verdict(const corpus::Case& /*c*/, int status, const std::string& body) {
  if (status == 200) return body.find("partialSuccess") != std::string::npos ? corpus::error() : corpus::ok();
  if (status >= 400 && status < 500)
    return body.find("\"reason\"") != std::string::npos || body.find("error") != std::string::npos
               ? corpus::error()
               : corpus::failure(fmt::format("HTTP {} without a reason: {}", status, body.substr(0, 200)));
  return corpus::failure(fmt::format("HTTP {}: {}", status, body.substr(0, 300)));
}

corpus::MakeCheck receiver_check() {
  return []() -> corpus::Check {
    auto child = std::make_shared<ReceiverChild>();
    return [child](const corpus::Case& c) -> corpus::Verdict {
      if (c.name.rfind("raw|", 0) == 0) {
        std::string request = c.bytes;
        size_t at = request.find("{TOKEN}");
        if (at != std::string::npos) request.replace(at, 7, child->agent->token);
        std::string answer = raw_exchange(child->port, request);
        int status = status_of(answer);
        if (status == 0)
          return answer.empty() ? corpus::error("connection closed")
                                : corpus::failure("not HTTP: " + answer.substr(0, 100));
        return status >= 500 ? corpus::failure(answer.substr(0, 300)) : corpus::error();
      }
      std::string signal = c.name.substr(0, c.name.find('|'));
      httplib::Client client("127.0.0.1", child->port);
      client.set_read_timeout(std::chrono::seconds(30));
      httplib::Headers h{{kAgentTokenHeader, child->agent->token}};
      std::string type = "application/json";
      if (signal == "ctype") {  // the header's value in the case name after the second '|'
        type = c.name.substr(c.name.rfind('|') + 1);
        signal = "traces";
      } else if (signal == "token") {
        h = {{kAgentTokenHeader, c.name.substr(c.name.rfind('|') + 1)}};
        signal = "traces";
      } else if (signal == "gzip") {
        h.emplace("Content-Encoding", "gzip");
        signal = "traces";
      }
      auto r = client.Post(("/v1/" + signal).c_str(), h, c.bytes, type.c_str());
      if (!r) return corpus::failure("no answer: " + httplib::to_string(r.error()));
      return receiver_verdict(c, r->status, r->body);
    };
  };
}

void add_receiver_http_cases(std::vector<corpus::Case>& cases) {
  std::string doc = nlohmann::json::parse(read_file(fixture("otlp-json/trace.json"))).dump();
  for (const char* t : {"application/x-protobuf", "text/plain", "", "application/json; charset=latin1",
                        "json", "application/json\r\nX-Injected: 1"})
    cases.push_back({std::string("ctype|") + t, doc, ""});
  for (const char* t :
       {"", "nope", "\xff\xfe", "0000000000000000000000000000000000000000000000000000000000000000"})
    cases.push_back({std::string("token|") + t, doc, ""});
  std::mt19937 rng(9);
  cases.push_back({"gzip|garbage", corpus::random_bytes(rng, 4096, true), ""});
  cases.push_back({"gzip|gzip magic then garbage",
                   std::string("\x1f\x8b\x08\x00", 4) + corpus::random_bytes(rng, 512, true), ""});
  cases.push_back({"gzip|empty", "", ""});
  auto raw = [&](std::string name, std::string bytes) {
    cases.push_back({"raw|" + name, std::move(bytes), ""});
  };
  raw("garbage", corpus::random_bytes(rng, 2048, true));
  raw("no version", "POST /v1/traces\r\n\r\n");
  raw("header without colon", "POST /v1/traces HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n");
  raw("huge header", "POST /v1/traces HTTP/1.1\r\nX-Big: " + std::string(100000, 'b') + "\r\n\r\n");
  raw("negative length",
      "POST /v1/traces HTTP/1.1\r\nContent-Length: -5\r\nx-harness-agent-token: {TOKEN}\r\n"
      "Content-Type: application/json\r\n\r\n{}");
  raw("length overflow", "POST /v1/traces HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n{}");
  raw("bad chunk size",
      "POST /v1/traces HTTP/1.1\r\nTransfer-Encoding: chunked\r\nx-harness-agent-token: {TOKEN}\r\n"
      "Content-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n");
  raw("chunk size overflow",
      "POST /v1/traces HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n{}\r\n");
  raw("nul in request line", std::string("POST /v1/tr\0aces HTTP/1.1\r\n\r\n", 30));
  // A refusal's reason quotes the path: dumping it threw on invalid UTF-8, in httplib's error handler
  // std::terminate (the whole run died). rejection_body() writes with trace::json_text now.
  raw("bad utf8 path", "POST /v1/\xff\xfe HTTP/1.1\r\n\r\n");
  raw("GET", "GET /v1/traces HTTP/1.1\r\n\r\n");
  raw("huge path", "POST /" + std::string(100000, 'p') + " HTTP/1.1\r\n\r\n");
}

TEST(ServerCorpus, OtlpReceiver) {
  std::vector<corpus::Case> cases;
  add_otlp_cases(cases, "traces", "trace.json", true);
  add_otlp_cases(cases, "logs", "logs.json", false);
  add_otlp_cases(cases, "logs", "events.json", false);
  add_receiver_http_cases(cases);
  auto t = corpus::run_cases("otlp-receiver", cases, receiver_check());
  corpus::print(t);
  EXPECT_TRUE(t.clean()) << t.summary();
}

// ---- LLM proxy ----

// The upstream double: answers every POST with what the test set for the next call (status, content type,
// body split into chunks of the given sizes), under a mutex (the proxy's upstream thread reads it).
class CorpusUpstream {
 public:
  struct Answer {
    int status = 200;
    std::string content_type = "text/event-stream";
    std::string body;
    size_t chunk = 4096;
  };
  CorpusUpstream() {
    server_.Post(R"(/.*)", [this](const httplib::Request&, httplib::Response& res) {
      Answer a;
      {
        std::lock_guard lock(mu_);
        a = next_;
      }
      res.status = a.status;
      auto shared = std::make_shared<Answer>(std::move(a));
      res.set_chunked_content_provider(shared->content_type,
                                       [shared](size_t offset, httplib::DataSink& sink) {
                                         if (offset >= shared->body.size()) {
                                           sink.done();
                                           return true;
                                         }
                                         size_t n = std::min(shared->chunk, shared->body.size() - offset);
                                         return sink.write(shared->body.data() + offset, n);
                                       });
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }
  ~CorpusUpstream() {
    server_.stop();
    thread_.join();
  }
  void set(Answer a) {
    std::lock_guard lock(mu_);
    next_ = std::move(a);
  }
  std::string url(const std::string& prefix = "") const {
    return "http://127.0.0.1:" + std::to_string(port_) + prefix;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  Answer next_;
};

std::string sse_event(const std::string& type, const OrderedJson& data) {
  return "event: " + type + "\ndata: " + corpus::dump(data) + "\n\n";
}

// Anthropic Messages SSE as the API streams it, for the assistant messages of the real stream-json capture.
std::string anthropic_stream_from_fixture() {
  std::ifstream in(fixture("claude-stream-json/hive-mind_issue-2301_background-disabled.jsonl"));
  std::string out;
  int messages = 0;
  for (std::string line; std::getline(in, line) && messages < 3;) {
    OrderedJson j = OrderedJson::parse(line, nullptr, false);
    if (!j.is_object() || j.value("type", "") != "assistant" || !j["message"].is_object()) continue;
    OrderedJson m = j["message"];
    OrderedJson start = m;
    start["content"] = OrderedJson::array();
    out += sse_event("message_start", {{"type", "message_start"}, {"message", start}});
    int index = 0;
    for (const auto& block : m["content"]) {
      std::string kind = block.value("type", "text");
      OrderedJson empty = block;
      OrderedJson delta;
      if (kind == "tool_use") {
        empty["input"] = OrderedJson::object();
        delta = {{"type", "input_json_delta"}, {"partial_json", corpus::dump(block["input"])}};
      } else if (kind == "thinking") {
        empty["thinking"] = "";
        delta = {{"type", "thinking_delta"}, {"thinking", block.value("thinking", "")}};
      } else {
        empty["text"] = "";
        delta = {{"type", "text_delta"}, {"text", block.value("text", "")}};
      }
      out += sse_event("content_block_start",
                       {{"type", "content_block_start"}, {"index", index}, {"content_block", empty}});
      out += sse_event("content_block_delta",
                       {{"type", "content_block_delta"}, {"index", index}, {"delta", delta}});
      out += sse_event("content_block_stop", {{"type", "content_block_stop"}, {"index", index}});
      ++index;
    }
    out += sse_event("message_delta", {{"type", "message_delta"},
                                       {"delta", {{"stop_reason", "tool_use"}}},
                                       {"usage", m.value("usage", OrderedJson::object())}});
    out += sse_event("message_stop", {{"type", "message_stop"}});
    ++messages;
  }
  return out;
}

// OpenAI Responses SSE carrying the agent message of the real Codex capture, with usage.
std::string openai_stream_from_fixture() {
  std::ifstream in(fixture("codex-exec-json/agent-wrappers_streaming.jsonl"));
  std::string text = "done";
  for (std::string line; std::getline(in, line);) {
    OrderedJson j = OrderedJson::parse(line, nullptr, false);
    if (j.is_object() && j["item"].is_object() && j["item"].value("text", "") != "") text = j["item"]["text"];
  }
  OrderedJson resp = {{"id", "resp_1"},
                      {"object", "response"},
                      {"model", "gpt-5-codex"},
                      {"status", "in_progress"},
                      {"output", OrderedJson::array()}};
  OrderedJson item = {
      {"id", "msg_1"}, {"type", "message"}, {"role", "assistant"}, {"content", OrderedJson::array()}};
  std::string out = sse_event("response.created", {{"type", "response.created"}, {"response", resp}});
  out += sse_event("response.output_item.added",
                   {{"type", "response.output_item.added"}, {"output_index", 0}, {"item", item}});
  out += sse_event(
      "response.output_text.delta",
      {{"type", "response.output_text.delta"}, {"output_index", 0}, {"content_index", 0}, {"delta", text}});
  item["content"] = OrderedJson::array({{{"type", "output_text"}, {"text", text}}});
  out += sse_event("response.output_item.done",
                   {{"type", "response.output_item.done"}, {"output_index", 0}, {"item", item}});
  resp["status"] = "completed";
  resp["output"] = OrderedJson::array({item});
  resp["usage"] = {
      {"input_tokens", 1200}, {"input_tokens_details", {{"cached_tokens", 200}}}, {"output_tokens", 40}};
  out += sse_event("response.completed", {{"type", "response.completed"}, {"response", resp}});
  return out;
}

// The JSON-level mutations of each event's data line (up to `kinds` kinds of event), each in the whole
// stream.
void add_sse_cases(std::vector<corpus::Case>& cases, const std::string& label, const std::string& stream,
                   size_t kinds, size_t max_paths) {
  corpus::add_byte_mutations(cases, label, stream, true, 21, false);
  auto lines = corpus::split_lines(stream);
  std::vector<std::string> data;
  std::vector<size_t> at;
  for (size_t i = 0; i < lines.size(); ++i)
    if (lines[i].rfind("data: ", 0) == 0) data.push_back(lines[i].substr(6)), at.push_back(i);
  for (size_t k : corpus::lines_of_each_kind(data, kinds)) {
    for (auto& m : corpus::json_mutations(data[k], max_paths, k == 0)) {
      auto copy = lines;
      copy[at[k]] = "data: " + m.text;
      cases.push_back({label + ": event " + std::to_string(k) + " " + m.name, corpus::join_lines(copy), ""});
    }
  }
}

struct ProxyChild {
  TelemetryRun run;
  AgentTokens tokens;
  CorpusUpstream upstream;
  std::unique_ptr<LlmProxy> proxy;
  std::shared_ptr<AgentTelemetryEntry> agent;
  int port = 0;
  int64_t calls = 0;
  std::string good_anthropic = anthropic_stream_from_fixture();
  ProxyChild() {
    LlmProxyOptions o;
    o.run_span_id = run.run_span;
    o.anthropic_upstream = upstream.url();
    o.openai_upstream = upstream.url("/v1");
    o.max_request_bytes = 8u << 20;
    o.worker_threads = 4;
    o.read_timeout = std::chrono::seconds(30);
    proxy = std::make_unique<LlmProxy>(*run.store, tokens, o);
    port = proxy->start();
    agent = tokens.add(run.agent(1));
  }
};

corpus::MakeCheck proxy_check() {
  return []() -> corpus::Check {
    auto child = std::make_shared<ProxyChild>();
    return [child](const corpus::Case& c) -> corpus::Verdict {
      if (c.name.rfind("raw|", 0) == 0) {  // a request line or path an SDK never sends
        std::string request = c.bytes;
        size_t at = request.find("{TOKEN}");
        if (at != std::string::npos) request.replace(at, 7, child->agent->token);
        std::string answer = raw_exchange(child->port, request);
        int status = status_of(answer);
        if (status == 0)
          return answer.empty() ? corpus::error("connection closed")
                                : corpus::failure("not HTTP: " + answer.substr(0, 100));
        return status >= 500 ? corpus::failure(answer.substr(0, 300)) : corpus::error();
      }
      // "<what>-<provider>|...": what the case mutates (sse, json: the upstream's answer; req: the request
      // body).
      std::string head = c.name.substr(0, c.name.find('|'));
      std::string what = head.substr(0, head.find('-')), provider = head.substr(head.find('-') + 1);
      int64_t n = child->calls++;
      CorpusUpstream::Answer answer;
      std::string request = R"({"model":"claude-sonnet-4-5","max_tokens":1024,"stream":true,)"
                            R"("messages":[{"role":"user","content":"hi"}]})";
      if (what == "req") {
        request = c.bytes;
        answer.body = child->good_anthropic;
      } else {
        answer.body = c.bytes;
        answer.chunk = 1 + static_cast<size_t>(n * 7919 % 300);  // SSE split at odd places
        if (what == "json") {
          answer.content_type = "application/json";
          const int statuses[] = {200, 400, 429, 500, 529};
          answer.status = statuses[n % 5];
        }
      }
      child->upstream.set(answer);
      httplib::Client client("127.0.0.1", child->port);
      client.set_read_timeout(std::chrono::seconds(30));
      std::string path = "/" + child->agent->token + "/" + provider +
                         (provider == "anthropic" ? "/v1/messages" : "/responses");
      auto r = client.Post(path.c_str(), {{"x-api-key", "sk-test"}}, request, "application/json");
      if (!r) return corpus::failure("no answer: " + httplib::to_string(r.error()));
      if (r->status != answer.status)
        return corpus::failure(fmt::format("HTTP {} instead of the upstream's {}: {}", r->status,
                                           answer.status, r->body.substr(0, 200)));
      if (r->body != answer.body)
        return corpus::failure(fmt::format("body changed on its way ({} bytes sent, {} received)",
                                           answer.body.size(), r->body.size()));
      if (n % 10 == 9 &&
          !child->proxy->wait_idle(child->agent->target.agent_span_id, std::chrono::seconds(30)))
        return corpus::failure("a call never ended (its span was not written)");
      return answer.status != 200 ? corpus::error() : corpus::ok();  // error: an upstream error passed on
    };
  };
}

TEST(ServerCorpus, LlmProxy) {
  std::vector<corpus::Case> cases;
  std::string anthropic = anthropic_stream_from_fixture(), openai = openai_stream_from_fixture();
  ASSERT_NE(anthropic.find("message_start"), std::string::npos);
  add_sse_cases(cases, "sse-anthropic|stream", anthropic, 6, 25);
  add_sse_cases(cases, "sse-openai|responses", openai, 4, 25);
  {
    std::ifstream in(fixture("claude-stream-json/hive-mind_issue-2301_background-disabled.jsonl"));
    std::string message;
    for (std::string line; std::getline(in, line) && message.empty();)
      if (line.find("\"type\":\"assistant\"") != std::string::npos)
        message = nlohmann::json::parse(line)["message"].dump();
    corpus::add_byte_mutations(cases, "json-anthropic|message", message, false, 22, true);
    for (auto& m : corpus::json_mutations(message, 25))
      cases.push_back({"json-anthropic|message: " + m.name, m.text, ""});
  }
  std::string request = R"({"model":"claude-sonnet-4-5","max_tokens":1024,"stream":true,"system":"be brief",)"
                        R"("messages":[{"role":"user","content":[{"type":"text","text":"Run the tests"}]}]})";
  corpus::add_byte_mutations(cases, "req-anthropic|request", request, false, 23, true);
  for (auto& m : corpus::json_mutations(request, 20))
    cases.push_back({"req-anthropic|request: " + m.name, m.text, ""});
  auto raw = [&](std::string name, std::string bytes, std::string known = "") {
    cases.push_back({"raw|" + name, std::move(bytes), std::move(known)});
  };
  raw("no token", "POST /anthropic/v1/messages HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}");
  raw("unknown provider", "POST /{TOKEN}/gemini/v1 HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}");
  raw("root", "POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}");
  raw("dot segments", "POST /{TOKEN}/anthropic/../../etc/passwd HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}");
  raw("query only", "POST /{TOKEN}/anthropic?x=%ff HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}");
  raw("DELETE", "DELETE /{TOKEN}/anthropic/v1/messages HTTP/1.1\r\n\r\n");
  raw("garbage", corpus::random_bytes(*std::make_unique<std::mt19937>(4), 2048, true));
  // As in the receiver: the refusal quotes the path.
  raw("bad utf8 provider", "POST /{TOKEN}/\xff\xfe/v1 HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}");
  raw("bad utf8 unrouted path", "PUT /\xff HTTP/1.1\r\n\r\n");
  auto t = corpus::run_cases("llm-proxy", cases, proxy_check());
  corpus::print(t);
  EXPECT_TRUE(t.clean()) << t.summary();
}

}  // namespace
}  // namespace telemetry

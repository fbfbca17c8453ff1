// bench_llm_proxy: what the run's LLM proxy adds to a streamed model call, and what the OTLP receiver takes in.
//  1. A scripted upstream streams 500 SSE events per call; the same request goes straight to it and through the
//     proxy, interleaved, in the same run: p50/p99 of the whole call and of the first byte, and the overhead.
//     Every proxied body is checked: the same events in the same order, none merged away or reordered.
//  2. The OTLP receiver: spans/s over HTTP into the run store, against decoding the same documents straight into
//     a store (no HTTP) as the baseline.
// Usage: bench_llm_proxy [calls=200] [documents=200] [spans_per_document=100]. Exit 1 when a stream differs.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <httplib.h>

#include "telemetry/llm_proxy.h"
#include "telemetry/otlp_receiver.h"
#include "telemetry/sse_parser.h"
#include "trace/ids.h"
#include "trace/otlp_json.h"
#include "trace/store.h"

using Clock = std::chrono::steady_clock;
using trace::Json;

namespace {

constexpr int kChunks = 500;

std::vector<std::string> scripted_stream() {
  std::vector<std::string> c;
  c.push_back("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"bench\","
              "\"usage\":{\"input_tokens\":1000,\"output_tokens\":1}}}\n\n");
  for (int i = 0; i < kChunks - 2; ++i)
    c.push_back(fmt::format("event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,"
                            "\"delta\":{{\"type\":\"text_delta\",\"text\":\"token {} \"}}}}\n\n", i));
  c.push_back("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
              "\"usage\":{\"output_tokens\":498}}\n\n");
  return c;
}

struct Call {
  double total_ms = 0, first_byte_ms = 0;
  std::string body;
};

Call post(int port, const std::string& path, const std::string& body) {
  httplib::Client c("127.0.0.1", port);
  c.set_tcp_nodelay(true);
  httplib::Request req;
  req.method = "POST";
  req.path = path;
  req.headers = {{"Content-Type", "application/json"}, {"x-api-key", "sk-ant-bench"}};
  req.body = body;
  Call call;
  auto start = Clock::now();
  req.content_receiver = [&](const char* d, size_t n, uint64_t, uint64_t) {
    if (call.body.empty())
      call.first_byte_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    call.body.append(d, n);
    return true;
  };
  httplib::Response res;
  httplib::Error err;
  if (!c.send(req, res, err)) fmt::print(stderr, "request failed: {}\n", httplib::to_string(err));
  call.total_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  return call;
}

std::vector<std::string> events_of(const std::string& body) {
  std::vector<std::string> out;
  telemetry::SseParser p([&](const telemetry::SseEvent& e) { out.push_back(e.event + "\n" + e.data); });
  p.feed(body);
  p.finish();
  return out;
}

double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5))];
}

Json otlp_document(int doc, int spans) {
  Json list = Json::array();
  for (int i = 0; i < spans; ++i) {
    Json s = {{"traceId", "5b8efff798038103d269b633813fc60c"},
              {"spanId", fmt::format("{:016x}", doc * 100000 + i + 1)},
              {"name", "chat bench"},
              {"startTimeUnixNano", "1000"},
              {"endTimeUnixNano", "2000"},
              {"attributes", Json::array({{{"key", "gen_ai.operation.name"}, {"value", {{"stringValue", "chat"}}}},
                                          {{"key", "gen_ai.usage.input_tokens"}, {"value", {{"intValue", "10"}}}}})}};
    if (i) s["parentSpanId"] = fmt::format("{:016x}", doc * 100000 + 1);
    list.push_back(std::move(s));
  }
  return {{"resourceSpans", {{{"scopeSpans", {{{"spans", list}}}}}}}};
}

}  // namespace

int main(int argc, char** argv) {
  int calls = argc > 1 ? std::atoi(argv[1]) : 200;
  int documents = argc > 2 ? std::atoi(argv[2]) : 200;
  int per_document = argc > 3 ? std::atoi(argv[3]) : 100;
  std::string dir = (std::filesystem::temp_directory_path() / fmt::format("bench-llm-proxy-{}", getpid())).string();
  std::filesystem::create_directories(dir);
  int exit_code = 0;
  {
    auto store = trace::Store::open(dir + "/run.db");
    std::string trace_id = trace::random_trace_id();
    telemetry::AgentTokens tokens;
    auto agent = tokens.add({trace_id, trace::derive_span_id(trace_id, "agent"), "g01-a01", dir, "gen-001/agent-01"});

    // --- 1. proxy latency ---
    std::vector<std::string> chunks = scripted_stream();
    std::string expected_body;
    for (const auto& c : chunks) expected_body += c;
    std::vector<std::string> expected_events = events_of(expected_body);
    httplib::Server upstream;
    upstream.set_tcp_nodelay(true);
    upstream.Post("/v1/messages", [&](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/event-stream", [&](size_t, httplib::DataSink& sink) {
        for (const auto& c : chunks)
          if (!sink.write(c.data(), c.size())) return false;
        sink.done();
        return true;
      });
    });
    int upstream_port = upstream.bind_to_any_port("127.0.0.1");
    std::thread upstream_thread([&] { upstream.listen_after_bind(); });
    while (!upstream.is_running()) std::this_thread::yield();  // httplib's stop() is a no-op before this
    telemetry::LlmProxyOptions po;
    po.anthropic_upstream = po.openai_upstream = fmt::format("http://127.0.0.1:{}", upstream_port);
    telemetry::LlmProxy proxy(*store, tokens, po);
    int proxy_port = proxy.start();
    std::string request = R"({"model":"bench","stream":true,"max_tokens":1000})";
    std::string proxied_path = "/" + agent->token + "/anthropic/v1/messages";
    for (int i = 0; i < 5; ++i) post(upstream_port, "/v1/messages", request), post(proxy_port, proxied_path, request);
    std::vector<double> direct, proxied, direct_first, proxied_first;
    int mismatches = 0;
    for (int i = 0; i < calls; ++i) {
      Call d = post(upstream_port, "/v1/messages", request);
      Call p = post(proxy_port, proxied_path, request);
      direct.push_back(d.total_ms);
      proxied.push_back(p.total_ms);
      direct_first.push_back(d.first_byte_ms);
      proxied_first.push_back(p.first_byte_ms);
      if (p.body != expected_body || events_of(p.body) != expected_events) ++mismatches;
    }
    proxy.stop();
    upstream.stop();
    upstream_thread.join();
    fmt::print("llm proxy: {} calls of a {}-event SSE stream ({} bytes), direct vs through the proxy, interleaved\n",
               calls, expected_events.size(), expected_body.size());
    fmt::print("  whole call   direct p50 {:.3f} ms  p99 {:.3f} ms | proxied p50 {:.3f} ms  p99 {:.3f} ms\n",
               pct(direct, .5), pct(direct, .99), pct(proxied, .5), pct(proxied, .99));
    fmt::print("  first byte   direct p50 {:.3f} ms  p99 {:.3f} ms | proxied p50 {:.3f} ms  p99 {:.3f} ms\n",
               pct(direct_first, .5), pct(direct_first, .99), pct(proxied_first, .5), pct(proxied_first, .99));
    double over50 = pct(proxied, .5) - pct(direct, .5), over99 = pct(proxied, .99) - pct(direct, .99);
    fmt::print("  overhead     p50 {:.3f} ms  p99 {:.3f} ms (target p99 < 2 ms: {}); ratio proxied/direct p50 {:.2f}x "
               "p99 {:.2f}x\n",
               over50, over99, over99 < 2.0 ? "met" : "MISSED", pct(proxied, .5) / pct(direct, .5),
               pct(proxied, .99) / pct(direct, .99));
    fmt::print("  streams      {} of {} proxied bodies identical, events in order ({} reordered or merged)\n",
               calls - mismatches, calls, mismatches);
    if (mismatches) exit_code = 1;

    // --- 2. OTLP receiver throughput ---
    std::vector<std::string> bodies;
    for (int i = 0; i < documents; ++i) bodies.push_back(otlp_document(i, per_document).dump());
    telemetry::OtlpReceiverOptions ro;
    ro.run_span_id = trace::derive_span_id(trace_id, "run");
    telemetry::OtlpReceiver receiver(*store, tokens, ro);
    int receiver_port = receiver.start();
    httplib::Client c("127.0.0.1", receiver_port);
    c.set_keep_alive(true);
    c.set_tcp_nodelay(true);  // else Nagle holds each body back behind its headers (40 ms delayed ACK)
    httplib::Headers h = {{telemetry::kAgentTokenHeader, agent->token}};
    auto start = Clock::now();
    for (const auto& b : bodies)
      if (auto r = c.Post("/v1/traces", h, b, "application/json"); !r || r->status != 200) exit_code = 1;
    store->flush();
    double http_s = std::chrono::duration<double>(Clock::now() - start).count();
    receiver.stop();

    auto baseline_store = trace::Store::open(dir + "/baseline.db");
    trace::RawInputSink sink(*baseline_store, 1);
    trace::DecodeContext ctx;
    ctx.sink = &sink;
    ctx.trace_id = trace_id;
    ctx.parent_span_id = agent->target.agent_span_id;
    ctx.scope = "baseline";
    trace::OtlpDocumentDecoder decoder(ctx);
    start = Clock::now();
    for (const auto& b : bodies) decoder.decode(Json::parse(b), 0);
    decoder.finish();
    baseline_store->flush();
    double direct_s = std::chrono::duration<double>(Clock::now() - start).count();
    double spans = static_cast<double>(documents) * per_document;
    fmt::print("otlp receiver: {} documents of {} spans over HTTP: {:.0f} spans/s ({:.1f} ms); decoding straight "
               "into a store: {:.0f} spans/s; ratio {:.2f}x\n",
               documents, per_document, spans / http_s, http_s * 1e3, spans / direct_s, http_s / direct_s);
  }
  std::filesystem::remove_all(dir);
  return exit_code;
}

// The run's LLM API proxy: an agent's ANTHROPIC_BASE_URL / OPENAI_BASE_URL point at
// http://127.0.0.1:PORT/<agent token>/anthropic and .../openai; each request is forwarded to the configured upstream
// (http or https) with its headers (keys included, never stored), and the response is passed back as it arrives:
// SSE chunk by chunk, in order, never buffered whole. Each call becomes an llm span under the agent's span
// (llm_call.h). Upstream errors reach the agent unchanged; an unreachable upstream gets 502 with a clear body; a
// client that disconnects mid-stream aborts the upstream request and the span says so.
// Thread-safety: each call runs on a server worker plus one thread of its own for the upstream request (they share
// a queue under the call's mutex); spans go straight to the Store (thread-safe). start/stop from one owner thread.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "telemetry/agent_tokens.h"
#include "telemetry/loopback_server.h"
#include "telemetry/spend_ledger.h"
#include "trace/price_table.h"
#include "trace/store.h"

namespace telemetry {

struct LlmProxyOptions {
  std::string run_span_id;         // refusals without a valid token are recorded here
  std::string anthropic_upstream;  // e.g. https://api.anthropic.com (a path prefix is allowed)
  std::string openai_upstream;     // e.g. https://api.openai.com/v1
  size_t max_request_bytes = 64u << 20;
  size_t worker_threads = 256;  // the most connections at once: each streamed response holds one throughout
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds read_timeout{600};  // silence from the upstream longer than this ends the call
  // Each call's dollars (its span's cost and harness.usage.priced_cost_usd); null = the built-in table.
  const trace::PriceTable* prices = nullptr;
  // Budgets before the spend: a call is admitted only while its agent, generation and run have budget left, and
  // each forwarded call's usage is added. Null = no budgets at the proxy. Not owned; outlives the proxy.
  SpendLedger* ledger = nullptr;
};

struct LlmProxyCounters {
  std::atomic<int64_t> calls{0};
  std::atomic<int64_t> failed{0};   // upstream unreachable or cut short, or client gone
  std::atomic<int64_t> rejected{0};
  std::atomic<int64_t> over_budget{0};  // answered with the budget error instead of being forwarded
};

// "https://host:443/v1" -> {"https://host:443", "/v1"}; nullopt-like empty scheme_host_port when not http(s).
struct UpstreamUrl {
  std::string scheme_host_port;
  std::string path_prefix;  // without a trailing '/'
};
std::optional<UpstreamUrl> parse_upstream_url(const std::string& url);

struct ProxyCall;

class LlmProxy {
 public:
  // Throws std::invalid_argument for an upstream that is not an http(s) URL.
  LlmProxy(trace::Store& store, AgentTokens& tokens, LlmProxyOptions options);
  ~LlmProxy();
  int start();
  // Aborts calls in flight (their spans are recorded as such), then stops the server.
  void stop();
  std::string base_url() const { return server_.base_url(); }
  // Waits (at most `limit`) until no call of the agent whose span is `agent_span_id` is still in flight, so its
  // llm spans are all written: once the agent's process is gone its connections close and its calls end at once.
  // False when one was still running at the limit.
  bool wait_idle(const std::string& agent_span_id, std::chrono::milliseconds limit);
  // ANTHROPIC_BASE_URL and OPENAI_BASE_URL for the agent with `token`.
  std::map<std::string, std::string> agent_env(const std::string& token) const;
  const LlmProxyCounters& counters() const { return counters_; }

 private:
  void handle(const httplib::Request& req, httplib::Response& res);
  // handle()'s steps, on the server worker: the call and its upstream client (registered for stop()); the upstream
  // request on a thread of its own; the answer to the agent (a 502, a whole JSON body, or the SSE stream as it
  // arrives, stream_response()).
  std::shared_ptr<ProxyCall> begin_call(AgentTelemetryEntry& agent, const std::string& provider,
                                        const std::string& rest, const std::string& body,
                                        const std::string& upstream_url, const UpstreamUrl& upstream);
  void start_upstream(const std::shared_ptr<ProxyCall>& call, const httplib::Request& req, std::string path);
  void respond(const std::shared_ptr<ProxyCall>& call, httplib::Response& res);
  void stream_response(const std::shared_ptr<ProxyCall>& call, httplib::Response& res,
                       const std::string& content_type);
  void reject(httplib::Response& res, const std::string& span_id, int status, const std::string& reason,
              const std::string& path, size_t bytes);
  // The API-shaped answer to a call over budget (HTTP 400 the CLIs show and do not retry), recorded as event
  // budget.refused on the agent span.
  void refuse_over_budget(httplib::Response& res, const AgentTelemetryEntry& agent, const std::string& provider,
                          const Refusal& refusal, const std::string& path);
  void finish_call(const std::shared_ptr<ProxyCall>& call, const std::string& failure);

  trace::Store& store_;
  AgentTokens& tokens_;
  LlmProxyOptions options_;
  LlmProxyCounters counters_;
  std::mutex calls_mu_;
  std::set<std::shared_ptr<ProxyCall>> calls_;  // in flight, for stop()
  LoopbackServer server_;
};

}  // namespace telemetry

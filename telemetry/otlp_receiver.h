// The run's OTLP/HTTP receiver: POST /v1/traces and /v1/logs (JSON) on 127.0.0.1, one per run. Each agent sends
// with its own token (header x-harness-agent-token), so its spans and logs are decoded (trace/otlp_json.h) under
// its own agent span and nowhere else; each document is also appended, redacted, to the agent's otlp.jsonl, a raw
// input `harness trace rebuild` decodes again. Refusals: 401 unknown token, 413 body over the limit, 415 protobuf
// or another non-JSON body, 400 malformed JSON, 404 other paths; each recorded as a telemetry.rejected event.
// Thread-safety: handlers run on the server's threads and write straight to the Store (thread-safe, one recursive
// mutex); each agent's decoder is guarded by its entry's otlp_mu. start/stop/finish_agent from one owner thread.
#pragma once

#include <atomic>
#include <map>
#include <string>

#include "telemetry/agent_tokens.h"
#include "telemetry/loopback_server.h"
#include "trace/store.h"

namespace telemetry {

inline constexpr const char* kAgentTokenHeader = "x-harness-agent-token";

struct OtlpReceiverOptions {
  std::string run_span_id;                // refusals without a valid token are recorded here
  size_t max_body_bytes = 16u << 20;      // larger bodies get 413
  uint64_t raw_limit = 64ull << 20;       // per agent: otlp.jsonl kept up to this; decoding goes on past it
  size_t worker_threads = 256;  // the most connections answered at once (held sockets must not starve others)
};

struct OtlpReceiverCounters {
  std::atomic<int64_t> documents{0};
  std::atomic<int64_t> spans{0};   // span writes
  std::atomic<int64_t> events{0};
  std::atomic<int64_t> rejected{0};
};

class OtlpReceiver {
 public:
  OtlpReceiver(trace::Store& store, AgentTokens& tokens, OtlpReceiverOptions options);
  ~OtlpReceiver();
  // Returns the port. Throws std::runtime_error when no port can be bound.
  int start();
  void stop();
  std::string endpoint() const { return server_.base_url(); }
  // What an agent with `token` gets in its environment (OTEL_EXPORTER_OTLP_ENDPOINT, _PROTOCOL, _HEADERS).
  std::map<std::string, std::string> agent_env(const std::string& token) const;
  // After the agent's token was removed: settles spans still waiting for a parent, closes its raw file.
  void finish_agent(AgentTelemetryEntry& entry);
  const OtlpReceiverCounters& counters() const { return counters_; }

 private:
  enum class Signal { traces, logs, metrics };
  void handle(Signal signal, const httplib::Request& req, httplib::Response& res,
              const httplib::ContentReader& reader);
  void reject(httplib::Response& res, const std::string& span_id, int status, const std::string& reason,
              const httplib::Request& req);
  void decode(AgentTelemetryEntry& entry, std::string& body, httplib::Response& res);

  trace::Store& store_;
  AgentTokens& tokens_;
  OtlpReceiverOptions options_;
  OtlpReceiverCounters counters_;
  LoopbackServer server_;
};

}  // namespace telemetry

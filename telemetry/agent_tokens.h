// Per-agent tokens of a run's telemetry servers (OTLP receiver, LLM proxy): a token names the agent span that what
// arrives with it belongs under, so one agent's telemetry can never land under another's. Thread-safe (one mutex);
// entries are shared_ptrs so a request in flight keeps its entry alive after the agent has ended.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace telemetry {

// Where one agent's telemetry goes.
struct TelemetryTarget {
  std::string trace_id;
  std::string agent_span_id;
  std::string agent_id;  // g01-a02: stored as harness.agent
  std::string run_dir;   // absolute; raw copies go under it
  std::string agent_dir_rel;  // the agent's folder relative to run_dir (gen-001/agent-02)
};

struct OtlpAgentState;  // the receiver's per-agent decoder and raw file (otlp_receiver.cpp)

struct AgentTelemetryEntry {
  std::string token;
  TelemetryTarget target;
  std::atomic<int64_t> llm_calls{0};  // numbers the proxy's llm spans of this agent
  std::mutex otlp_mu;                 // guards otlp (documents of one agent are decoded one at a time)
  std::shared_ptr<OtlpAgentState> otlp;
};

class AgentTokens {
 public:
  // Registers an agent; returns its entry with a fresh random token (32 hex chars).
  std::shared_ptr<AgentTelemetryEntry> add(const TelemetryTarget& target);
  // nullptr for an unknown, removed or empty token.
  std::shared_ptr<AgentTelemetryEntry> find(const std::string& token) const;
  // Removes the token (later requests with it are refused); returns the entry, nullptr when unknown.
  std::shared_ptr<AgentTelemetryEntry> remove(const std::string& token);

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<AgentTelemetryEntry>> by_token_;
};

}  // namespace telemetry

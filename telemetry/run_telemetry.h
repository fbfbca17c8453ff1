// The run's telemetry servers together: the OTLP/HTTP receiver, the LLM proxy and the sandbox's egress proxy
// (each optional), their shared
// token table, and what each agent gets in its environment. Started on `harness run`/`resume`, stopped at the end.
// Thread-safety: begin_agent/end_agent/start/stop are called from the generation loop's thread; the servers'
// own threads write to the Store (thread-safe) and never touch the loop's state.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <vector>
#include <string>

#include "telemetry/agent_tokens.h"
#include "telemetry/egress_proxy.h"
#include "telemetry/llm_proxy.h"
#include "telemetry/otlp_receiver.h"

namespace telemetry {

struct TelemetryOptions {
  bool otlp_receiver = true;
  bool proxy = false;
  std::string anthropic_upstream = "https://api.anthropic.com";
  std::string openai_upstream = "https://api.openai.com/v1";
  size_t otlp_max_body_bytes = 16u << 20;
  uint64_t otlp_raw_limit = 64ull << 20;  // per agent's otlp.jsonl
  size_t proxy_max_request_bytes = 64u << 20;
  // Sandboxed agents' egress proxy (egress_proxy.h): it runs when set, allowing only these hosts (may be empty:
  // every attempt is then denied, and recorded).
  std::optional<std::vector<AllowedHost>> egress_allow;
  // The proxy's price table (null = built-in) and the run's ledger (null = no budgets at the proxy); not owned.
  const trace::PriceTable* prices = nullptr;
  SpendLedger* ledger = nullptr;
};

struct AgentTelemetry {
  std::string token;                        // empty when neither server runs
  std::map<std::string, std::string> env;   // set on the agent's LaunchSpec
};

class RunTelemetry {
 public:
  // run_span_id: where refusals without a valid token are recorded. Throws std::invalid_argument for a bad
  // upstream URL.
  RunTelemetry(trace::Store& store, TelemetryOptions options, const std::string& run_span_id);
  ~RunTelemetry();
  // Starts the enabled servers. Throws std::runtime_error when one cannot bind a port.
  void start();
  void stop();
  // Registers an agent (its token now routes to target.agent_span_id) and returns its environment.
  AgentTelemetry begin_agent(const TelemetryTarget& target);
  // The agent ended: its token is refused from now on and its OTLP spans are settled.
  void end_agent(const std::string& token);

  OtlpReceiver* receiver() { return receiver_.get(); }
  LlmProxy* proxy() { return proxy_.get(); }
  EgressProxy* egress() { return egress_.get(); }
  // The ports of the servers started on 127.0.0.1 (what a sandbox's bridge must reach).
  const std::vector<int>& ports() const { return ports_; }

 private:
  AgentTokens tokens_;
  std::unique_ptr<OtlpReceiver> receiver_;
  std::unique_ptr<LlmProxy> proxy_;
  std::unique_ptr<EgressProxy> egress_;
  std::vector<int> ports_;
};

}  // namespace telemetry

// What the run has spent, kept where both the LLM proxy (before it forwards a model call) and the generation loop
// (on every pump) can ask: per agent attempt, per generation and for the run, in tokens (input + output) and
// dollars. An agent's spend is the larger of what the proxy saw it use (each call's usage, priced from the price
// table) and what its own output reports live, so neither an agent that reports late (a CLI states its cost at
// the end) nor usage the agent never prints can slip past a budget. When the attempt ends its settled figures
// (read from the trace) replace the live ones; a resumed run is seeded with the attempts already recorded.
// Thread-safe (one mutex): the proxy's worker threads call admit/add_call, the loop's thread the rest.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace telemetry {

struct Spend {
  int64_t tokens = 0;
  double usd = 0;
  Spend& operator+=(const Spend& o) {
    tokens += o.tokens;
    usd += o.usd;
    return *this;
  }
};

struct SpendLimit {
  int64_t tokens = 0;  // 0 = no limit
  double usd = 0;      // 0 = no limit
  bool any() const { return tokens > 0 || usd > 0; }
  bool reached_by(const Spend& s) const { return (tokens > 0 && s.tokens >= tokens) || (usd > 0 && s.usd >= usd); }
  bool exceeded_by(const Spend& s) const { return (tokens > 0 && s.tokens > tokens) || (usd > 0 && s.usd > usd); }
};

struct SpendLimits {
  SpendLimit agent, generation, run;
};

// Why the proxy refused a call: whose budget (agent, generation, run) is used up, what was spent, the limit.
struct Refusal {
  std::string scope;
  Spend spent;
  SpendLimit limit;
  std::string message() const;  // "harness budget used up: the agent's 3,500 tokens (3,612 used); ..."
};

class SpendLedger {
 public:
  explicit SpendLedger(SpendLimits limits) : limits_(limits) {}

  // Resume: an attempt already recorded (its settled figures).
  void seed(int generation, Spend settled);
  // An attempt starts (its agent span id names it to the proxy).
  void open_agent(const std::string& agent_span_id, int generation);
  // What the agent's own output reports so far (cumulative), from the loop.
  void report_live(const std::string& agent_span_id, Spend reported);
  // One model call the proxy forwarded, with its usage and priced dollars.
  void add_call(const std::string& agent_span_id, Spend call);
  // The attempt ended: `settled` (from its trace) becomes its spend, live figures are dropped.
  void settle(const std::string& agent_span_id, Spend settled);

  // Before the proxy forwards a call: nullopt to go ahead, else whose budget is used up. A refusal is remembered
  // for the agent (refused()), so the loop can end it as killed_budget.
  std::optional<Refusal> admit(const std::string& agent_span_id);
  std::optional<Refusal> refused(const std::string& agent_span_id) const;

  Spend agent(const std::string& agent_span_id) const;
  int64_t proxy_calls(const std::string& agent_span_id) const;
  Spend generation(int generation) const;
  Spend run() const;
  const SpendLimits& limits() const { return limits_; }

 private:
  struct Entry {
    int generation = 0;
    Spend proxy, reported, settled;
    int64_t calls = 0;
    bool open = true;
    std::optional<Refusal> refusal;
    Spend spend() const;
  };
  Spend generation_locked(int generation) const;
  Spend run_locked() const;

  const SpendLimits limits_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> agents_;
  std::map<int, Spend> seeded_;  // by generation
};

}  // namespace telemetry

// With the run's LLM proxy on, one model call is seen twice: by the proxy (an llm span right under the agent
// span, `harness.source: proxy`) and by the agent's own output (an llm span in its session or subagent). Its
// usage is counted once, on the agent's own span, which sits where the call was made; the proxy span keeps the
// figures it saw in its gen_ai.usage.* attributes, names that span in `harness.usage_counted_on`, and its
// columns are zero. A call only the proxy saw (Claude Code's side calls, a call the output never showed) keeps
// its usage on the proxy span. Matched by response id (Claude Code's message id, the Responses API's resp_ id).
// Dollars: a proxy span costs what the price table made of its usage (harness.usage.priced_cost_usd), unless the
// agent states dollars of its own anywhere below its span (Claude Code's total_cost_usd, which covers every call
// it made): then those count and the proxy spans' cost columns are zero, their priced figure kept beside.
// Idempotent: run again after `trace rebuild` re-derived the agent's spans. Thread-safe (the store's lock).
#pragma once

#include <string>

#include "trace/store.h"

namespace trace {

// The proxy spans under `agent_span_id`, matched against the llm spans below it; returns how many matched.
int64_t reconcile_proxy_usage(Store& store, const std::string& agent_span_id);
// The same for every span that has proxy llm spans under it.
void reconcile_all_proxy_usage(Store& store);

// An agent's dollars both ways: what its own spans state (a CLI's total_cost_usd) and what the proxy priced from
// each call's usage (harness.usage.priced_cost_usd), with how many proxy calls had a price and how many not.
struct CostSides {
  double stated_usd = 0, priced_usd = 0;
  int64_t priced_calls = 0, unpriced_calls = 0;
  std::string price_table;  // its date
};
CostSides cost_sides(Store& store, const std::string& agent_span_id);

}  // namespace trace

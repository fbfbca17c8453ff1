// With the run's LLM proxy on, one model call is seen twice: by the proxy (an llm span right under the agent
// span, `harness.source: proxy`) and by the agent's own output (an llm span in its session or subagent). Its
// usage is counted once, on the agent's own span, which sits where the call was made; the proxy span keeps the
// figures it saw in its gen_ai.usage.* attributes, names that span in `harness.usage_counted_on`, and its
// columns are zero. A call only the proxy saw (Claude Code's side calls, a call the output never showed) keeps
// its usage on the proxy span. Matched by response id (Claude Code's message id, the Responses API's resp_ id).
// Idempotent: run again after `trace rebuild` re-derived the agent's spans. Thread-safe (the store's lock).
#pragma once

#include <string>

#include "trace/store.h"

namespace trace {

// The proxy spans under `agent_span_id`, matched against the llm spans below it; returns how many matched.
int64_t reconcile_proxy_usage(Store& store, const std::string& agent_span_id);
// The same for every span that has proxy llm spans under it.
void reconcile_all_proxy_usage(Store& store);

}  // namespace trace

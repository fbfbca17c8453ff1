#include "harness/agent_totals.h"

#include "trace/usage_totals.h"

namespace harness {

void apply_trace_totals(trace::Store& store, AgentRecord& record) {
  if (record.span_id.empty()) return;
  trace::SubtreeTotals t = trace::subtree_totals(store, record.span_id);
  record.input_tokens = t.usage.input_tokens;
  record.output_tokens = t.usage.output_tokens;
  record.cost_usd = t.usage.cost_usd;
  record.tool_calls = t.tool_calls;
  record.tool_errors = t.tool_errors;
}

bool refresh_agent_totals(trace::Store& store) {
  // Only a run's store has the harness's tables; RunState would create them in a plain trace directory.
  if (!store.meta("schema.harness")) return false;
  RunState state(store);
  store.transaction([&] {
    for (AgentRecord a : state.agents()) {
      if (a.status == AttemptStatus::running) continue;  // a live attempt records its own when it ends
      apply_trace_totals(store, a);
      state.save_agent(a);
    }
  });
  return true;
}

}  // namespace harness

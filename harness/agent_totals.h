// The figures of an agent attempt that its trace holds (tokens, cost, tool calls and errors): read from the
// trace (trace/usage_totals.h), never from what was seen live, so the record, status, reports, the observer and
// the budgets agree with `trace stats` after transcript pickup, after proxy reconciliation and after `trace
// rebuild`. Called from the loop thread or the CLI; the store is thread-safe.
#pragma once

#include "harness/state/run_state.h"
#include "trace/store.h"

namespace harness {

// Sets record's tokens, cost and tool counts from the subtree of its agent span.
void apply_trace_totals(trace::Store& store, AgentRecord& record);

// Re-reads them for every attempt of the run in `store` (after `trace rebuild`); false when the store holds no
// run (a trace directory made by `harness import`), which is left as it is.
bool refresh_agent_totals(trace::Store& store);

}  // namespace harness

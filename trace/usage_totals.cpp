#include "trace/usage_totals.h"
#include "trace/store_internal.h"

namespace trace {

SubtreeTotals subtree_totals(Store& store, const std::string& span_id) {
  std::lock_guard lock(internal::mutex(store));
  store.flush();
  // UNION (not UNION ALL): a span reached twice is walked once, so a cycle of parent ids terminates.
  Statement st(internal::db(store),
               "WITH RECURSIVE sub(id) AS (SELECT ?1 UNION SELECT spans.span_id FROM spans JOIN sub ON "
               "spans.parent_span_id = sub.id) "
               "SELECT coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0), "
               "coalesce(sum(cache_read_tokens), 0), coalesce(sum(cache_creation_tokens), 0), "
               "coalesce(sum(cost_usd), 0), "
               // A proxy span matched to the agent's own span of the same call (trace/proxy_usage.h) is that call.
               "coalesce(sum(kind = 'llm' AND json_extract(attributes, '$.\"harness.usage_counted_on\"') IS NULL), 0), "
               "coalesce(sum(kind = 'tool'), 0), "
               "coalesce(sum(kind = 'tool' AND status = 'error'), 0) "
               "FROM spans WHERE span_id IN (SELECT id FROM sub)");
  st.bind(1, span_id);
  SubtreeTotals t;
  if (!st.step()) return t;
  t.usage.input_tokens = st.int64(0);
  t.usage.output_tokens = st.int64(1);
  t.usage.cache_read_tokens = st.int64(2);
  t.usage.cache_creation_tokens = st.int64(3);
  t.usage.cost_usd = st.real(4);
  t.llm_calls = st.int64(5);
  t.tool_calls = st.int64(6);
  t.tool_errors = st.int64(7);
  return t;
}

}  // namespace trace

#include "trace/proxy_usage.h"
#include "trace/store_internal.h"

#include <unordered_map>
#include <vector>

namespace trace {

int64_t reconcile_proxy_usage(Store& store, const std::string& agent_span_id) {
  int64_t matched = 0;
  store.transaction([&] {
    // First back to what the proxy saw (its attributes), so a rebuild that changed the agent's spans rematches.
    Statement restore(internal::db(store),
                      "UPDATE spans SET "
                      "input_tokens = coalesce(json_extract(attributes, '$.\"gen_ai.usage.input_tokens\"'), 0), "
                      "output_tokens = coalesce(json_extract(attributes, '$.\"gen_ai.usage.output_tokens\"'), 0), "
                      "cache_read_tokens = coalesce(json_extract(attributes, "
                      "'$.\"gen_ai.usage.cache_read.input_tokens\"'), 0), "
                      "cache_creation_tokens = coalesce(json_extract(attributes, "
                      "'$.\"gen_ai.usage.cache_creation.input_tokens\"'), 0), "
                      "attributes = json_remove(attributes, '$.\"harness.usage_counted_on\"') "
                      "WHERE parent_span_id = ?1 AND kind = 'llm' AND "
                      "json_extract(attributes, '$.\"harness.source\"') = 'proxy' AND "
                      "json_extract(attributes, '$.\"harness.usage_counted_on\"') IS NOT NULL");
    restore.bind(1, agent_span_id);
    restore.step();
    // Dollars too: a proxy span's cost is what the price table made of its usage.
    Statement restore_cost(internal::db(store),
                           "UPDATE spans SET cost_usd = "
                           "coalesce(json_extract(attributes, '$.\"harness.usage.priced_cost_usd\"'), 0) "
                           "WHERE parent_span_id = ?1 AND kind = 'llm' AND "
                           "json_extract(attributes, '$.\"harness.source\"') = 'proxy'");
    restore_cost.bind(1, agent_span_id);
    restore_cost.step();
    // The agent's own llm spans (everything below it but the proxy's), by response id: one scan each.
    std::unordered_map<std::string, std::string> own_by_response;
    Statement own(internal::db(store),
                  "WITH RECURSIVE sub(id) AS (SELECT ?1 UNION SELECT spans.span_id FROM spans JOIN sub ON "
                  "spans.parent_span_id = sub.id) "
                  "SELECT span_id, json_extract(attributes, '$.\"gen_ai.response.id\"') FROM spans WHERE span_id IN "
                  "(SELECT id FROM sub) AND kind = 'llm' AND "
                  "coalesce(json_extract(attributes, '$.\"harness.source\"'), '') != 'proxy' AND "
                  "json_extract(attributes, '$.\"gen_ai.response.id\"') IS NOT NULL ORDER BY start_ns, span_id");
    own.bind(1, agent_span_id);
    while (own.step()) own_by_response.emplace(own.text(1), own.text(0));
    std::vector<std::pair<std::string, std::string>> pairs;
    Statement proxies(internal::db(store),
                      "SELECT span_id, json_extract(attributes, '$.\"gen_ai.response.id\"') FROM spans "
                      "WHERE parent_span_id = ?1 AND kind = 'llm' AND "
                      "json_extract(attributes, '$.\"harness.source\"') = 'proxy' AND "
                      "json_extract(attributes, '$.\"gen_ai.response.id\"') IS NOT NULL");
    proxies.bind(1, agent_span_id);
    while (proxies.step())
      if (auto it = own_by_response.find(proxies.text(1)); it != own_by_response.end())
        pairs.emplace_back(proxies.text(0), it->second);
    Statement zero(internal::db(store),
                   "UPDATE spans SET input_tokens = 0, output_tokens = 0, cache_read_tokens = 0, "
                   "cache_creation_tokens = 0, attributes = json_set(attributes, '$.\"harness.usage_counted_on\"', ?2) "
                   "WHERE span_id = ?1");
    for (const auto& [proxy, own] : pairs) {
      zero.reset();
      zero.bind(1, proxy).bind(2, own);
      zero.step();
      ++matched;
    }
    // An agent that states its own dollars (Claude Code's total_cost_usd covers every call it made, side calls
    // included) is counted by them; the proxy's priced figures stay in harness.usage.priced_cost_usd beside it.
    Statement stated(internal::db(store),
                     "WITH RECURSIVE sub(id) AS (SELECT ?1 UNION SELECT spans.span_id FROM spans JOIN sub ON "
                     "spans.parent_span_id = sub.id) "
                     "SELECT EXISTS(SELECT 1 FROM spans WHERE span_id IN (SELECT id FROM sub) AND span_id != ?1 AND "
                     "cost_usd > 0 AND coalesce(json_extract(attributes, '$.\"harness.source\"'), '') != 'proxy')");
    stated.bind(1, agent_span_id);
    if (stated.step() && stated.int64(0)) {
      Statement drop(internal::db(store),
                     "UPDATE spans SET cost_usd = 0 WHERE parent_span_id = ?1 AND kind = 'llm' AND "
                     "json_extract(attributes, '$.\"harness.source\"') = 'proxy'");
      drop.bind(1, agent_span_id);
      drop.step();
    }
  });
  return matched;
}

CostSides cost_sides(Store& store, const std::string& agent_span_id) {
  CostSides c;
  std::lock_guard lock(internal::mutex(store));
  store.flush();
  Statement proxy(internal::db(store),
                  "SELECT coalesce(sum(json_extract(attributes, '$.\"harness.usage.priced_cost_usd\"')), 0), "
                  "count(json_extract(attributes, '$.\"harness.usage.priced_cost_usd\"')), "
                  "count(json_extract(attributes, '$.\"harness.usage.unpriced\"')), "
                  "coalesce(max(json_extract(attributes, '$.\"harness.price_table\"')), '') FROM spans "
                  "WHERE parent_span_id = ?1 AND kind = 'llm' AND "
                  "json_extract(attributes, '$.\"harness.source\"') = 'proxy'");
  proxy.bind(1, agent_span_id);
  if (proxy.step()) {
    c.priced_usd = proxy.real(0);
    c.priced_calls = proxy.int64(1);
    c.unpriced_calls = proxy.int64(2);
    c.price_table = proxy.text(3);
  }
  Statement stated(internal::db(store),
                   "WITH RECURSIVE sub(id) AS (SELECT ?1 UNION SELECT spans.span_id FROM spans JOIN sub ON "
                   "spans.parent_span_id = sub.id) "
                   "SELECT coalesce(sum(cost_usd), 0) FROM spans WHERE span_id IN (SELECT id FROM sub) AND "
                   "coalesce(json_extract(attributes, '$.\"harness.source\"'), '') != 'proxy'");
  stated.bind(1, agent_span_id);
  if (stated.step()) c.stated_usd = stated.real(0);
  return c;
}

void reconcile_all_proxy_usage(Store& store) {
  std::vector<std::string> parents;
  {
    std::lock_guard lock(internal::mutex(store));
    store.flush();
    Statement st(internal::db(store),
                 "SELECT DISTINCT parent_span_id FROM spans WHERE kind = 'llm' AND "
                 "json_extract(attributes, '$.\"harness.source\"') = 'proxy'");
    while (st.step()) parents.push_back(st.text(0));
  }
  for (const auto& p : parents) reconcile_proxy_usage(store, p);
}

}  // namespace trace

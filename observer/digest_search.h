// Search hits for the LLM observer's digest (observer.digest_search): for each agent of the generation, where its
// failure (verify's first failure, else its first failed tool call or error) shows up elsewhere in the run's
// traces, by trace search (trace/query_search.h, FTS5): other agents, earlier generations, observations. The hits
// of the agent itself are left out. Never fails the digest: a search that cannot run adds nothing.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "trace/store.h"

namespace observer {

// The search words of a failure text: its distinctive tokens (letters, digits, _ and -, 4 characters or more,
// numbers and common words dropped), at most 5, longest first, joined by OR; "" when none.
std::string failure_query(const std::string& text);

// [{"agent", "query", "hits": [{"label", "agent", "generation", "kind", "snippet"}]}] for the digest's agents,
// at most `per_agent` hits each.
nlohmann::json digest_search_hits(trace::Store& store, const nlohmann::json& digest, int per_agent = 5);

}  // namespace observer

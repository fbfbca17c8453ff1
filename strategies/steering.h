// Steering within a generation (strategies.reallocate_after): when agents of one strategy have failed the same way
// (shared an [important] observation, no fix, not even a partial one) as often as the threshold, the generation's
// remaining slots of that strategy go to other strategies of the pool. "The same way" is the observer's judgement:
// two findings are the same observation when their fingerprints match (observer/fingerprint.h). Pure functions;
// thread-safe.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "strategies/strategy.h"

namespace strategies {

// One agent of the running generation, finished and observed.
struct FinishedAgent {
  std::string agent_id;
  std::string strategy;
  bool failed = true;                  // neither a validated nor a partial fix
  std::vector<std::string> important;  // ids of the [important] observations its findings matched
};

struct RepeatedFailure {
  std::string strategy;
  std::string observation;          // the [important] observation they share (the first one found)
  std::vector<std::string> agents;  // the failed agents of the strategy that share it, in order of `finished`
};

// The strategies that have failed the same way at least `threshold` times among `finished`,
// in order of the agent that completed the count. Threshold 1: one failed agent with an [important] observation
// is enough; 0 or less: none.
std::vector<RepeatedFailure> repeated_failures(const std::vector<FinishedAgent>& finished, int threshold);

// The strategy to run instead of an avoided one: the pool's strategy outside `avoid` with the fewest slots in the
// generation so far (`slots`, by name), the pool's order breaking ties; nullopt when the pool has no other.
std::optional<Strategy> replacement(const std::vector<Strategy>& pool, const std::set<std::string>& avoid,
                                    const std::map<std::string, int>& slots);

}  // namespace strategies

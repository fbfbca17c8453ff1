#include "strategies/steering.h"

#include <algorithm>

namespace strategies {

std::vector<RepeatedFailure> repeated_failures(const std::vector<FinishedAgent>& finished, int threshold) {
  std::vector<RepeatedFailure> out;
  if (threshold < 1) return out;
  std::set<std::string> done;
  // strategy -> observation -> the failed agents that matched it
  std::map<std::string, std::map<std::string, std::vector<std::string>>> seen;
  for (const auto& a : finished) {
    if (!a.failed || done.count(a.strategy)) continue;
    auto& by_observation = seen[a.strategy];
    std::set<std::string> counted;  // an agent counts once per observation
    for (const auto& id : a.important) {
      if (!counted.insert(id).second) continue;
      auto& agents = by_observation[id];
      agents.push_back(a.agent_id);
      if ((int)agents.size() >= threshold && !done.count(a.strategy)) {
        out.push_back({a.strategy, id, agents});
        done.insert(a.strategy);
      }
    }
  }
  return out;
}

std::optional<Strategy> replacement(const std::vector<Strategy>& pool, const std::set<std::string>& avoid,
                                    const std::map<std::string, int>& slots) {
  const Strategy* best = nullptr;
  int best_slots = 0;
  for (const auto& s : pool) {
    if (avoid.count(s.name)) continue;
    auto it = slots.find(s.name);
    int n = it == slots.end() ? 0 : it->second;
    if (!best || n < best_slots) {
      best = &s;
      best_slots = n;
    }
  }
  if (!best) return std::nullopt;
  return *best;
}

}  // namespace strategies

// Which strategy each agent slot of a generation gets: fixed, round_robin, bandit (Thompson sampling on a Beta
// posterior per strategy, fed with agents' progress scores) or evolve (mutate the parameters of the best so far).
// A generation's allocation is a pure function of (policy, pool, seed, generation, results recorded so far), so a
// run is reproducible and a resumed run that records the same results allocates the same. Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "strategies/strategy.h"

namespace strategies {

enum class Policy { fixed, round_robin, bandit, evolve };
std::string_view to_string(Policy policy);
std::optional<Policy> policy_from(std::string_view name);

// An agent's reward in [0,1]: 1.0 for a validated fix, 0.5 for a partial fix, else 0.05 per important observation
// it added, up to 0.25.
double progress_score(bool validated_fix, bool partial_fix, int important_observations_added);

struct StrategyStats {
  std::string name;
  int trials = 0;
  double total_score = 0;
  double mean() const { return trials ? total_score / trials : 0; }
  // Beta posterior with a uniform prior; a fractional score counts as that fraction of a success.
  double alpha() const { return 1 + total_score; }
  double beta() const { return 1 + trials - total_score; }
};

class Allocator {
 public:
  // `pool` must not be empty (the harness checks the config first); throws std::invalid_argument otherwise.
  Allocator(Policy policy, std::vector<Strategy> pool, uint64_t seed);

  // The strategies for `slots` agents of `generation` (1-based).
  std::vector<Strategy> allocate(int generation, int slots) const;
  // One agent's result. A strategy not in the pool (an evolve mutant, a meta-agent's) becomes known, so evolve can
  // pick it as the best.
  void record(const Strategy& strategy, double score);

  // Per known strategy (pool first, then others in order of first record).
  std::vector<StrategyStats> stats() const;
  // The strategy with the highest mean score (more trials, then pool order, break ties); nullopt before any record.
  std::optional<Strategy> best() const;
  Policy policy() const { return policy_; }
  const std::vector<Strategy>& pool() const { return pool_; }

 private:
  std::mt19937_64 rng_for(int generation) const;
  std::vector<Strategy> bandit(int slots, std::mt19937_64& rng) const;
  std::vector<Strategy> evolve(int generation, int slots, std::mt19937_64& rng) const;
  std::vector<Strategy> round_robin(int generation, int slots) const;

  Policy policy_;
  std::vector<Strategy> pool_;
  uint64_t seed_;
  std::vector<Strategy> known_;                   // pool, then recorded strategies from outside it
  std::map<std::string, StrategyStats> stats_;    // by name
};

// A copy of `base` with one or two of its parameters changed within `base.space` (numbers without a space entry
// move within [x/2, 2x]); named "<base name without an earlier +suffix>+g<generation>.<slot>". Returns `base`
// unchanged (same name) when it has no parameter it can change.
Strategy mutate(const Strategy& base, int generation, int slot, std::mt19937_64& rng);

}  // namespace strategies

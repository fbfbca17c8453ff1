#include "strategies/allocation.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace strategies {
namespace {

using Json = nlohmann::json;

double sample_beta(double a, double b, std::mt19937_64& rng) {
  double x = std::gamma_distribution<double>(a, 1.0)(rng);
  double y = std::gamma_distribution<double>(b, 1.0)(rng);
  return x + y > 0 ? x / (x + y) : 0.5;
}

// New value for one parameter, or null when it cannot change.
Json mutate_value(const Json& current, const Json* domain, std::mt19937_64& rng) {
  if (domain && domain->is_array()) {
    std::vector<Json> others;
    for (const auto& v : *domain)
      if (v != current) others.push_back(v);
    if (others.empty()) return nullptr;
    return others[std::uniform_int_distribution<size_t>(0, others.size() - 1)(rng)];
  }
  if (!current.is_number()) return nullptr;
  double v = current.get<double>();
  double lo = v / 2, hi = v == 0 ? 1 : v * 2;
  if (lo > hi) std::swap(lo, hi);
  if (domain && domain->is_object()) {
    lo = (*domain)["min"].get<double>();
    hi = (*domain)["max"].get<double>();
  }
  double next = std::clamp(v * std::uniform_real_distribution<double>(0.5, 1.5)(rng), lo, hi);
  if (current.is_number_integer()) {
    auto n = static_cast<int64_t>(std::llround(next));
    auto was = current.get<int64_t>();
    if (n == was) n = was + 1 <= static_cast<int64_t>(std::floor(hi)) ? was + 1 : was - 1;
    if (n < static_cast<int64_t>(std::ceil(lo)) || n > static_cast<int64_t>(std::floor(hi)) || n == was) return nullptr;
    return n;
  }
  return next == v ? Json(nullptr) : Json(next);
}

}  // namespace

std::string_view to_string(Policy policy) {
  switch (policy) {
    case Policy::fixed: return "fixed";
    case Policy::round_robin: return "round_robin";
    case Policy::bandit: return "bandit";
    case Policy::evolve: return "evolve";
  }
  return "round_robin";
}

std::optional<Policy> policy_from(std::string_view name) {
  for (Policy p : {Policy::fixed, Policy::round_robin, Policy::bandit, Policy::evolve})
    if (to_string(p) == name) return p;
  return std::nullopt;
}

double progress_score(bool validated_fix, bool partial_fix, int important_observations_added) {
  if (validated_fix) return 1.0;
  if (partial_fix) return 0.5;
  return std::min(0.25, 0.05 * std::max(0, important_observations_added));
}

Allocator::Allocator(Policy policy, std::vector<Strategy> pool, uint64_t seed)
    : policy_(policy), pool_(std::move(pool)), seed_(seed), known_(pool_) {
  if (pool_.empty()) throw std::invalid_argument("strategy allocation needs at least one strategy");
  for (const auto& s : pool_) stats_[s.name].name = s.name;
}

std::mt19937_64 Allocator::rng_for(int generation) const {
  // One stream per generation, derived from the run's seed: generation 4 draws the same numbers whether or not
  // generations 1-3 ran in this process (resume).
  std::seed_seq seq{static_cast<uint32_t>(seed_), static_cast<uint32_t>(seed_ >> 32), static_cast<uint32_t>(generation)};
  return std::mt19937_64(seq);
}

std::vector<Strategy> Allocator::allocate(int generation, int slots) const {
  std::mt19937_64 rng = rng_for(generation);
  switch (policy_) {
    case Policy::fixed: {
      std::vector<Strategy> out;
      for (int i = 0; i < slots; ++i) out.push_back(pool_[static_cast<size_t>(i) % pool_.size()]);
      return out;
    }
    case Policy::round_robin: return round_robin(generation, slots);
    case Policy::bandit: return bandit(slots, rng);
    case Policy::evolve: return evolve(generation, slots, rng);
  }
  return round_robin(generation, slots);
}

std::vector<Strategy> Allocator::round_robin(int generation, int slots) const {
  std::vector<Strategy> out;
  size_t start = static_cast<size_t>(std::max(0, generation - 1)) * static_cast<size_t>(std::max(0, slots));
  for (int i = 0; i < slots; ++i) out.push_back(pool_[(start + static_cast<size_t>(i)) % pool_.size()]);
  return out;
}

std::vector<Strategy> Allocator::bandit(int slots, std::mt19937_64& rng) const {
  std::vector<Strategy> out;
  for (int i = 0; i < slots; ++i) {
    const Strategy* pick = &known_.front();
    double top = -1;
    for (const auto& s : known_) {
      const StrategyStats& st = stats_.at(s.name);
      double theta = sample_beta(st.alpha(), st.beta(), rng);
      if (theta > top) top = theta, pick = &s;
    }
    out.push_back(*pick);
  }
  return out;
}

std::vector<Strategy> Allocator::evolve(int generation, int slots, std::mt19937_64& rng) const {
  std::optional<Strategy> top = best();
  if (!top) return round_robin(generation, slots);
  std::vector<Strategy> out;
  std::vector<Strategy> fill = round_robin(generation, slots);
  for (int i = 0; i < slots; ++i) {
    if (i == 0) {
      out.push_back(*top);  // elitism: the best so far runs again unchanged
      continue;
    }
    Strategy m = mutate(*top, generation, i, rng);
    // Nothing to mutate: explore the pool instead of running identical copies.
    out.push_back(m.name == top->name ? fill[static_cast<size_t>(i)] : std::move(m));
  }
  return out;
}

void Allocator::record(const Strategy& strategy, double score) {
  if (!find_strategy(known_, strategy.name)) known_.push_back(strategy);
  StrategyStats& st = stats_[strategy.name];
  st.name = strategy.name;
  ++st.trials;
  st.total_score += std::clamp(score, 0.0, 1.0);
}

std::vector<StrategyStats> Allocator::stats() const {
  std::vector<StrategyStats> out;
  for (const auto& s : known_) out.push_back(stats_.at(s.name));
  return out;
}

std::optional<Strategy> Allocator::best() const {
  const Strategy* top = nullptr;
  const StrategyStats* top_stats = nullptr;
  for (const auto& s : known_) {
    const StrategyStats& st = stats_.at(s.name);
    if (!st.trials) continue;
    if (!top || st.mean() > top_stats->mean() || (st.mean() == top_stats->mean() && st.trials > top_stats->trials)) {
      top = &s;
      top_stats = &st;
    }
  }
  if (!top) return std::nullopt;
  return *top;
}

Strategy mutate(const Strategy& base, int generation, int slot, std::mt19937_64& rng) {
  std::vector<std::string> candidates;
  if (base.params.is_object()) {
    for (const auto& [key, value] : base.params.items()) {
      bool in_space = base.space.is_object() && base.space.contains(key);
      if (in_space || value.is_number()) candidates.push_back(key);
    }
  }
  if (candidates.empty()) return base;
  std::shuffle(candidates.begin(), candidates.end(), rng);
  size_t changes = candidates.size() >= 2 ? 1 + std::uniform_int_distribution<size_t>(0, 1)(rng) : 1;
  Strategy m = base;
  bool changed = false;
  for (size_t k = 0; k < candidates.size() && k < changes; ++k) {
    const std::string& key = candidates[k];
    const Json* domain = base.space.is_object() && base.space.contains(key) ? &base.space[key] : nullptr;
    Json next = mutate_value(base.params[key], domain, rng);
    if (next.is_null()) continue;
    m.params[key] = next;
    changed = true;
  }
  if (!changed) return base;
  std::string root = base.name.substr(0, base.name.find('+'));
  m.name = fmt::format("{}+g{}.{}", root, generation, slot);
  return m;
}

}  // namespace strategies

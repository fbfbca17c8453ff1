// Allocation policies: fixed and round_robin exact, bandit and evolve deterministic under a seed, bandit favours
// the rewarded strategy, evolve mutates the best within its space.
#include <gtest/gtest.h>

#include <map>

#include "strategies/allocation.h"

namespace strategies {
namespace {

Strategy strategy(const std::string& name, nlohmann::json params = nlohmann::json::object(),
                  nlohmann::json space = nlohmann::json::object()) {
  Strategy s;
  s.name = name;
  s.params = std::move(params);
  s.space = std::move(space);
  return s;
}

std::vector<Strategy> pool() {
  return {strategy("a", {{"budget_steps", 40}, {"triage", "failing-test-first"}, {"note", "keep"}},
                   {{"budget_steps", {{"min", 10}, {"max", 80}}},
                    {"triage", {"failing-test-first", "error-logs-first", "recent-changes-first"}}}),
          strategy("b", {{"budget_steps", 30}}), strategy("c"), strategy("d"), strategy("e")};
}

std::vector<std::string> names(const std::vector<Strategy>& list) {
  std::vector<std::string> out;
  for (const auto& s : list) out.push_back(s.name);
  return out;
}

TEST(Allocation, PolicyNamesAndProgressScore) {
  EXPECT_EQ(policy_from("round_robin"), Policy::round_robin);
  EXPECT_EQ(policy_from("bandit"), Policy::bandit);
  EXPECT_EQ(policy_from("evolve"), Policy::evolve);
  EXPECT_EQ(policy_from("fixed"), Policy::fixed);
  EXPECT_EQ(policy_from("random"), std::nullopt);
  EXPECT_EQ(to_string(Policy::round_robin), "round_robin");
  EXPECT_EQ(progress_score(true, true, 9), 1.0);
  EXPECT_EQ(progress_score(false, true, 9), 0.5);
  EXPECT_DOUBLE_EQ(progress_score(false, false, 3), 0.15);
  EXPECT_DOUBLE_EQ(progress_score(false, false, 30), 0.25);
  EXPECT_EQ(progress_score(false, false, 0), 0.0);
  EXPECT_THROW(Allocator(Policy::fixed, {}, 1), std::invalid_argument);
}

TEST(Allocation, FixedGivesEachSlotTheSameStrategyEveryGeneration) {
  Allocator fixed(Policy::fixed, pool(), 7);
  EXPECT_EQ(names(fixed.allocate(1, 3)), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(names(fixed.allocate(2, 3)), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(names(fixed.allocate(9, 7)), (std::vector<std::string>{"a", "b", "c", "d", "e", "a", "b"}));
}

TEST(Allocation, RoundRobinContinuesAcrossGenerations) {
  Allocator rr(Policy::round_robin, pool(), 7);
  EXPECT_EQ(names(rr.allocate(1, 4)), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(names(rr.allocate(2, 4)), (std::vector<std::string>{"e", "a", "b", "c"}));
  EXPECT_EQ(names(rr.allocate(3, 4)), (std::vector<std::string>{"d", "e", "a", "b"}));
}

void feed(Allocator& alloc) {
  std::vector<Strategy> p = pool();
  for (int i = 0; i < 10; ++i) {
    alloc.record(p[0], 0.0);
    alloc.record(p[1], 1.0);
    alloc.record(p[2], 0.05);
    alloc.record(p[3], 0.0);
    alloc.record(p[4], 0.1);
  }
}

// One result each, close together: posteriors stay wide, so the seed decides much of the allocation.
void feed_lightly(Allocator& alloc) {
  std::vector<Strategy> p = pool();
  double scores[] = {0.5, 0.6, 0.4, 0.5, 0.45};
  for (size_t i = 0; i < p.size(); ++i) alloc.record(p[i], scores[i]);
}

TEST(Allocation, BanditAndEvolveAreDeterministicUnderASeed) {
  for (Policy policy : {Policy::bandit, Policy::evolve}) {
    Allocator x(policy, pool(), 42), y(policy, pool(), 42), other(policy, pool(), 43);
    feed_lightly(x);
    feed_lightly(y);
    feed_lightly(other);
    bool differs = false;
    for (int gen = 2; gen <= 12; ++gen) {
      std::vector<Strategy> ax = x.allocate(gen, 4);
      EXPECT_EQ(ax, y.allocate(gen, 4)) << to_string(policy) << " gen " << gen;
      EXPECT_EQ(ax, x.allocate(gen, 4));  // a pure function of the state: a resumed run gets the same
      differs = differs || ax != other.allocate(gen, 4);
    }
    EXPECT_TRUE(differs) << to_string(policy) << ": another seed should change some allocation";
  }
}

TEST(Allocation, BanditFavoursTheRewardedStrategy) {
  Allocator bandit(Policy::bandit, pool(), 1234);
  // Before any result every strategy is equally likely: all of them show up.
  std::map<std::string, int> before;
  for (int gen = 1; gen <= 20; ++gen)
    for (const auto& s : bandit.allocate(gen, 4)) ++before[s.name];
  EXPECT_EQ(before.size(), 5u);
  feed(bandit);
  std::map<std::string, int> after;
  for (int gen = 2; gen <= 51; ++gen)
    for (const auto& s : bandit.allocate(gen, 4)) ++after[s.name];
  // b's posterior is Beta(11, 1) against at most Beta(2, 10): it wins nearly every draw.
  EXPECT_GE(after["b"], 190) << "b got " << after["b"] << " of 200 slots";
  std::vector<StrategyStats> stats = bandit.stats();
  ASSERT_EQ(stats.size(), 5u);
  EXPECT_EQ(stats[1].name, "b");
  EXPECT_EQ(stats[1].trials, 10);
  EXPECT_DOUBLE_EQ(stats[1].mean(), 1.0);
  EXPECT_DOUBLE_EQ(stats[1].alpha(), 11.0);
  EXPECT_DOUBLE_EQ(stats[1].beta(), 1.0);
}

TEST(Allocation, EvolveKeepsTheBestAndMutatesItWithinItsSpace) {
  Allocator evolve(Policy::evolve, pool(), 99);
  EXPECT_EQ(names(evolve.allocate(1, 3)), (std::vector<std::string>{"a", "b", "c"}));  // nothing known: explore
  std::vector<Strategy> p = pool();
  evolve.record(p[0], 0.5);
  evolve.record(p[1], 0.25);
  ASSERT_EQ(evolve.best()->name, "a");
  std::vector<Strategy> next = evolve.allocate(2, 4);
  ASSERT_EQ(next.size(), 4u);
  EXPECT_EQ(next[0], p[0]);
  for (size_t i = 1; i < next.size(); ++i) {
    const Strategy& m = next[i];
    EXPECT_EQ(m.name, "a+g2." + std::to_string(i));
    EXPECT_NE(m.params, p[0].params);
    EXPECT_EQ(m.params["note"], "keep");  // not in the space, not a number: never mutated
    int64_t steps = m.params["budget_steps"];
    EXPECT_GE(steps, 10);
    EXPECT_LE(steps, 80);
    std::string triage = m.params["triage"];
    EXPECT_TRUE(triage == "failing-test-first" || triage == "error-logs-first" || triage == "recent-changes-first");
    EXPECT_EQ(m.space, p[0].space);
  }
  // A mutant that does better becomes the parent; its children are named from the root.
  evolve.record(next[2], 1.0);
  EXPECT_EQ(evolve.best()->name, "a+g2.2");
  std::vector<Strategy> third = evolve.allocate(3, 2);
  EXPECT_EQ(third[0].name, "a+g2.2");
  EXPECT_EQ(third[1].name, "a+g3.1");
}

TEST(Allocation, EvolveWithNothingToMutateExploresThePool) {
  Allocator evolve(Policy::evolve, {strategy("x"), strategy("y"), strategy("z")}, 5);
  evolve.record(strategy("y"), 1.0);
  EXPECT_EQ(names(evolve.allocate(2, 3)), (std::vector<std::string>{"y", "y", "z"}));
  std::mt19937_64 rng(1);
  EXPECT_EQ(mutate(strategy("x", {{"mode", "fast"}}), 2, 1, rng), strategy("x", {{"mode", "fast"}}));
}

TEST(Allocation, MutatedNumbersWithoutASpaceStayWithinHalfAndDouble) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 50; ++i) {
    Strategy m = mutate(strategy("b", {{"budget_steps", 30}}), 2, 1, rng);
    int64_t v = m.params["budget_steps"];
    EXPECT_NE(v, 30);
    EXPECT_GE(v, 15);
    EXPECT_LE(v, 60);
  }
}

}  // namespace
}  // namespace strategies

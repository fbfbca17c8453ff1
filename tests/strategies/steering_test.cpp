// Steering within a generation: a strategy is avoided once `threshold` of its agents failed sharing one [important]
// observation; fixes and different failures do not count; the replacement balances the pool.
#include <gtest/gtest.h>

#include "strategies/steering.h"

namespace strategies {
namespace {

FinishedAgent agent(const std::string& id, const std::string& strategy, std::vector<std::string> important,
                    bool failed = true) {
  return {id, strategy, failed, std::move(important)};
}

Strategy named(const std::string& name) {
  Strategy s;
  s.name = name;
  return s;
}

TEST(Steering, TwoFailuresTheSameWayMarkTheStrategy) {
  auto r = repeated_failures({agent("g01-a01", "bisect", {"O-0001", "O-0002"}), agent("g01-a02", "read", {"O-0001"}),
                              agent("g01-a03", "bisect", {"O-0003", "O-0002"})},
                             2);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].strategy, "bisect");
  EXPECT_EQ(r[0].observation, "O-0002");
  EXPECT_EQ(r[0].agents, (std::vector<std::string>{"g01-a01", "g01-a03"}));
}

TEST(Steering, DifferentFailuresFixesAndOneAgentRepeatingItselfDoNotCount) {
  // Different observations: two ways of failing, not one.
  EXPECT_TRUE(repeated_failures({agent("a1", "s", {"O-1"}), agent("a2", "s", {"O-2"})}, 2).empty());
  // An agent with a fix (or a partial one) did not fail, whatever it also ran into.
  EXPECT_TRUE(repeated_failures({agent("a1", "s", {"O-1"}), agent("a2", "s", {"O-1"}, false)}, 2).empty());
  // One agent matching the same observation twice is one sighting.
  EXPECT_TRUE(repeated_failures({agent("a1", "s", {"O-1", "O-1"})}, 2).empty());
  // Threshold 3 wants a third; threshold 1 is the first failure; 0 is off.
  std::vector<FinishedAgent> two = {agent("a1", "s", {"O-1"}), agent("a2", "s", {"O-1"})};
  EXPECT_TRUE(repeated_failures(two, 3).empty());
  EXPECT_TRUE(repeated_failures(two, 0).empty());
  auto first = repeated_failures(two, 1);  // one failure is enough
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].agents, (std::vector<std::string>{"a1"}));
  two.push_back(agent("a3", "s", {"O-1"}));
  auto r = repeated_failures(two, 3);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].agents.size(), 3u);
}

TEST(Steering, EachStrategyIsReportedOnceInTheOrderItTripped) {
  auto r = repeated_failures({agent("a1", "x", {"O-1"}), agent("a2", "y", {"O-2"}), agent("a3", "y", {"O-2"}),
                              agent("a4", "x", {"O-1"}), agent("a5", "x", {"O-1"})},
                             2);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].strategy, "y");
  EXPECT_EQ(r[1].strategy, "x");
  EXPECT_EQ(r[1].agents, (std::vector<std::string>{"a1", "a4"}));
}

TEST(Steering, ReplacementIsTheLeastUsedStrategyNotAvoided) {
  std::vector<Strategy> pool = {named("a"), named("b"), named("c")};
  EXPECT_EQ(replacement(pool, {"a"}, {{"a", 3}, {"b", 2}, {"c", 1}})->name, "c");
  EXPECT_EQ(replacement(pool, {"a"}, {{"a", 3}, {"b", 1}, {"c", 1}})->name, "b");  // the pool's order breaks ties
  EXPECT_EQ(replacement(pool, {"a"}, {})->name, "b");
  EXPECT_EQ(replacement(pool, {"c", "b"}, {{"a", 9}})->name, "a");
  EXPECT_FALSE(replacement(pool, {"a", "b", "c"}, {}));
  EXPECT_FALSE(replacement({}, {}, {}));
}

}  // namespace
}  // namespace strategies

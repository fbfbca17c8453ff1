// The spend ledger the proxy and the loop share: an agent's spend is the larger of what the proxy saw and what it
// reports; a call is refused once a budget is used up (agent, then generation, then run), and the refusal is
// remembered; settled figures replace live ones; a resumed run's seeds count.
#include <gtest/gtest.h>

#include "telemetry/spend_ledger.h"

namespace telemetry {
namespace {

TEST(SpendLedger, AnAgentSpendsTheLargerOfWhatTheProxySawAndWhatItReports) {
  SpendLedger l({});
  l.open_agent("a", 1);
  l.add_call("a", {1000, 0.01});
  l.report_live("a", {400, 0.05});  // a CLI that reports more dollars than the proxy priced
  EXPECT_EQ(l.agent("a").tokens, 1000);
  EXPECT_DOUBLE_EQ(l.agent("a").usd, 0.05);
  EXPECT_EQ(l.proxy_calls("a"), 1);
  l.settle("a", {900, 0.04});  // the proxy's figures stay a floor
  EXPECT_EQ(l.agent("a").tokens, 1000);
  EXPECT_DOUBLE_EQ(l.agent("a").usd, 0.04);
}

TEST(SpendLedger, ACallIsRefusedOnceABudgetIsUsedUpAndTheRefusalIsKept) {
  SpendLedger l({{3500, 0}, {0, 0}, {0, 0}});
  l.open_agent("a", 1);
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(l.admit("a"));
    l.add_call("a", {1000, 0});
  }
  EXPECT_FALSE(l.admit("a")) << "3,000 of 3,500: budget is left";
  l.add_call("a", {1000, 0});
  auto r = l.admit("a");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->scope, "agent");
  EXPECT_EQ(r->spent.tokens, 4000);
  EXPECT_EQ(r->message(),
            "harness budget used up: this agent's budget of 3500 tokens (4000 used); the harness refuses further "
            "model calls");
  EXPECT_TRUE(l.refused("a"));
  EXPECT_FALSE(l.admit("unknown")) << "a call of an agent the loop never opened is not the ledger's to judge";
}

TEST(SpendLedger, GenerationAndRunBudgetsCountEveryAgentAndTheSeeds) {
  SpendLedger l({{0, 0}, {0, 1.0}, {5000, 0}});
  l.seed(1, {3000, 0.2});  // resumed: generation 1's recorded attempts
  l.open_agent("b", 2);
  l.open_agent("c", 2);
  l.add_call("b", {500, 0.6});
  EXPECT_FALSE(l.admit("c"));
  l.report_live("c", {100, 0.5});
  auto g = l.admit("b");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->scope, "generation");
  EXPECT_DOUBLE_EQ(l.generation(2).usd, 1.1);
  EXPECT_EQ(l.run().tokens, 3600);
  SpendLedger run({{0, 0}, {0, 0}, {3000, 0}});
  run.seed(1, {3000, 0});
  run.open_agent("d", 2);
  ASSERT_TRUE(run.admit("d"));
  EXPECT_EQ(run.admit("d")->scope, "run");
  EXPECT_EQ(run.refused("d")->scope, "run");
}

}  // namespace
}  // namespace telemetry

// The price table: the built-in one parses and is dated, dated releases find their family's entry (the longest
// prefix ending at '-'), a call costs its disjoint usage columns at their prices, and config overrides replace or
// add models with errors that name the offending value.
#include <gtest/gtest.h>

#include "trace/price_table.h"

namespace trace {
namespace {

TEST(PriceTable, TheBuiltInTableIsDatedAndPricesTheCurrentModels) {
  const PriceTable& t = PriceTable::builtin();
  EXPECT_FALSE(t.date().empty());
  ASSERT_TRUE(t.find("claude-sonnet-4-5"));
  EXPECT_EQ(t.find("claude-sonnet-4-5-20250929"), t.find("claude-sonnet-4-5"));
  EXPECT_EQ(t.find("claude-sonnet-4-20250514"), t.find("claude-sonnet-4"));
  EXPECT_EQ(t.find("gpt-5-codex")->input, 1.25);
  EXPECT_FALSE(t.find("claude-sonnet"));  // a prefix of an entry is not that entry
  EXPECT_FALSE(t.find("gpt-5x"));         // nor a name that only starts like one
  EXPECT_FALSE(t.find("my-local-llama"));
}

TEST(PriceTable, ACallCostsEachUsageColumnAtItsPrice) {
  auto t = PriceTable::parse(R"({"date": "2025-01-01", "models": {"m": {"input": 3, "output": 15,
                                 "cache_read": 0.3, "cache_write": 3.75}}})", "t.json");
  ASSERT_TRUE(t.ok()) << t.error();
  Usage u{1000, 200, 10000, 400, 0};
  EXPECT_NEAR(*t->cost("m-2025", u), (1000 * 3 + 200 * 15 + 10000 * 0.3 + 400 * 3.75) / 1e6, 1e-12);
  EXPECT_FALSE(t->cost("other", u));
}

TEST(PriceTable, OverridesReplaceOrAddModelsAndSayWhatIsWrong) {
  auto t = PriceTable::builtin().with_overrides({{"claude-sonnet-4-5", {{"input", 1}, {"output", 2}}},
                                                 {"local", {{"input", 0}, {"output", 0}}}},
                                                "cfg: budget.prices");
  ASSERT_TRUE(t.ok()) << t.error();
  EXPECT_EQ(t->find("claude-sonnet-4-5-20250929")->output, 2);
  EXPECT_EQ(t->find("local")->input, 0);
  EXPECT_NE(t->date().find("config"), std::string::npos);
  EXPECT_EQ(PriceTable().with_overrides({{"m", {{"input", -1}, {"output", 2}}}}, "p").error(),
            "p.m.input: expected a number >= 0 (USD per million tokens), got -1");
  EXPECT_EQ(PriceTable().with_overrides({{"m", {{"input", 1}}}}, "p").error(), "p.m: input and output prices are required");
  EXPECT_EQ(PriceTable().with_overrides({{"m", {{"input", 1}, {"output", 1}, {"cache", 1}}}}, "p").error(),
            "p.m: unknown key \"cache\"; expected input, output, cache_read, cache_write");
  EXPECT_FALSE(PriceTable::parse("{", "bad.json").ok());
}

}  // namespace
}  // namespace trace

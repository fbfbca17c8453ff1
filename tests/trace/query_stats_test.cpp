// trace stats: figures on the fleet fixture, counted by hand from query_fixture.h (not from the decoder):
//   planner  1 tool call (Write), 1 llm call 1200 in / 300 out / 800 cache read / 100 cache write, $0.0125; 2.0 s
//   worker   3 tool calls (Bash failed, Task, Edit), 1 llm call 2000 in / 500 out, no cost; 5.0 s
//     explorer (subagent) 2 tool calls (Read, Bash failed), 1 llm call 400 in / 80 out, $0.001; 1.1 s
//   reviewer 3 tool calls (Read, bash, WebFetch), no llm call; 1.0 s; first start 12:00:00, last end 12:00:10
#include "trace/query_stats.h"
#include "trace/store_internal.h"

#include <gtest/gtest.h>

#include "query_fixture.h"

namespace trace {
namespace {

using testing::FleetStore;

TEST_F(FleetStore, StatsOverTopLevelSessions) {
  auto r = compute_stats(*store_, {});
  ASSERT_TRUE(r.ok()) << r.error();
  Json j = stats_to_json(r.value());
  EXPECT_EQ(j["sessions"], 3);
  EXPECT_EQ(j["subagents"], 0);
  EXPECT_EQ(j["tool_calls"], 7);
  EXPECT_EQ(j["tool_errors"], 1);
  EXPECT_EQ(j["llm_calls"], 2);
  EXPECT_EQ(j["input_tokens"], 3200);
  EXPECT_EQ(j["output_tokens"], 800);
  EXPECT_EQ(j["cache_read_tokens"], 800);
  EXPECT_EQ(j["cache_creation_tokens"], 100);
  EXPECT_EQ(j["cost_usd"], 0.0125);
  EXPECT_EQ(j["duration_ms"], 8000);
  EXPECT_EQ(j["wall_ms"], 10000);
  EXPECT_EQ(j["max_depth"], 2);
  EXPECT_EQ(j["hotspot"]["name"], "worker [worker.jsonl]");
  EXPECT_EQ(j["hotspot"]["duration_ms"], 5000);
  EXPECT_EQ(j["hotspot"]["tool_calls"], 3);
  EXPECT_EQ(j["hotspot"]["errors"], 1);
  EXPECT_EQ(j["hotspot"]["session"].get<std::string>().substr(0, 8), "c457bad4");
}

TEST_F(FleetStore, StatsIncludingSubagents) {
  Json j = stats_to_json(compute_stats(*store_, {"", true}).value());
  EXPECT_EQ(j["sessions"], 4);
  EXPECT_EQ(j["subagents"], 1);
  EXPECT_EQ(j["tool_calls"], 9);
  EXPECT_EQ(j["tool_errors"], 2);
  EXPECT_EQ(j["llm_calls"], 3);
  EXPECT_EQ(j["input_tokens"], 3600);
  EXPECT_EQ(j["output_tokens"], 880);
  EXPECT_EQ(j["cost_usd"], 0.0135);
  EXPECT_EQ(j["duration_ms"], 8000);  // a subagent runs inside its parent: not added again
  EXPECT_EQ(j["hotspot"]["name"], "worker [worker.jsonl]");
}

TEST_F(FleetStore, StatsOfOneSessionBySessionIdOrPrefix) {
  for (std::string ref : {"worker", "c457bad4", "c45"}) {
    auto r = compute_stats(*store_, {ref, false});
    ASSERT_TRUE(r.ok()) << r.error() << ref;
    EXPECT_EQ(r->sessions, 1) << ref;
    EXPECT_EQ(r->totals.tool_calls, 3) << ref;
    EXPECT_EQ(r->totals.tool_errors, 1) << ref;
    EXPECT_EQ(r->totals.usage.input_tokens, 2000) << ref;
    EXPECT_EQ(r->duration_ms, 5000) << ref;
    EXPECT_EQ(r->max_depth, 2) << ref;
  }
  auto with = compute_stats(*store_, {"worker", true});
  EXPECT_EQ(with->sessions, 2);
  EXPECT_EQ(with->totals.tool_calls, 5);
  EXPECT_EQ(with->totals.tool_errors, 2);
  EXPECT_EQ(with->totals.llm_calls, 2);
  EXPECT_EQ(with->totals.usage.input_tokens, 2400);
  EXPECT_DOUBLE_EQ(with->totals.usage.cost_usd, 0.001);
  // The subagent alone: it is the selection's root, so its depth counts as 1.
  auto sub = compute_stats(*store_, {"explorer", false});
  EXPECT_EQ(sub->totals.tool_calls, 2);
  EXPECT_EQ(sub->max_depth, 1);
}

TEST_F(FleetStore, StatsTextGolden) {
  EXPECT_EQ(format_stats(compute_stats(*store_, {}).value()),
            "sessions    3 (0 subagents included)\n"
            "tool calls  7 (1 error, 14.3%)\n"
            "llm calls   2 (0 errors)\n"
            "tokens      3,200 in, 800 out, 800 cache read, 100 cache write\n"
            "cost        $0.0125\n"
            "duration    8.0s (sum over sessions; wall clock 10.0s)\n"
            "max depth   2\n"
            "hotspot     c457bad4 worker [worker.jsonl]: 5.0s, 3 tool calls, 1 error\n");
}

TEST_F(FleetStore, StatsUnknownSessionIsAnError) {
  auto r = compute_stats(*store_, {"nobody", false});
  EXPECT_EQ(r.error(), "no session matches 'nobody' (give a span id prefix shown by 'harness trace tree', or a session.id)");
}

TEST_F(FleetStore, StatsAggregateReadsTheCoveringIndexOnly) {
  std::string plan;
  Statement st(trace::internal::db(*store_),
               "EXPLAIN QUERY PLAN SELECT session_id, count(*), sum(kind = 'tool'), sum(input_tokens), sum(cost_usd) "
               "FROM spans GROUP BY session_id");
  while (st.step()) plan += st.text(3) + "\n";
  EXPECT_NE(plan.find("COVERING INDEX spans_usage"), std::string::npos) << plan;
}

TEST(Stats, EmptyStore) {
  std::string dir = testing::temp_dir("stats");
  {
    auto store = Store::open(dir + "/run.db");
    Json j = stats_to_json(compute_stats(*store, {}).value());
    EXPECT_EQ(j["sessions"], 0);
    EXPECT_EQ(j["tool_calls"], 0);
    EXPECT_EQ(j["duration_ms"], 0);
    EXPECT_EQ(j["max_depth"], 0);
    EXPECT_TRUE(j["hotspot"].is_null());
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace trace

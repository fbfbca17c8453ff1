// Convergence records: counted from outcomes, stored per generation, and the progress score the stop rules read.
#include <gtest/gtest.h>

#include "observer/convergence.h"
#include "temp_dir.h"

namespace observer {
namespace {

AgentOutcome outcome(AgentStatus status, bool ran, bool passed, int passes, int repeats, int64_t in, int64_t out,
                     double cost) {
  AgentOutcome o;
  o.status = status;
  o.verify = {ran, passed, passes, repeats, "", ""};
  o.changed_files = {"src/q.c"};
  o.tokens_in = in;
  o.tokens_out = out;
  o.cost_usd = cost;
  return o;
}

TEST(Convergence, SummarisesAGeneration) {
  ObservationSet set;
  set.add(1, {make_observation(Kind::usage, "old", "g01-a01", 1)});
  set.add(2, {make_observation(Kind::tool_error, "make failed", "g02-a01", 2),
              make_observation(Kind::crash, "Agent crashed (exit 1)", "g02-a02", 2),
              make_observation(Kind::hypothesis, "Hypothesis: x", "g02-a02", 2),
              make_observation(Kind::usage, "old", "g02-a03", 2)});
  std::vector<AgentOutcome> outcomes = {
      outcome(AgentStatus::completed, true, true, 3, 3, 1000, 200, 0.10),
      outcome(AgentStatus::completed, true, false, 1, 3, 2000, 300, 0.20),
      outcome(AgentStatus::killed_stuck, false, false, 0, 0, 500, 50, 0.05),
      outcome(AgentStatus::killed_budget, false, false, 0, 0, 9000, 900, 0.90),
      outcome(AgentStatus::crashed, false, false, 0, 0, 10, 1, 0.0)};
  GenerationRecord r = summarise_generation(2, outcomes, set, 61000);
  GenerationRecord want;
  want.generation = 2;
  want.agents = 5;
  want.validated_fixes = 1;
  want.partial_fixes = 1;
  want.new_observations = 3;
  want.new_important = 2;
  want.total_observations = 4;
  want.tokens = 1000 + 200 + 2000 + 300 + 500 + 50 + 9000 + 900 + 10 + 1;
  want.cost_usd = r.cost_usd;
  want.wall_ms = 61000;
  want.kills = 2;
  EXPECT_EQ(r, want);
  EXPECT_DOUBLE_EQ(r.cost_usd, 0.10 + 0.20 + 0.05 + 0.90);
}

TEST(Convergence, ProgressScoreOrdersFixPartialAndNewImportantFindings) {
  GenerationRecord r;
  EXPECT_EQ(progress_score(r), 0.0);
  r.new_important = 2;
  EXPECT_DOUBLE_EQ(progress_score(r), 0.1);
  r.new_important = 40;
  EXPECT_DOUBLE_EQ(progress_score(r), 0.25);
  r.partial_fixes = 1;
  EXPECT_EQ(progress_score(r), 0.5);
  r.validated_fixes = 1;
  EXPECT_EQ(progress_score(r), 1.0);

  GenerationRecord none, some;
  some.new_important = 1;
  EXPECT_EQ(trailing_generations_without_progress({}), 0);
  EXPECT_EQ(trailing_generations_without_progress({none, some, none, none}), 2);
  EXPECT_EQ(trailing_generations_without_progress({none, none, some}), 0);
}

TEST(Convergence, RecordsAreStoredPerGenerationAndReplacedOnResume) {
  observer_test::TempDir dir;
  auto store = trace::Store::open(dir.file("run.db"));
  GenerationRecord g1{1, 4, 0, 1, 12, 3, 12, 50000, 1.25, 90000, 1};
  GenerationRecord g2{2, 4, 1, 0, 5, 1, 17, 42000, 1.5, 80000, 0};
  save_generation_record(*store, g2);
  save_generation_record(*store, g1);
  g2.kills = 2;  // generation 2 ran again after a resume
  save_generation_record(*store, g2);
  store.reset();
  store = trace::Store::open(dir.file("run.db"));
  EXPECT_EQ(load_convergence(*store), (std::vector<GenerationRecord>{g1, g2}));
}

}  // namespace
}  // namespace observer

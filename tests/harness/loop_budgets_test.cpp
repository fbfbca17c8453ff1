// The loop's budgets in-process through its seams (fakes.h): agent, generation and run budgets, in tokens and
// in dollars. Each trip is exactly one budget.exceeded event, however long other agents go on verifying.
#include <gtest/gtest.h>

#include "fakes.h"

namespace harness_test {
namespace {

using Seq = std::vector<std::string>;

TEST(LoopBudgets, AgentBudgetKillsTheOverrunningAgentAtTheCallThatCrossedIt) {
  auto c = FakeRun::default_config();
  c.population = 2;
  c.concurrency = 2;
  c.agent_budget.tokens = 3000;
  FakeRun run(c, {"tokens", "wrong"});
  run.processes.script_agent("tokens", scripts::spender(50, 1000, 100, 50));
  run.processes.script_agent("wrong", scripts::wrong());
  run.processes.script_verify(scripts::verify_state_fixed());
  auto result = run.run();
  EXPECT_EQ(result.exit_code, 1);
  auto a = run.agent("g01-a01");
  EXPECT_EQ(to_string(a.outcome), "killed_budget");
  EXPECT_EQ(a.end_reason, "agent budget exceeded (3300 tokens, $0.0000)");
  EXPECT_EQ(a.input_tokens + a.output_tokens, 3300) << "the third call (at 100 ms) crossed 3000";
  EXPECT_EQ(to_string(run.agent("g01-a02").outcome), "completed") << "the other agent is not touched";
  auto budget = run.events("budget.exceeded");
  ASSERT_EQ(budget.size(), 1u);
  EXPECT_EQ(budget[0],
            (nlohmann::json{{"scope", "agent"}, {"agent", "g01-a01"}, {"tokens", 3300}, {"cost_usd", 0.0}}));
  EXPECT_EQ(
      run.timeline(),
      (Seq{"0 run.created", "0 generation.started", "0 agent.spawned g01-a01", "0 agent.spawned g01-a02",
           "0 verify.failed g01-a02", "0 agent.completed g01-a02", "0 checkpoint.saved g01-a02",
           "100 budget.exceeded g01-a01", "100 agent.killed g01-a01", "100 agent.completed g01-a01",
           "100 checkpoint.saved g01-a01", "100 checkpoint.saved", "100 run.finalized"}));
}

TEST(LoopBudgets, AgentBudgetInDollars) {
  auto c = FakeRun::default_config();
  c.agent_budget.usd = 0.25;
  FakeRun run(c, {"pricey"});
  FakeScript pricey;
  for (int i = 0; i < 10; ++i) pricey.print(jsonl::llm_call(10, 1, 0.1)).silent(10);
  run.processes.script_agent("pricey", pricey);
  run.run();
  EXPECT_EQ(to_string(run.agent("g01-a01").outcome), "killed_budget");
  auto budget = run.events("budget.exceeded");
  ASSERT_EQ(budget.size(), 1u);
  EXPECT_NEAR(budget[0]["cost_usd"].get<double>(), 0.3, 1e-9);
}

// Once the generation's budget trips, the event is sent once, however long another agent goes on verifying
// (it used to be sent again at every wake-up of the loop: 15 times here).
TEST(LoopBudgets, GenerationBudgetIsReportedOnceWhileAnotherAgentVerifies) {
  auto c = FakeRun::default_config();
  c.population = 2;
  c.concurrency = 2;
  c.generation_budget.tokens = 3000;
  FakeRun run(c, {"fixer", "tokens"});
  run.processes.script_agent("fixer", scripts::fixer());
  run.processes.script_agent("tokens", scripts::spender(50, 1000, 100, 50));
  run.processes.script_verify(scripts::verify_state_fixed(1500));
  auto result = run.run();
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(to_string(run.agent("g01-a02").outcome), "killed_budget");
  EXPECT_EQ(run.agent("g01-a02").end_reason, "generation budget exceeded");
  EXPECT_EQ(run.agent("g01-a01").verify.label(), "passed") << "a verifying agent is not stopped by a budget";
  auto budget = run.events("budget.exceeded");
  ASSERT_EQ(budget.size(), 1u) << "once, not once per wake-up of the loop while the fixer verified";
  EXPECT_EQ(budget[0], (nlohmann::json{
                           {"scope", "generation"}, {"generation", 1}, {"tokens", 3300}, {"cost_usd", 0.0}}));
  EXPECT_EQ(
      run.timeline(),
      (Seq{"0 run.created", "0 generation.started", "0 agent.spawned g01-a01", "0 agent.spawned g01-a02",
           "100 budget.exceeded", "100 agent.killed g01-a02", "100 agent.completed g01-a02",
           "100 checkpoint.saved g01-a02", "1500 verify.passed g01-a01", "1500 agent.completed g01-a01",
           "1500 checkpoint.saved g01-a01", "1500 checkpoint.saved", "1500 run.finalized"}));
}

TEST(LoopBudgets, GenerationBudgetClosesTheSlotsNeverLaunchedAndTripsAgainInTheNextGeneration) {
  auto c = FakeRun::default_config();
  c.generations = 2;
  c.population = 3;
  c.concurrency = 1;
  c.stop.after_fixes = 0;
  c.generation_budget.tokens = 3000;
  FakeRun run(c, {"tokens"});
  run.processes.script_agent("tokens", scripts::spender(50, 1000, 100, 50));
  auto result = run.run();
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.stop_reason, "2 generations done");
  EXPECT_EQ(run.processes.launches().size(), 2u) << "one agent a generation: the budget stops launching";
  for (const char* id : {"g01-a02", "g01-a03", "g02-a02", "g02-a03"}) {
    auto a = run.agent(id);
    EXPECT_EQ(to_string(a.status), "completed") << id;
    EXPECT_EQ(to_string(a.outcome), "none") << id;
    EXPECT_EQ(a.end_reason, "not launched: stop rule or budget") << id;
  }
  auto budget = run.events("budget.exceeded");
  ASSERT_EQ(budget.size(), 2u) << "once per trip: one in each generation";
  EXPECT_EQ(budget[0]["generation"], 1);
  EXPECT_EQ(budget[1]["generation"], 2);
  EXPECT_EQ(budget[1]["tokens"], 3300) << "a generation's budget counts its own agents only";
}

TEST(LoopBudgets, RunBudgetEndsTheRunInTheGenerationItTripsIn) {
  auto c = FakeRun::default_config();
  c.generations = 3;
  c.stop.after_fixes = 0;
  c.run_budget.tokens = 5000;
  FakeRun run(c, {"spender"});
  run.processes.script_agent("spender", scripts::spender(3, 1000, 100, 50));  // 3300 tokens, then exits
  auto result = run.run();
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.stop_reason, "run budget exceeded");
  EXPECT_EQ(run.planner.planned, (std::vector<int>{1, 2})) << "no generation after the trip";
  EXPECT_EQ(run.planner.finished, (std::vector<int>{1, 2})) << "the generation it tripped in is finished";
  EXPECT_EQ(to_string(run.agent("g01-a01").outcome), "completed");
  auto second = run.agent("g02-a01");
  EXPECT_EQ(to_string(second.outcome), "killed_budget");
  EXPECT_EQ(second.end_reason, "run budget exceeded");
  EXPECT_EQ(second.input_tokens + second.output_tokens, 2200) << "3300 before it + 2200 crossed 5000";
  auto budget = run.events("budget.exceeded");
  ASSERT_EQ(budget.size(), 1u);
  EXPECT_EQ(budget[0],
            (nlohmann::json{{"scope", "run"}, {"generation", 2}, {"tokens", 5500}, {"cost_usd", 0.0}}));
  auto finalized = run.events("run.finalized");
  ASSERT_EQ(finalized.size(), 1u);
  EXPECT_EQ(finalized[0]["stop_reason"], "run budget exceeded");
}

struct Crash {};  // the harness process dying mid-run

TEST(LoopBudgets, AResumedRunKeepsWhatItSpentBeforeTheCrash) {
  auto c = FakeRun::default_config();
  c.generations = 3;
  c.stop.after_fixes = 0;
  c.run_budget.tokens = 5000;
  FakeRun run(c, {"spender"});
  run.processes.script_agent("spender", scripts::spender(3, 1000, 100, 500));  // 3300 tokens, then exits
  run.processes.at(1200, [] { throw Crash{}; });  // generation 2: its agent made one call
  EXPECT_THROW(run.run(), Crash);
  auto result = run.resume();
  EXPECT_EQ(result.stop_reason, "run budget exceeded") << "generation 1's 3300 tokens still count";
  auto again = run.agent("g02-a01", 2);
  EXPECT_EQ(to_string(again.outcome), "killed_budget");
  EXPECT_EQ(again.input_tokens + again.output_tokens, 2200) << "3300 recorded + 2200 crossed 5000";
  EXPECT_EQ(run.planner.planned, (std::vector<int>{1, 2}));
  auto budget = run.events("budget.exceeded");
  ASSERT_EQ(budget.size(), 1u);
  EXPECT_EQ(budget[0]["tokens"], 5500);
}

TEST(LoopBudgets, RunBudgetCountsEveryGenerationAndStopsLaunching) {
  auto c = FakeRun::default_config();
  c.generations = 2;
  c.population = 2;
  c.concurrency = 1;
  c.stop.after_fixes = 0;
  c.run_budget.usd = 1.0;
  FakeRun run(c, {"pricey"});
  FakeScript pricey;
  for (int i = 0; i < 3; ++i) pricey.print(jsonl::llm_call(10, 1, 0.25)).silent(10);
  run.processes.script_agent("pricey", pricey.exit(0));  // $0.75 each
  auto result = run.run();
  EXPECT_EQ(result.stop_reason, "run budget exceeded");
  // g01-a01 spent 0.75; g01-a02's first call makes 1.00 (not over), its second 1.25.
  EXPECT_EQ(run.processes.launches().size(), 2u);
  EXPECT_EQ(to_string(run.agent("g01-a01").outcome), "completed");
  EXPECT_EQ(to_string(run.agent("g01-a02").outcome), "killed_budget");
  EXPECT_DOUBLE_EQ(run.agent("g01-a02").cost_usd, 0.5);
  EXPECT_EQ(run.events("budget.exceeded")[0]["cost_usd"], 1.25);
  EXPECT_EQ(run.planner.planned, (std::vector<int>{1}));
  EXPECT_EQ(run.count("budget.exceeded"), 1);
}

}  // namespace
}  // namespace harness_test

// Resume after a crash, in-process through the loop's seams (fakes.h): the "crash" is an exception thrown
// from inside a wait, which leaves run.db as a killed harness leaves it at that point (attempts `running`,
// the generation open); a second GenerationLoop on the same store is `harness resume`. What a SIGKILL at any
// write does is tested end to end by crash_resume_test.cpp.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>

#include "fakes.h"

namespace harness_test {
namespace {

using Seq = std::vector<std::string>;

struct Crash {};

std::vector<std::string> rows(FakeRun& run) {
  std::vector<std::string> out;
  for (const auto& a : run.agents())
    out.push_back(fmt::format("{}#{} {} {} [{}] {}", a.id, a.attempt, to_string(a.status), to_string(a.outcome),
                              a.end_reason, a.external_id));
  return out;
}

TEST(LoopResume, AnAttemptFoundRunningIsEndedDiscardedAndRunAgain) {
  FakeRun run(FakeRun::default_config(), {"fixer"});
  run.processes.script_agent(
      "fixer", FakeScript().print(jsonl::session_start()).silent(1000).edit("state.txt", "fixed").exit(0));
  run.processes.script_verify(scripts::verify_state_fixed());
  run.processes.at(300, [] { throw Crash{}; });
  EXPECT_THROW(run.run(), Crash);
  EXPECT_EQ(rows(run), (Seq{"g01-a01#1 running none [] fake:1"})) << "durable before the process ran";
  EXPECT_EQ(to_string(run.state->generation(1)->status), "running");

  auto result = run.resume();
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(run.processes.leftovers_asked(), (Seq{"g01-a01#1"}))
      << "what it left is ended before it runs again";
  EXPECT_EQ(run.workspaces.discarded(), (Seq{"g01-a01"})) << "its half-done workspace goes";
  EXPECT_EQ(run.workspaces.present(), (Seq{"g01-a01.attempt2"}));
  EXPECT_EQ(rows(run), (Seq{"g01-a01#1 interrupted interrupted [harness stopped while it ran] fake:1",
                            "g01-a01#2 completed completed [exit 0] fake:2"}));
  EXPECT_EQ(run.sequence(),
            (Seq{"run.created", "generation.started", "agent.spawned g01-a01", "checkpoint.resumed",
                 "agent.spawned g01-a01", "verify.passed g01-a01", "agent.completed g01-a01",
                 "checkpoint.saved g01-a01", "checkpoint.saved", "run.finalized"}));
}

// The workspace is made before the attempt is recorded running: a harness that died in between left a
// workspace for an attempt still pending. Found by CrashResume.KilledAtManyPointsResumesToTheSameRun under
// load (the re-run attempt failed to launch: "workspace 'g02-a01' already exists").
TEST(LoopResume, AWorkspaceLeftForAPendingAttemptIsDiscardedBeforeItRuns) {
  FakeRun run(FakeRun::default_config(), {"fixer"});
  run.processes.script_agent("fixer", scripts::fixer());
  run.processes.script_verify(scripts::verify_state_fixed());
  run.workspaces.after_next_create([] { throw Crash{}; });
  EXPECT_THROW(run.run(), Crash);
  EXPECT_EQ(rows(run), (Seq{"g01-a01#1 pending none [] "}));
  EXPECT_EQ(run.workspaces.present(), (Seq{"g01-a01"}));

  auto result = run.resume();
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(run.workspaces.discarded(), (Seq{"g01-a01"}));
  EXPECT_EQ(rows(run), (Seq{"g01-a01#1 completed completed [exit 0] fake:1"}))
      << "the same attempt, launched";
  EXPECT_TRUE(run.processes.leftovers_asked().empty()) << "a pending attempt never had a process";
}

TEST(LoopResume, CompletedAttemptsAndGenerationsAreNeverRunAgain) {
  auto c = FakeRun::default_config();
  c.generations = 2;
  c.population = 2;
  c.concurrency = 1;
  c.stop.after_fixes = 0;
  FakeRun run(c, {"wrong", "slow"});
  run.processes.script_agent("wrong", scripts::wrong());
  run.processes.script_agent("slow", FakeScript().silent(1000).exit(0));
  run.processes.script_verify(scripts::verify_state_fixed());
  run.processes.at(1500, [] { throw Crash{}; });  // generation 2: g02-a01 done, g02-a02 running
  EXPECT_THROW(run.run(), Crash);
  ASSERT_EQ(run.processes.launches(harness::ProcessRole::agent).size(), 4u);

  auto result = run.resume();
  EXPECT_EQ(result.exit_code, 1);
  auto launches = run.processes.launches(harness::ProcessRole::agent);
  ASSERT_EQ(launches.size(), 5u) << "only the attempt in flight runs again";
  EXPECT_EQ(launches.back().spec.env.at("HARNESS_AGENT_ID"), "g02-a02");
  EXPECT_EQ(run.planner.planned, (std::vector<int>{1, 2})) << "generation numbers never move";
  EXPECT_EQ(run.planner.finished, (std::vector<int>{1, 2}));
  EXPECT_EQ(run.count("checkpoint.resumed"), 1);
  EXPECT_EQ(run.count("generation.started"), 2);
  EXPECT_EQ(run.count("run.finalized"), 1);
}

// The same run crashed at every wait on its agents, then resumed: the same completed agents, no duplicates,
// only the winners' workspaces left, generations numbered 1..2 once each. One test per crash point.
constexpr int kWaits = 12;  // in the uninterrupted run (asserted below)

class LoopCrashResume : public ::testing::TestWithParam<int> {
 protected:
  static harness::Config config() {
    auto c = FakeRun::default_config();
    c.generations = 2;
    c.population = 3;
    c.concurrency = 2;
    c.stop.after_fixes = 0;
    return c;
  }
  static void script(FakeRun& run) {
    run.processes.script_agent("slow", FakeScript().print(jsonl::session_start()).silent(300).exit(0));
    run.processes.script_agent("wrong", scripts::wrong());
    run.processes.script_agent("fixer", scripts::fixer());
    run.processes.script_verify(scripts::verify_state_fixed(150));
  }
  // generation -> slot -> "strategy/verify/outcome" of its one completed attempt.
  static std::map<int, std::map<int, std::string>> completed(FakeRun& run) {
    std::map<int, std::map<int, std::string>> out;
    for (const auto& a : run.agents()) {
      if (a.status != harness::AttemptStatus::completed) continue;
      EXPECT_FALSE(out[a.generation].count(a.slot)) << "duplicate " << a.id;
      out[a.generation][a.slot] = fmt::format("{}/{}/{}", a.strategy, a.verify.label(), to_string(a.outcome));
    }
    return out;
  }
};

// What the uninterrupted run does, which every crashed and resumed one must match.
const std::map<int, std::map<int, std::string>> kCompleted = {
    {1, {{1, "slow/not_run/completed"}, {2, "wrong/failed/completed"}, {3, "fixer/passed/completed"}}},
    {2, {{1, "slow/not_run/completed"}, {2, "wrong/failed/completed"}, {3, "fixer/passed/completed"}}}};

TEST_F(LoopCrashResume, TheUninterruptedRun) {
  FakeRun reference(config(), {"slow", "wrong", "fixer"});
  script(reference);
  ASSERT_EQ(reference.run().exit_code, 0);
  EXPECT_EQ(reference.processes.waits(), kWaits);
  EXPECT_EQ(completed(reference), kCompleted);
  EXPECT_EQ(reference.workspaces.present(), (Seq{"g01-a03", "g02-a03"}));
}

TEST_P(LoopCrashResume, ResumesToTheSameRun) {
  FakeRun run(config(), {"slow", "wrong", "fixer"});
  script(run);
  run.processes.on_wait(GetParam(), [] { throw Crash{}; });
  EXPECT_THROW(run.run(), Crash);
  EXPECT_EQ(run.resume().exit_code, 0);
  EXPECT_EQ(completed(run), kCompleted);
  std::vector<std::string> winners;
  for (const auto& a : run.agents())
    if (harness::is_validated_fix(a)) winners.push_back(harness::workspace_name(a));
  EXPECT_EQ(run.workspaces.present(), winners) << "only the kept workspaces (keep: winners) stay";
  std::vector<int> numbers;
  for (const auto& g : run.state->generations()) numbers.push_back(g.number);
  EXPECT_EQ(numbers, (std::vector<int>{1, 2}));
  EXPECT_EQ(run.count("run.finalized"), 1);
  EXPECT_EQ(run.processes.running(), 0);
}

INSTANTIATE_TEST_SUITE_P(AtEveryWait, LoopCrashResume, ::testing::Range(1, kWaits + 1));

// A loop detected before the crash stays recorded once: the attempt it ended is completed (killed_loop), so resume
// neither runs it again nor detects it twice; the generation that crashed is re-run and detects its own.
TEST(LoopResume, ADetectionBeforeTheCrashIsKeptExactlyOnce) {
  auto looper = [] {
    FakeScript s;
    s.print(jsonl::session_start());
    for (int i = 0; i < 8; ++i) s.print(jsonl::tool_failed(fmt::format("t{}", i), "make: *** [test] Error 2")).silent(20);
    return s.exit(0);
  };
  auto c = FakeRun::default_config();
  c.stop.after_fixes = 0;
  FakeRun one(c, {"looper"});  // generation 1 alone: how many waits it takes
  one.processes.script_agent("looper", looper());
  one.processes.script_verify(scripts::verify_state_fixed());
  one.run();
  ASSERT_EQ(to_string(one.agent("g01-a01").outcome), "killed_loop");
  const int gen1_waits = one.processes.waits();

  c.generations = 2;
  FakeRun run(c, {"looper"});
  run.processes.script_agent("looper", looper());
  run.processes.script_verify(scripts::verify_state_fixed());
  run.processes.on_wait(gen1_waits + 1, [] { throw Crash{}; });  // generation 2's agent has just started
  EXPECT_THROW(run.run(), Crash);
  EXPECT_EQ(run.count("agent.loop_detected"), 1);
  EXPECT_EQ(run.resume().exit_code, 1);
  auto first = run.agent("g01-a01");
  EXPECT_EQ(to_string(first.outcome), "killed_loop");
  EXPECT_EQ(first.attempt, 1);
  EXPECT_EQ(to_string(run.agent("g02-a01", 2).outcome), "killed_loop");
  auto detections = run.events("agent.loop_detected");
  ASSERT_EQ(detections.size(), 2u) << "generation 1's, kept, and generation 2's re-run";
  EXPECT_EQ(detections[0]["kind"], "repeat");
}

// The observer's slow step (observer.command, minutes) holds no store transaction, so the receiver and proxy
// threads keep writing; what it found is recorded inside the transaction that completes the generation.
TEST(LoopResume, TheObserverRunsOutsideTheTransactionThatRecordsIt) {
  auto c = FakeRun::default_config();
  c.generations = 2;
  FakeRun run(c, {"wrong"});
  run.planner.store = run.store.get();
  run.processes.script_agent("wrong", scripts::wrong());
  run.processes.script_verify(scripts::verify_state_fixed());
  run.run();
  EXPECT_EQ(run.planner.observed, (std::vector<int>{1, 2}));
  EXPECT_EQ(run.planner.finished, (std::vector<int>{1, 2}));
  EXPECT_EQ(run.planner.observed_in_transaction, (std::vector<bool>{false, false}));
  EXPECT_EQ(run.planner.finished_in_transaction, (std::vector<bool>{true, true}));
}

}  // namespace
}  // namespace harness_test

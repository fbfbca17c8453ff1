// The loop's stop rules in-process through its seams (fakes.h): the first validated fix, generations without
// progress, the wall-clock limit, and the stop rule for Slurm failures (exit 3, resumable). Exact event
// sequences; fake time, no processes.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "fakes.h"

namespace harness_test {
namespace {

using Seq = std::vector<std::string>;
using harness::ProcessRole;

std::vector<std::string> rows(FakeRun& run) {
  std::vector<std::string> out;
  for (const auto& a : run.agents())
    out.push_back(fmt::format("{}#{} {} {} [{}] {}", a.id, a.attempt, to_string(a.status), to_string(a.outcome),
                              a.end_reason, a.external_id));
  return out;
}

TEST(LoopStopRules, StopsAfterTheFirstValidatedFixAndKeepsOnlyTheWinnersWorkspace) {
  auto c = FakeRun::default_config();
  c.generations = 3;
  c.population = 2;
  c.concurrency = 2;
  c.verify.protected_paths = {"verify.sh"};
  FakeRun run(c, {"wrong", "fixer"});
  run.processes.script_agent("wrong", scripts::wrong());
  run.processes.script_agent("fixer", scripts::fixer());
  run.processes.script_verify(scripts::verify_state_fixed());
  auto result = run.run();
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.validated_fixes, 1);
  EXPECT_EQ(result.stop_reason, "1 validated fix found");
  EXPECT_EQ(run.sequence(),
            (Seq{"run.created", "generation.started", "agent.spawned g01-a01", "agent.spawned g01-a02",
                 "verify.failed g01-a01", "agent.completed g01-a01", "checkpoint.saved g01-a01",
                 "verify.passed g01-a02", "agent.completed g01-a02", "checkpoint.saved g01-a02",
                 "checkpoint.saved", "run.finalized"}));
  EXPECT_EQ(run.planner.planned, (std::vector<int>{1}));
  EXPECT_EQ(run.agent("g01-a01").verify.first_failure, "FAIL: state is not fixed");
  EXPECT_EQ(run.agent("g01-a02").changed_files, (std::vector<std::string>{"state.txt"}));
  EXPECT_EQ(run.workspaces.named("g01-a02")->restored, (std::vector<std::vector<std::string>>{{"verify.sh"}}))
      << "protected paths restored before verify";
  EXPECT_EQ(run.workspaces.present(), (std::vector<std::string>{"g01-a02"})) << "keep: winners";
  EXPECT_EQ(run.count("tool.call.failed"), 2) << "decoded live from both agents' output";
}

TEST(LoopStopRules, ProtectedPathsRestoredBeforeVerifyUndoAnEditedTest) {
  auto c = FakeRun::default_config();
  c.verify.protected_paths = {"verify.sh"};
  FakeRun run(c, {"edit-test"});
  run.workspaces = FakeWorkspaces({{"state.txt", "bug"}, {"verify.sh", "check state"}});
  run.processes.script_agent("edit-test", FakeScript().edit("verify.sh", "exit 0").exit(0));
  run.processes.script_verify([](const FakeWorkspaceState& ws, int) {
    return ws.file("verify.sh") == "exit 0" ? FakeScript().exit(0) : FakeScript().print("FAIL").exit(1);
  });
  EXPECT_EQ(run.run().exit_code, 1);
  EXPECT_EQ(run.agent("g01-a01").verify.label(), "failed") << "editing the test must not count as a fix";
}

TEST(LoopStopRules, NoProgressStopsAfterThatManyGenerationsInARowWithout) {
  auto c = FakeRun::default_config();
  c.generations = 6;
  c.stop.after_fixes = 0;
  c.stop.no_progress_generations = 2;
  FakeRun run(c, {"wrong"});
  run.processes.script_agent("wrong", scripts::wrong());
  run.processes.script_verify(scripts::verify_state_fixed());
  run.planner.summaries[2].new_important = 1;  // a new important observation is progress
  auto result = run.run();
  EXPECT_EQ(result.stop_reason, "no progress in 2 generations");
  EXPECT_EQ(run.planner.planned, (std::vector<int>{1, 2, 3, 4}));
  EXPECT_EQ(run.count("generation.started"), 4);
  EXPECT_EQ(run.count("run.finalized"), 1);
}

TEST(LoopStopRules, APartialFixIsProgress) {
  auto c = FakeRun::default_config();
  c.generations = 3;
  c.stop.no_progress_generations = 1;
  c.verify.repeat = 2;
  FakeRun run(c, {"flaky"});
  run.processes.script_agent("flaky", scripts::fixer());
  run.processes.script_verify([](const FakeWorkspaceState&, int repeat) {
    return repeat == 1 ? FakeScript().exit(0) : FakeScript().print("FAIL: flaky").exit(1);
  });
  auto result = run.run();
  EXPECT_EQ(result.stop_reason, "3 generations done");
  EXPECT_EQ(result.validated_fixes, 0);
  EXPECT_EQ(run.agent("g03-a01").verify.label(), "partial");
}

TEST(LoopStopRules, WallClockLimitStopsLaunchingThenTheRun) {
  auto c = FakeRun::default_config();
  c.generations = 2;
  c.population = 3;
  c.stop.after_fixes = 0;
  c.stop.wall_clock_s = 1;
  FakeRun run(c, {"slow"});
  run.processes.script_agent("slow", FakeScript().silent(600).exit(0));
  auto result = run.run();
  EXPECT_EQ(result.stop_reason, "wall-clock limit of 1s reached");
  auto launches = run.processes.launches();
  ASSERT_EQ(launches.size(), 2u);
  EXPECT_EQ(launches[1].at_ms, 600) << "0.6 s in: still launching";
  EXPECT_EQ(run.agent("g01-a03").end_reason, "not launched: stop rule or budget") << "1.2 s in: not any more";
  EXPECT_EQ(run.planner.planned, (std::vector<int>{1}));
  EXPECT_EQ(run.timeline().back(), "1200 run.finalized");
}

constexpr const char* kSlurmRejects =
    "slurm: srun: error: Unable to allocate resources: Invalid partition name specified";

TEST(LoopStopRules, LaunchesSlurmRejectsStopTheRunAndResumeRerunsThem) {
  auto c = FakeRun::default_config();
  c.generations = 2;
  c.population = 3;
  c.concurrency = 2;
  FakeRun run(c, {"wrong"});
  run.processes.script_agent("wrong", FakeScript().fail_launch(kSlurmRejects, /*system=*/true));
  run.processes.script_verify(scripts::verify_state_fixed());
  auto result = run.run();
  EXPECT_EQ(result.exit_code, 3);
  const std::string reason = std::string("2 launches in a row failed because of Slurm: ") + kSlurmRejects;
  EXPECT_EQ(result.stop_reason, reason);
  // Two failed launches (= concurrency) in a row: the third slot is never launched, the generation not
  // finished.
  EXPECT_EQ(run.processes.launches().size(), 2u);
  EXPECT_EQ(rows(run), (Seq{fmt::format("g01-a01#1 interrupted launch_failed [{}] ", kSlurmRejects),
                            fmt::format("g01-a02#1 interrupted launch_failed [{}] ", kSlurmRejects),
                            "g01-a03#1 pending none [] "}));
  EXPECT_EQ(to_string(run.state->run()->status), "failed");
  EXPECT_EQ(run.state->run()->exit_code, 3);
  EXPECT_EQ(to_string(run.state->generation(1)->status), "running");
  EXPECT_EQ(run.sequence(),
            (Seq{"run.created", "generation.started", "agent.launch_failed g01-a01",
                 "agent.completed g01-a01", "checkpoint.saved g01-a01", "agent.launch_failed g01-a02",
                 "agent.completed g01-a02", "checkpoint.saved g01-a02", "run.stopped"}));
  for (const auto& e : run.events("agent.launch_failed")) EXPECT_EQ(e["system"], true);
  EXPECT_EQ(run.events("run.stopped")[0],
            (nlohmann::json{{"reason", reason}, {"generation", 1}, {"exit_code", 3}}));
  EXPECT_NE(std::find(run.progress.lines.begin(), run.progress.lines.end(),
                      fmt::format("stopped in generation 1: {}; `harness resume {}` re-runs what did not run",
                                  reason, run.dir())),
            run.progress.lines.end());

  // Slurm is back: resume runs the failed attempts again and the slot never launched.
  run.processes.script_agent("wrong", scripts::wrong());
  result = run.resume();
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(run.processes.leftovers_asked(), (Seq{"g01-a01#1", "g01-a02#1"}));
  EXPECT_EQ(rows(run), (Seq{fmt::format("g01-a01#1 interrupted launch_failed [{}] ", kSlurmRejects),
                            "g01-a01#2 completed completed [exit 0] fake:1",
                            fmt::format("g01-a02#1 interrupted launch_failed [{}] ", kSlurmRejects),
                            "g01-a02#2 completed completed [exit 0] fake:2",
                            // fake:3, 4, 6, 9, 10 and 12 are the verify runs
                            "g01-a03#1 completed completed [exit 0] fake:5",
                            "g02-a01#1 completed completed [exit 0] fake:7",
                            "g02-a02#1 completed completed [exit 0] fake:8",
                            "g02-a03#1 completed completed [exit 0] fake:11"}));
  EXPECT_EQ(to_string(run.state->run()->status), "completed");
  EXPECT_EQ(run.state->run()->exit_code, 1);
  EXPECT_EQ(run.count("checkpoint.resumed"), 1);
  EXPECT_EQ(run.count("run.stopped"), 1);
}

TEST(LoopStopRules, OneRejectedLaunchAmongGoodOnesOnlyCostsThatAgent) {
  auto c = FakeRun::default_config();
  c.generations = 2;
  c.population = 3;
  c.concurrency = 2;
  c.stop.after_fixes = 0;
  FakeRun run(c, {"wrong", "rejected", "wrong"});
  run.processes.script_agent("wrong", scripts::wrong());
  run.processes.script_verify(scripts::verify_state_fixed());
  run.processes.script_agent(
      "rejected", FakeScript().fail_launch("slurm: srun: error: Job violates accounting/QOS policy", true));
  auto result = run.run();
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.stop_reason, "2 generations done");
  int completed = 0;
  std::vector<std::string> failed;
  for (const auto& a : run.agents()) {
    completed += a.status == harness::AttemptStatus::completed;
    if (a.outcome != harness::AgentOutcome::completed)
      failed.push_back(a.id + " " + std::string(to_string(a.outcome)));
  }
  EXPECT_EQ(completed, 6);
  EXPECT_EQ(failed, (Seq{"g01-a02 launch_failed", "g02-a02 launch_failed"}));
  EXPECT_EQ(run.count("run.stopped"), 0);
}

TEST(LoopStopRules, SlurmEndingARunningAgentIsACrashNotAStop) {
  auto c = FakeRun::default_config();
  FakeRun run(c, {"node-fail"});
  run.processes.script_agent("node-fail", FakeScript()
                                              .print(jsonl::session_start())
                                              .silent(200)
                                              .system_failure("slurm job 7: NODE_FAIL")
                                              .exit(1));
  auto result = run.run();
  EXPECT_EQ(result.exit_code, 1);
  auto a = run.agent("g01-a01");
  EXPECT_EQ(to_string(a.outcome), "crashed");
  EXPECT_EQ(a.end_reason, "slurm job 7: NODE_FAIL");
  auto failed = run.events("agent.system_failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0], (nlohmann::json{{"agent", "g01-a01"},
                                       {"error", "slurm job 7: NODE_FAIL"},
                                       {"process", "fake:1"},
                                       {"exit", "exit 1"}}));
  EXPECT_EQ(run.store->span(a.span_id)->attributes.value("harness.system_failure", ""),
            "slurm job 7: NODE_FAIL");
  EXPECT_EQ(run.count("run.stopped"), 0);
}

}  // namespace
}  // namespace harness_test

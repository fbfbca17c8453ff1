// Ctrl-C and TERM in-process through the loop's seams (fakes.h): the first interrupt stops launching, asks
// every agent to stop at once, kills each (one grace in all), checkpoints and ends the run with 130; `resume`
// then re-runs the interrupted attempts. The second Ctrl-C (_exit from the signal handler) is only end to end
// (interrupt_test.cpp).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "fakes.h"
#include "harness/interrupt.h"

namespace harness_test {
namespace {

using Seq = std::vector<std::string>;

std::vector<std::string> rows(FakeRun& run) {
  std::vector<std::string> out;
  for (const auto& a : run.agents())
    out.push_back(
        fmt::format("{}#{} {} {} [{}]", a.id, a.attempt, to_string(a.status), to_string(a.outcome), a.end_reason));
  return out;
}

FakeScript sleepy() { return FakeScript().print(jsonl::session_start()); }  // silent from then on

TEST(LoopInterrupt, StopsLaunchingKillsEveryAgentCheckpointsAndExits130) {
  auto c = FakeRun::default_config();
  c.generations = 2;
  c.population = 3;
  c.concurrency = 2;
  FakeRun run(c, {"sleepy"});
  run.processes.script_agent("sleepy", sleepy());
  run.processes.at(500, [] { harness::request_interrupt(); });
  auto result = run.run();
  EXPECT_EQ(result.exit_code, 130);
  EXPECT_EQ(result.stop_reason, "interrupted");
  EXPECT_EQ(run.processes.stop_requests(), (Seq{"fake:1", "fake:2"})) << "every agent asked to stop first";
  ASSERT_EQ(run.processes.kills().size(), 2u);
  for (const auto& k : run.processes.kills()) EXPECT_EQ(k.at_ms, 500) << k.external_id;
  EXPECT_EQ(run.processes.running(), 0) << "no agent may outlive the interrupt";
  EXPECT_EQ(run.processes.launches().size(), 2u) << "nothing launched after the interrupt";
  EXPECT_EQ(rows(run), (Seq{"g01-a01#1 interrupted interrupted [interrupted (Ctrl-C / TERM)]",
                            "g01-a02#1 interrupted interrupted [interrupted (Ctrl-C / TERM)]",
                            "g01-a03#1 pending none []"}));
  EXPECT_EQ(run.timeline(),
            (Seq{"0 run.created", "0 generation.started", "0 agent.spawned g01-a01",
                 "0 agent.spawned g01-a02", "500 agent.killed g01-a01", "500 checkpoint.saved g01-a01",
                 "500 agent.killed g01-a02", "500 checkpoint.saved g01-a02", "500 checkpoint.saved"}));
  EXPECT_EQ(run.events("checkpoint.saved").back(),
            (nlohmann::json{{"status", "interrupted"}, {"generation", 1}}));
  EXPECT_EQ(to_string(run.state->run()->status), "interrupted");
  EXPECT_EQ(run.state->run()->exit_code, 130);
  EXPECT_EQ(run.planner.planned, (std::vector<int>{1})) << "no generation may start after the interrupt";
  EXPECT_TRUE(run.planner.finished.empty());
  EXPECT_TRUE(run.workspaces.present().empty()) << "an interrupted attempt's workspace is never kept";

  // Resume re-runs the interrupted agents as second attempts (what the old ones left ended first), and the
  // slot never launched as its first.
  run.processes.script_agent("sleepy", scripts::fixer());
  run.processes.script_verify(scripts::verify_state_fixed());
  result = run.resume();
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(run.processes.leftovers_asked(), (Seq{"g01-a01#1", "g01-a02#1"}));
  EXPECT_EQ(run.workspaces.discarded(), (Seq{"g01-a01", "g01-a02", "g01-a03", "g01-a01", "g01-a02"}))
      << "unkept (and pending attempts') workspaces at the start, then each re-run attempt's";
  EXPECT_EQ(run.workspaces.present(), (Seq{"g01-a01.attempt2", "g01-a02.attempt2", "g01-a03"}))
      << "winners kept";
  EXPECT_EQ(rows(run),
            (Seq{"g01-a01#1 interrupted interrupted [interrupted (Ctrl-C / TERM)]",
                 "g01-a01#2 completed completed [exit 0]",
                 "g01-a02#1 interrupted interrupted [interrupted (Ctrl-C / TERM)]",
                 "g01-a02#2 completed completed [exit 0]", "g01-a03#1 completed completed [exit 0]"}));
  EXPECT_EQ(run.count("checkpoint.resumed"), 1);
  EXPECT_EQ(run.planner.planned, (std::vector<int>{1})) << "a resumed generation keeps its allocation";
  EXPECT_EQ(to_string(run.state->run()->status), "completed");
}

TEST(LoopInterrupt, AgentsSlowToStopCostOneGraceInAllNotOneEach) {
  auto c = FakeRun::default_config();
  c.population = 2;
  c.concurrency = 2;
  FakeRun run(c, {"slow-to-stop"});
  run.processes.script_agent("slow-to-stop", sleepy().term_takes(1500));
  run.processes.at(500, [] { harness::request_interrupt(); });
  run.run();
  ASSERT_EQ(run.processes.kills().size(), 2u);
  // Both got TERM at 500: the first kill waits 1.5 s for its agent, by then the second one is gone too.
  EXPECT_EQ(run.processes.kills()[0].at_ms, 500);
  EXPECT_EQ(run.processes.kills()[0].took_ms, 1500);
  EXPECT_EQ(run.processes.kills()[1].at_ms, 2000);
  EXPECT_EQ(run.processes.kills()[1].took_ms, 0);
  EXPECT_EQ(run.timeline().back(), "2000 checkpoint.saved");
}

TEST(LoopInterrupt, AgentsIgnoringTermCostAGraceEach) {
  auto c = FakeRun::default_config();
  c.population = 2;
  c.concurrency = 2;
  FakeRun run(c, {"stubborn"});
  run.processes.script_agent("stubborn", sleepy().ignore_term());
  run.processes.at(500, [] { harness::request_interrupt(); });
  EXPECT_EQ(run.run().exit_code, 130);
  ASSERT_EQ(run.processes.kills().size(), 2u);
  EXPECT_EQ(run.processes.kills()[0].took_ms, 2000);
  EXPECT_EQ(run.processes.kills()[1].took_ms, 2000);
  EXPECT_EQ(run.timeline().back(), "4500 checkpoint.saved");
}

TEST(LoopInterrupt, AnInterruptedVerificationIsRunAgainOnResume) {
  FakeRun run(FakeRun::default_config(), {"fixer"});
  run.processes.script_agent("fixer", scripts::fixer());
  run.processes.script_verify(scripts::verify_state_fixed(1000));
  run.processes.at(300, [] { harness::request_interrupt(); });
  EXPECT_EQ(run.run().exit_code, 130);
  EXPECT_EQ(rows(run), (Seq{"g01-a01#1 interrupted interrupted [interrupted (Ctrl-C / TERM)]"}));
  EXPECT_EQ(run.processes.stop_requests(), Seq{}) << "TERM first goes to running agents only";
  ASSERT_EQ(run.processes.kills().size(), 1u);
  EXPECT_EQ(run.processes.kills()[0].external_id, "fake:2") << "the verify run";
  EXPECT_EQ(run.sequence(), (Seq{"run.created", "generation.started", "agent.spawned g01-a01",
                                 "verify.failed g01-a01", "checkpoint.saved g01-a01", "checkpoint.saved"}));
  EXPECT_EQ(run.events("verify.failed")[0]["repeats"], 0) << "no repeat finished";

  auto result = run.resume();
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(run.agent("g01-a01", 2).verify.label(), "passed");
}

}  // namespace
}  // namespace harness_test

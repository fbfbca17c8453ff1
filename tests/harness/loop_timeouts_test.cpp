// The loop's timeouts in-process through its seams (fakes.h): idle and wall timeouts of an agent, the verify
// timeout, and the kill grace an agent that ignores TERM costs. Fake time: each test asserts the exact
// instant (in fake milliseconds) of every event.
#include <gtest/gtest.h>

#include "fakes.h"

namespace harness_test {
namespace {

using Seq = std::vector<std::string>;

TEST(LoopTimeouts, SilentAgentIsKilledAsStuckAtTheFirstCheckPastItsIdleTimeout) {
  auto c = FakeRun::default_config();
  c.runner.idle_timeout_s = 1;
  FakeRun run(c, {"hang"});
  run.processes.script_agent("hang", FakeScript().print(jsonl::session_start()));  // then silent, never exits
  auto result = run.run();
  EXPECT_EQ(result.exit_code, 1);
  // Output at 0; checks every 100 ms (GenerationLoop::kPumpInterval); 1100 is the first more than 1 s after.
  EXPECT_EQ(run.timeline(),
            (Seq{"0 run.created", "0 generation.started", "0 agent.spawned g01-a01",
                 "1100 agent.killed g01-a01", "1100 agent.completed g01-a01", "1100 checkpoint.saved g01-a01",
                 "1100 checkpoint.saved", "1100 run.finalized"}));
  auto a = run.agent("g01-a01");
  EXPECT_EQ(to_string(a.outcome), "killed_stuck");
  EXPECT_EQ(a.end_reason, "no output for 1s (idle timeout)");
  EXPECT_EQ(run.events("agent.killed")[0]["outcome"], "killed_stuck");
  ASSERT_EQ(run.processes.kills().size(), 1u);
  EXPECT_EQ(run.processes.kills()[0].at_ms, 1100);
  EXPECT_EQ(run.processes.kills()[0].grace_ms, 2000);
  EXPECT_EQ(run.processes.kills()[0].took_ms, 0) << "it honours TERM";
}

TEST(LoopTimeouts, OutputKeepsAnAgentAliveUntilItsWallTimeout) {
  auto c = FakeRun::default_config();
  c.runner.idle_timeout_s = 1;
  c.runner.wall_timeout_s = 2;
  FakeRun run(c, {"chatty"});
  FakeScript chatty;
  for (int i = 0; i < 20; ++i) chatty.print(jsonl::llm_call(1, 1)).silent(500);
  run.processes.script_agent("chatty", chatty);
  run.run();
  auto a = run.agent("g01-a01");
  EXPECT_EQ(to_string(a.outcome), "killed_timeout");
  EXPECT_EQ(a.end_reason, "ran longer than 2s (wall timeout)");
  // Output at 0, 500, ..., 2000; 2100 is the first check more than 2 s after the start. Never idle.
  ASSERT_EQ(run.processes.kills().size(), 1u);
  EXPECT_EQ(run.processes.kills()[0].at_ms, 2100);
  EXPECT_EQ(run.count("agent.killed"), 1);
  EXPECT_EQ(a.input_tokens, 5) << "five calls decoded before the kill";
}

TEST(LoopTimeouts, VerifyTimeoutEndsTheRepeatAsAFailure) {
  auto c = FakeRun::default_config();
  c.verify.timeout_s = 1;
  c.verify.repeat = 3;
  FakeRun run(c, {"fixer"});
  run.processes.script_agent("fixer", scripts::fixer());
  run.processes.script_verify([](const FakeWorkspaceState&, int repeat) {
    return repeat == 2 ? FakeScript().print("checking...") : FakeScript().exit(0);  // the second one hangs
  });
  auto result = run.run();
  EXPECT_EQ(result.exit_code, 1);
  auto a = run.agent("g01-a01");
  EXPECT_EQ(to_string(a.outcome), "completed");
  EXPECT_EQ(a.verify.label(), "partial");
  EXPECT_EQ(a.verify.passes, 2);
  EXPECT_EQ(a.verify.repeats, 3);
  EXPECT_EQ(a.verify.first_failure, "verify signal 9 (Killed)");
  auto verifies = run.processes.launches(harness::ProcessRole::verify);
  ASSERT_EQ(verifies.size(), 3u);
  EXPECT_EQ(verifies[1].at_ms, 0);
  EXPECT_EQ(verifies[2].at_ms, 1100) << "the hung repeat is ended at the first check past 1 s";
  ASSERT_EQ(run.processes.kills().size(), 1u);
  EXPECT_EQ(run.processes.kills()[0].external_id, verifies[1].external_id);
  EXPECT_EQ(run.timeline(),
            (Seq{"0 run.created", "0 generation.started", "0 agent.spawned g01-a01",
                 "1100 verify.failed g01-a01", "1100 agent.completed g01-a01",
                 "1100 checkpoint.saved g01-a01", "1100 checkpoint.saved", "1100 run.finalized"}));
}

TEST(LoopTimeouts, AnAgentIgnoringTermCostsTheWholeKillGrace) {
  auto c = FakeRun::default_config();
  c.runner.idle_timeout_s = 1;
  FakeRun run(c, {"stubborn"});
  run.processes.script_agent("stubborn", FakeScript().print(jsonl::session_start()).ignore_term());
  run.run();
  ASSERT_EQ(run.processes.kills().size(), 1u);
  EXPECT_EQ(run.processes.kills()[0].took_ms, 2000) << "TERM ignored: the KILL comes after the grace";
  EXPECT_EQ(run.timeline().back(), "3100 run.finalized");
}

TEST(LoopTimeouts, ACrashIsRecordedWithItsExitAndNotKilled) {
  FakeRun run(FakeRun::default_config(), {"crasher"});
  run.processes.script_agent("crasher", FakeScript().print(jsonl::session_start()).silent(300).exit(3));
  run.run();
  auto a = run.agent("g01-a01");
  EXPECT_EQ(to_string(a.outcome), "crashed");
  EXPECT_EQ(a.end_reason, "exit 3");
  EXPECT_TRUE(run.processes.kills().empty());
  EXPECT_EQ(run.timeline(), (Seq{"0 run.created", "0 generation.started", "0 agent.spawned g01-a01",
                                 "300 agent.completed g01-a01", "300 checkpoint.saved g01-a01",
                                 "300 checkpoint.saved", "300 run.finalized"}));
}

}  // namespace
}  // namespace harness_test

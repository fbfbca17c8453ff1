// The generation loop end to end through the real binary: real processes, a real git repo, real verification.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "loop_fixture.h"
#include "trace/store.h"

namespace fs = std::filesystem;
using harness_test::LoopFixture;
using harness_test::run_shell;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

int64_t count_events(const std::string& run_dir, const std::string& type) {
  auto store = trace::Store::open(run_dir + "/run.db", trace::Store::Mode::read_only);
  int64_t n = 0;
  store->query("SELECT COUNT(*) FROM events WHERE type=?", {type}, [&](const trace::Row& r) { n = r.int64(0); });
  return n;
}

nlohmann::json agent(const nlohmann::json& status, int gen, int slot) {
  return status["generations"][gen - 1]["agents"][slot - 1];
}

}  // namespace

TEST(Loop, FindsTheFixStopsAndRecordsEverything) {
  LoopFixture f;
  auto cfg = f.write_config(
      "generations: 3\npopulation: 2\nconcurrency: 2\nstop:\n  after_fixes: 1\n"
      "strategies:\n  allocation: fixed\n  list:\n    - name: wrong\n    - name: fixer\n");
  std::string run = f.dir() + "/run1";
  auto r = f.harness("run " + cfg + " --run-dir " + run + " --seed 1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto s = f.status(run);
  EXPECT_EQ(s["status"], "completed");
  ASSERT_EQ(s["generations"].size(), 1u) << "stops after the generation with the first validated fix";
  EXPECT_EQ(s["generations"][0]["validated_fixes"], 1);
  EXPECT_EQ(agent(s, 1, 1)["strategy"], "wrong");
  EXPECT_EQ(agent(s, 1, 1)["verify"], "failed");
  EXPECT_EQ(agent(s, 1, 2)["strategy"], "fixer");
  EXPECT_EQ(agent(s, 1, 2)["verify"], "passed");
  EXPECT_NE(read_file(run + "/gen-001/agent-02/patch.diff").find("+fixed"), std::string::npos);
  EXPECT_NE(read_file(run + "/gen-001/agent-01/verify.log").find("FAIL: state is not fixed"), std::string::npos);
  EXPECT_TRUE(fs::exists(run + "/gen-001/agent-01/prompt.md"));
  EXPECT_TRUE(fs::exists(run + "/gen-001/agent-01/stdout.raw"));
  EXPECT_TRUE(fs::exists(run + "/config.yaml"));
  for (const char* name : {"report.md", "report.html", "summary.json", "junit.xml", "observations.md"})
    EXPECT_TRUE(fs::exists(run + "/" + name)) << name;
  EXPECT_NE(read_file(run + "/observations.md").find("[important]"), std::string::npos);
  for (const char* type : {"run.created", "generation.started", "run.finalized"})
    EXPECT_EQ(count_events(run, type), 1) << type;
  EXPECT_EQ(count_events(run, "agent.spawned"), 2);
  EXPECT_EQ(count_events(run, "agent.completed"), 2);
  EXPECT_EQ(count_events(run, "verify.passed"), 1);
  EXPECT_EQ(count_events(run, "verify.failed"), 1);
  EXPECT_EQ(count_events(run, "checkpoint.saved"), 3);  // two agents and the generation
  EXPECT_EQ(count_events(run, "tool.call.failed"), 2);  // decoded live from both agents' output
  // Winners' workspaces are kept (keep: winners), the rest removed.
  EXPECT_TRUE(fs::exists(run + "/workspaces/g01-a02/state.txt"));
  EXPECT_FALSE(fs::exists(run + "/workspaces/g01-a01"));
}

TEST(Loop, FinishesWithoutFixExitOneAndAllGenerationsRun) {
  LoopFixture f;
  auto cfg = f.write_config("generations: 2\npopulation: 2\nstrategies:\n  list: [{name: wrong}]\n");
  std::string run = f.dir() + "/run";
  auto r = f.harness("run " + cfg + " --run-dir " + run);
  ASSERT_EQ(r.exit_code, 1) << r.output;
  auto s = f.status(run);
  ASSERT_EQ(s["generations"].size(), 2u);
  EXPECT_EQ(s["generations"][1]["agents"].size(), 2u);
  EXPECT_EQ(s["validated_fixes"], 0);
}

TEST(Loop, ProtectedPathsAreRestoredBeforeVerify) {
  LoopFixture f;
  auto cfg = f.write_config("generations: 1\npopulation: 1\nstrategies:\n  list: [{name: edit-test}]\n");
  std::string run = f.dir() + "/run";
  auto r = f.harness("run " + cfg + " --run-dir " + run);
  ASSERT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(agent(f.status(run), 1, 1)["verify"], "failed") << "editing the test must not count as a fix";
}

TEST(Loop, NonZeroExitIsRecordedAsCrash) {
  LoopFixture f;
  auto cfg = f.write_config("generations: 1\npopulation: 1\nstrategies:\n  list: [{name: crasher}]\n");
  std::string run = f.dir() + "/run";
  auto r = f.harness("run " + cfg + " --run-dir " + run);
  ASSERT_EQ(r.exit_code, 1) << r.output;
  auto a = agent(f.status(run), 1, 1);
  EXPECT_EQ(a["outcome"], "crashed");
  EXPECT_EQ(a["reason"], "exit 3");
  EXPECT_NE(read_file(run + "/gen-001/agent-01/stderr.log").find("boom"), std::string::npos);
}

// A silent agent whose tree forks, leaves its group and double-forks, killed at its idle timeout.
TEST(Loop, NoDescendantSurvivesAKill) {
  LoopFixture f;
  std::string cfg = f.dir() + "/h.yaml";
  std::ofstream(cfg) << "name: t\ntarget:\n  repo: repo\n  bug: b\nverify:\n  command: ./verify.sh\n"
                        "runner:\n  command: [\"" + f.agent_script() + "\"]\n  idle_timeout: 1s\n"
                        "generations: 1\npopulation: 1\nstrategies:\n  list: [{name: forker}]\n";
  std::string run = f.dir() + "/run";
  auto r = f.harness("run " + cfg + " --run-dir " + run);
  ASSERT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(harness_test::run_processes(run), std::vector<int>{})
      << "background children, a setsid'd one included, must all be gone";
  // Silent after its first lines: killed as stuck (in fake time, to the millisecond: loop_timeouts_test.cpp).
  auto a = agent(f.status(run), 1, 1);
  EXPECT_EQ(a["outcome"], "killed_stuck");
  EXPECT_NE(a["reason"].get<std::string>().find("idle timeout"), std::string::npos);
  EXPECT_EQ(count_events(run, "agent.killed"), 1);
}

TEST(Loop, AgentPrintingAGigabyteStaysBounded) {
  LoopFixture f;
  // 1 GiB in 64 lines of 16 MiB: each over the line limit, so each is cut and counted, never buffered whole.
  std::ofstream(f.dir() + "/spam.sh") << "#!/bin/sh\ni=0\nwhile [ $i -lt 64 ]; do head -c 16777216 /dev/zero | "
                                        "tr '\\0' x; echo; i=$((i+1)); done\n";
  std::string cfg = f.dir() + "/h.yaml";
  std::ofstream(cfg) << "name: t\ntarget:\n  repo: repo\n  bug: b\nverify:\n  command: ./verify.sh\n"
                        "runner:\n  command: [sh, \"" + f.dir() + "/spam.sh\"]\n"
                        "generations: 1\npopulation: 1\n";
  std::string run = f.dir() + "/run";
  auto r = f.harness("run " + cfg + " --run-dir " + run);
  ASSERT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(count_events(run, "decode.error"), 64);
  EXPECT_LT(r.max_rss_kb, 150 * 1024) << "peak RSS of the harness (and its children)";
  EXPECT_LT(fs::file_size(run + "/gen-001/agent-01/stdout.raw"), 1u << 20) << "oversize lines kept as markers";
}

TEST(Loop, AgentBudgetKillsTheOverrunningAgent) {
  LoopFixture f;
  auto cfg = f.write_config("generations: 1\npopulation: 1\nbudget:\n  agent:\n    tokens: 3000\n"
                            "strategies:\n  list: [{name: tokens}]\n");
  std::string run = f.dir() + "/run";
  auto r = f.harness("run " + cfg + " --run-dir " + run);
  ASSERT_EQ(r.exit_code, 1) << r.output;
  auto a = agent(f.status(run), 1, 1);
  EXPECT_EQ(a["outcome"], "killed_budget");
  EXPECT_GE(count_events(run, "budget.exceeded"), 1);
  EXPECT_LT(a["tokens"].get<int64_t>(), 50 * 1100) << "killed long before it printed everything";
}

// Once the generation's budget trips, the event is sent once, however long another agent goes on verifying
// (a few wake-ups of the loop here; LoopBudgets.GenerationBudgetIsReportedOnceWhileAnotherAgentVerifies has 15).
TEST(Loop, GenerationBudgetIsReportedOnceWhileAnotherAgentVerifies) {
  LoopFixture f;
  std::ofstream(f.repo() + "/verify.sh") << "#!/bin/sh\nsleep 0.6\ngrep -q '^fixed$' state.txt || exit 1\n";
  ASSERT_EQ(run_shell("cd " + f.repo() + " && git -c user.email=t@t -c user.name=t commit -qam slow").exit_code, 0);
  auto cfg = f.write_config("generations: 1\npopulation: 2\nconcurrency: 2\nbudget:\n  generation:\n    tokens: 3000\n"
                            "strategies:\n  list: [{name: fixer}, {name: tokens}]\n");
  std::string run = f.dir() + "/run";
  auto r = f.harness("run " + cfg + " --run-dir " + run);
  ASSERT_NE(r.exit_code, 2) << r.output;
  EXPECT_EQ(agent(f.status(run), 1, 2)["outcome"], "killed_budget") << r.output;
  EXPECT_EQ(agent(f.status(run), 1, 1)["verify"], "passed") << r.output;
  // Once, not once per wake-up of the loop while the fixer verified.
  EXPECT_EQ(count_events(run, "budget.exceeded"), 1) << r.output;
}

TEST(Loop, RefusesToStartWhenVerifyPassesOnTheBase) {
  LoopFixture f;
  std::string cfg = f.dir() + "/h.yaml";
  std::ofstream(cfg) << "name: t\ntarget:\n  repo: repo\n  bug: b\nverify:\n  command: \"true\"\n  repeat: 3\n"
                        "runner:\n  command: [\"" + f.agent_script() + "\"]\n";
  std::string run = f.dir() + "/run";
  auto r = f.harness("run " + cfg + " --run-dir " + run);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("bug not reproduced: verify `true` passed 3/3 times on the base"), std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(run)) << "nothing written when refusing";
}

TEST(Loop, ExistingRunDirIsNotOverwritten) {
  LoopFixture f;
  auto cfg = f.write_config("generations: 1\npopulation: 1\nstrategies:\n  list: [{name: fixer}]\n");
  std::string run = f.dir() + "/run";
  ASSERT_EQ(f.harness("run " + cfg + " --run-dir " + run).exit_code, 0);
  auto before = fs::file_size(run + "/run.db");
  auto r = f.harness("run " + cfg + " --run-dir " + run);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("already holds a run; use `harness resume"), std::string::npos) << r.output;
  EXPECT_EQ(fs::file_size(run + "/run.db"), before);
}

// The sandbox launcher with real processes (bwrap): private loopback and /tmp, the host read-only, no process left
// behind. Skipped where bwrap cannot create namespaces. The bridges to the run's servers are telemetry/'s
// (tests/telemetry/sandbox_bridges_test.cpp; through a real sandbox: tests/harness/sandbox_bridge_test.cpp).
#include "runners/sandbox.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "process_test_util.h"

namespace runners {
namespace {

namespace fs = std::filesystem;
using testing::run_to_end;

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = probe_sandbox(SandboxPolicy{})) GTEST_SKIP() << *why;
    // Not under /tmp: that is private inside, so a write there would never reach the host anyway.
    dir_ = fs::path(HARNESS_SOURCE_DIR) / "build" / ("sandbox_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "ws");
    policy_.init = {HARNESS_BINARY, "__sandbox-init"};
  }
  void TearDown() override { fs::remove_all(dir_); }

  testing::Outcome run(const std::string& script) {
    LaunchSpec spec = testing::shell(script);
    spec.cwd = (dir_ / "ws").string();
    auto launcher = make_sandbox_launcher(make_local_launcher(), policy_);
    return run_to_end(*launcher, spec);
  }

  fs::path dir_;
  SandboxPolicy policy_;
};

TEST_F(SandboxTest, WritesOnlyItsWorkspaceAndSeesOnlyLoopback) {
  std::ofstream(dir_ / "host.txt") << "untouched";
  auto out = run("echo x > " + (dir_ / "host.txt").string() + " 2>/dev/null && echo wrote-host; echo y > mine.txt && "
                 "echo wrote-workspace; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '");
  EXPECT_EQ(out.out, "wrote-workspace\nlo\n");
  EXPECT_EQ(testing::read_file((dir_ / "host.txt").string()), "untouched");
  EXPECT_EQ(testing::read_file((dir_ / "ws/mine.txt").string()), "y\n");
}

TEST_F(SandboxTest, OwnTmpAndHiddenHome) {
  fs::create_directories(dir_ / "home");
  std::ofstream(dir_ / "home/secret") << "s";
  policy_.hidden = {(dir_ / "home").string()};
  auto out = run("cat " + (dir_ / "home/secret").string() + " 2>/dev/null || echo hidden; ls -A /tmp | wc -l");
  EXPECT_EQ(out.out, "hidden\n0\n");
}

TEST_F(SandboxTest, ADaemonDiesWithTheSandbox) {
  auto out = run("setsid sh -c 'sleep 7331 &' </dev/null >/dev/null 2>&1; echo started");
  EXPECT_EQ(out.out, "started\n");
  EXPECT_TRUE(testing::processes_running("sleep 7331").empty());
}

TEST_F(SandboxTest, MissingCommandIsALaunchError) {
  LaunchSpec spec;
  spec.argv = {"no-such-command-xyz"};
  auto launcher = make_sandbox_launcher(make_local_launcher(), policy_);
  EXPECT_THROW(launcher->start(spec), LaunchError);
}

}  // namespace
}  // namespace runners

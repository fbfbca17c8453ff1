// run_captured, the harness's one command runner: stdin text, output bounds (ending the command or not), the end
// of stderr, a stop request, another launcher.
#include "runners/captured_command.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>

namespace runners {
namespace {

LaunchSpec shell(const std::string& script) {
  LaunchSpec spec;
  spec.argv = {"/bin/sh", "-c", script};
  return spec;
}

TEST(RunCaptured, GivesTheTextOnStdinAndKeepsTheEndOfStderr) {
  CaptureOptions options;
  options.stdin_text = std::string(300000, 'x') + "\n";  // more than a pipe holds
  options.stderr_tail_bytes = 10;
  CapturedOutput r = run_captured(shell("wc -c; printf '0123456789abcdef' >&2"), options);
  EXPECT_TRUE(r.status.ok()) << r.status.describe();
  EXPECT_EQ(r.out, "300001\n");
  EXPECT_EQ(r.err, "6789abcdef");
  EXPECT_FALSE(r.ended_by_us());
}

TEST(RunCaptured, TooMuchOutputEndsTheCommandOrIsDropped) {
  CaptureOptions options;
  options.max_output_bytes = 1000;
  options.timeout = std::chrono::milliseconds(60000);
  CapturedOutput ended = run_captured(shell("yes"), options);
  EXPECT_TRUE(ended.too_big);
  EXPECT_TRUE(ended.killed_for_output);
  EXPECT_EQ(ended.out.size(), 1000u);

  options.end_when_too_big = false;
  CapturedOutput kept = run_captured(shell("head -c 200000 /dev/zero; echo done >&2"), options);
  EXPECT_TRUE(kept.too_big);
  EXPECT_FALSE(kept.ended_by_us());
  EXPECT_TRUE(kept.status.ok()) << "it ran to its own end";
  EXPECT_EQ(kept.out.size(), 1000u);
  EXPECT_EQ(kept.err, "done\n");
}

TEST(RunCaptured, AStopRequestEndsTheCommandWithItsChildren) {
  std::atomic<int> asked{0};
  CaptureOptions options;
  options.stop = [&] { return ++asked > 3; };
  CapturedOutput r = run_captured(shell("sleep 60 & echo started; sleep 60"), options);
  EXPECT_TRUE(r.stopped);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.out, "started\n");
  EXPECT_FALSE(r.status.ok());
}

TEST(RunCaptured, RunsThroughTheLauncherItIsGiven) {
  struct CountingLauncher : ProcessLauncher {
    std::unique_ptr<ProcessLauncher> local = make_local_launcher();
    int started = 0;
    std::unique_ptr<RunningProcess> start(const LaunchSpec& spec) override {
      ++started;
      return local->start(spec);
    }
  } launcher;
  CaptureOptions options;
  options.launcher = &launcher;
  CapturedOutput r = run_captured(shell("echo hi"), options);
  EXPECT_EQ(r.out, "hi\n");
  EXPECT_EQ(launcher.started, 1);
}

TEST(RunCaptured, ACommandThatCannotStartIsALaunchError) {
  LaunchSpec spec;
  spec.argv = {"/no/such/command"};
  EXPECT_THROW(run_captured(spec), LaunchError);
}

}  // namespace
}  // namespace runners

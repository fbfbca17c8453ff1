// The local launcher with real processes: exit statuses, launch errors, environment, stdio, descriptors, and
// kill_tree() against trees that fork, leave the process group and double-fork.
#include "runners/launcher.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "process_test_util.h"

namespace runners {
namespace {

using namespace std::chrono_literals;
using testing::live_cmdline;
using testing::own_children;
using testing::run_to_end;
using testing::shell;

// Waits (bounded) until `predicate` holds; test scripts start their children asynchronously.
template <class Predicate>
bool eventually(Predicate predicate) {
  for (int i = 0; i < 5000; ++i) {
    if (predicate()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return predicate();
}

class LauncherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("launcher_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<ProcessLauncher> launcher_ = make_local_launcher();
  std::filesystem::path dir_;
};

TEST_F(LauncherTest, CapturesStdoutAndExitZero) {
  auto outcome = run_to_end(*launcher_, shell("echo hello; printf 'no newline'"));
  EXPECT_EQ(outcome.out, "hello\nno newline");
  EXPECT_TRUE(outcome.status.ok());
  EXPECT_EQ(outcome.status.describe(), "exit 0");
}

TEST_F(LauncherTest, DescribesNonZeroExit) {
  auto outcome = run_to_end(*launcher_, shell("exit 3"));
  EXPECT_FALSE(outcome.status.ok());
  EXPECT_EQ(outcome.status.exit_code, 3);
  EXPECT_EQ(outcome.status.signal, 0);
  EXPECT_EQ(outcome.status.describe(), "exit 3");
}

TEST_F(LauncherTest, DescribesDeathBySignal) {
  auto killed = run_to_end(*launcher_, shell("kill -KILL $$"));
  EXPECT_EQ(killed.status.signal, 9);
  EXPECT_EQ(killed.status.describe(), "signal 9 (Killed)");
  auto crashed = run_to_end(*launcher_, shell("kill -SEGV $$"));
  EXPECT_FALSE(crashed.status.ok());
  EXPECT_EQ(crashed.status.describe(), "signal 11 (Segmentation fault)");
}

TEST_F(LauncherTest, MissingBinaryIsALaunchErrorAndLeavesNoChild) {
  LaunchSpec spec;
  spec.argv = {"no-such-agent-binary-xyz", "--flag"};
  try {
    launcher_->start(spec);
    FAIL() << "expected LaunchError";
  } catch (const LaunchError& e) {
    EXPECT_STREQ(e.what(), "cannot start 'no-such-agent-binary-xyz': command not found in PATH");
  }
  spec.argv = {"./missing.sh"};
  spec.cwd = dir_.string();
  try {
    launcher_->start(spec);
    FAIL() << "expected LaunchError";
  } catch (const LaunchError& e) {
    EXPECT_STREQ(e.what(), "cannot start './missing.sh': no such file");
  }
  EXPECT_TRUE(own_children().empty());
}

TEST_F(LauncherTest, FileThatIsNotExecutableIsALaunchError) {
  std::ofstream(dir_ / "agent.sh") << "echo hi\n";
  LaunchSpec spec;
  spec.argv = {"./agent.sh"};
  spec.cwd = dir_.string();
  try {
    launcher_->start(spec);
    FAIL() << "expected LaunchError";
  } catch (const LaunchError& e) {
    EXPECT_STREQ(e.what(), "cannot start './agent.sh': not an executable file");
  }
}

TEST_F(LauncherTest, ExecFailureAfterForkIsALaunchErrorAndLeavesNoZombie) {
  // Executable bit but no interpreter line and not ELF: execve() itself fails in the child (ENOEXEC).
  std::ofstream(dir_ / "garbage") << "\x01\x02\x03 not a program\n";
  std::filesystem::permissions(dir_ / "garbage", std::filesystem::perms::owner_all);
  LaunchSpec spec;
  spec.argv = {(dir_ / "garbage").string()};
  try {
    launcher_->start(spec);
    FAIL() << "expected LaunchError";
  } catch (const LaunchError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot start '" + (dir_ / "garbage").string() + "': Exec format error");
  }
  EXPECT_TRUE(own_children().empty());
}

TEST_F(LauncherTest, BadWorkingDirectoryIsALaunchError) {
  LaunchSpec spec = shell("true");
  spec.cwd = (dir_ / "nowhere").string();
  try {
    launcher_->start(spec);
    FAIL() << "expected LaunchError";
  } catch (const LaunchError& e) {
    EXPECT_EQ(std::string(e.what()),
              "cannot start 'sh': working directory '" + spec.cwd + "' does not exist");
  }
  std::ofstream(dir_ / "file") << "x";
  spec.cwd = (dir_ / "file").string();
  try {
    launcher_->start(spec);
    FAIL() << "expected LaunchError";
  } catch (const LaunchError& e) {
    EXPECT_EQ(std::string(e.what()),
              "cannot start 'sh': working directory '" + spec.cwd + "' is not a directory");
  }
  EXPECT_TRUE(own_children().empty());
}

TEST_F(LauncherTest, EmptyCommandIsALaunchError) {
  LaunchSpec spec;
  EXPECT_THROW(launcher_->start(spec), LaunchError);
}

TEST_F(LauncherTest, RunsInTheGivenDirectory) {
  LaunchSpec spec = shell("pwd");
  spec.cwd = dir_.string();
  EXPECT_EQ(run_to_end(*launcher_, spec).out, dir_.string() + "\n");
}

TEST_F(LauncherTest, EnvironmentIsHarnessPlusSpecMinusUnset) {
  ::setenv("LAUNCHER_TEST_INHERITED", "from-harness", 1);
  ::setenv("LAUNCHER_TEST_REMOVED", "secret", 1);
  LaunchSpec spec =
      shell("echo \"$LAUNCHER_TEST_INHERITED|$LAUNCHER_TEST_ADDED|${LAUNCHER_TEST_REMOVED-unset}\"");
  spec.env = {{"LAUNCHER_TEST_ADDED", "from spec"}};
  spec.unset_env = {"LAUNCHER_TEST_REMOVED"};
  EXPECT_EQ(run_to_end(*launcher_, spec).out, "from-harness|from spec|unset\n");
  ::unsetenv("LAUNCHER_TEST_INHERITED");
  ::unsetenv("LAUNCHER_TEST_REMOVED");
}

TEST_F(LauncherTest, SpecPathIsUsedToFindTheCommand) {
  std::ofstream(dir_ / "my-agent") << "#!/bin/sh\necho found-via-spec-path\n";
  std::filesystem::permissions(dir_ / "my-agent", std::filesystem::perms::owner_all);
  LaunchSpec spec;
  spec.argv = {"my-agent"};
  spec.env = {{"PATH", dir_.string() + ":/usr/bin:/bin"}};
  EXPECT_EQ(run_to_end(*launcher_, spec).out, "found-via-spec-path\n");
}

TEST_F(LauncherTest, StdinIsDevNullByDefaultOrTheGivenFile) {
  auto empty =
      run_to_end(*launcher_, shell("cat; echo end"));  // would hang if stdin were a terminal or a pipe
  EXPECT_EQ(empty.out, "end\n");
  std::ofstream(dir_ / "prompt.md") << "the prompt\n";
  LaunchSpec spec = shell("cat");
  spec.stdin_path = (dir_ / "prompt.md").string();
  EXPECT_EQ(run_to_end(*launcher_, spec).out, "the prompt\n");
  spec.stdin_path = (dir_ / "missing.md").string();
  try {
    launcher_->start(spec);
    FAIL() << "expected LaunchError";
  } catch (const LaunchError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot start 'sh': cannot open stdin file '" + spec.stdin_path +
                                         "': No such file or directory");
  }
}

TEST_F(LauncherTest, StderrIsAppendedToTheGivenFile) {
  std::ofstream(dir_ / "stderr.log") << "earlier\n";
  LaunchSpec spec = shell("echo out; echo problem >&2");
  spec.stderr_path = (dir_ / "stderr.log").string();
  EXPECT_EQ(run_to_end(*launcher_, spec).out, "out\n");
  EXPECT_EQ(testing::read_file(spec.stderr_path), "earlier\nproblem\n");
}

TEST_F(LauncherTest, ChildInheritsNoDescriptorBeyondStdio) {
  // Descriptors a careless library would open: without close-on-exec.
  int leaky = ::open("/dev/null", O_RDONLY);
  int leaky_pipe[2];
  ASSERT_EQ(::pipe(leaky_pipe), 0);
  auto first =
      launcher_->start(shell("exec sleep 30"));  // another agent's pipe must not leak into the next one
  auto second = launcher_->start(shell("exec sleep 30"));
  // Right after exec the dynamic loader holds a descriptor of its own for a moment (ld.so.cache, libc), and
  // /proc already shows the new command line: a leaked descriptor is one that stays.
  auto descriptors = [&] {
    std::set<std::string> names;
    std::error_code error;
    for (std::filesystem::directory_iterator it("/proc/" + std::to_string(second->pid()) + "/fd", error), end;
         !error && it != end; it.increment(error)) {
      std::error_code link_error;
      names.insert(it->path().filename().string() + " -> " +
                   std::filesystem::read_symlink(it->path(), link_error).string());
    }
    return names;
  };
  ASSERT_TRUE(eventually([&] { return live_cmdline(second->pid()) == "sleep 30"; }));
  std::set<std::string> inherited;
  eventually([&] {
    inherited.clear();
    for (const std::string& name : descriptors()) inherited.insert(name.substr(0, name.find(' ')));
    return inherited == std::set<std::string>{"0", "1", "2"};
  });
  EXPECT_EQ(inherited, (std::set<std::string>{"0", "1", "2"})) << ::testing::PrintToString(descriptors());
  first->kill_tree(0ms);
  second->kill_tree(0ms);
  ::close(leaky);
  ::close(leaky_pipe[0]);
  ::close(leaky_pipe[1]);
}

TEST_F(LauncherTest, EachProcessLeadsItsOwnGroup) {
  auto process = launcher_->start(shell("sleep 5"));
  EXPECT_EQ(::getpgid(process->pid()), process->pid());
  EXPECT_EQ(process->external_id(), "pid:" + std::to_string(process->pid()));
  process->kill_tree(1000ms);
  auto status = process->try_wait();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->describe(), "signal 15 (Terminated)");
}

TEST_F(LauncherTest, KillTreeLeavesNoDescendantAlive) {
  // Background child, a subshell's child, a setsid'd grandchild, a double-forked one in its own session whose
  // parent is gone, and one that ignores SIGTERM. Each prints its pid.
  auto process =
      launcher_->start(shell("sleep 7001 & echo $!\n"
                             "(sleep 7002 & echo $!; wait) &\n"
                             "setsid sleep 7003 & echo $!\n"
                             "setsid sh -c 'sleep 7004 & echo $!' &\n"
                             "sh -c 'trap \"\" TERM; sleep 7005 & echo $!; wait' &\n"
                             "wait\n"));
  std::string out;
  ProcessReactor reactor;
  reactor.add(*process, [&](std::string_view chunk) { out.append(chunk); });
  while (std::count(out.begin(), out.end(), '\n') < 5) reactor.wait(5000ms);
  std::vector<int> pids;
  std::istringstream lines(out);
  for (int pid; lines >> pid;) pids.push_back(pid);
  ASSERT_EQ(pids.size(), 5u);
  for (int pid : pids)
    ASSERT_TRUE(eventually([&] { return live_cmdline(pid).value_or("").rfind("sleep 700", 0) == 0; }));
  // The double-forked one left the session and, its parent gone, was re-parented to us (the subreaper).
  int double_forked = -1;
  for (int pid : pids) {
    if (live_cmdline(pid) == "sleep 7004") double_forked = pid;
  }
  ASSERT_NE(double_forked, -1);
  ASSERT_TRUE(eventually([&] {
    for (const auto& p : process_tree::list_processes()) {
      if (p.pid == double_forked)
        return p.ppid == ::getpid() && p.sid != ::getsid(0) && p.pgid != process->pid();
    }
    return false;
  }));

  process->kill_tree(200ms);

  for (int pid : pids) EXPECT_EQ(live_cmdline(pid), std::nullopt) << "pid " << pid << " survived";
  for (int n = 7001; n <= 7005; ++n)
    EXPECT_TRUE(testing::processes_running("sleep " + std::to_string(n)).empty());
  EXPECT_TRUE(own_children().empty()) << "a zombie or survivor is left";
  ASSERT_TRUE(process->try_wait().has_value());
  EXPECT_EQ(process->try_wait()->signal, SIGTERM);
}

TEST_F(LauncherTest, DestroyingAProcessEndsWhatItLeftBehind) {
  // The leader exits at once; its escaped child would live on.
  auto process = launcher_->start(shell("setsid sleep 7011 & echo $!"));
  std::string out;
  ProcessReactor reactor;
  reactor.add(*process, [&](std::string_view chunk) { out.append(chunk); });
  while (!reactor.empty()) reactor.wait(5000ms);
  ASSERT_TRUE(process->try_wait().has_value());
  int outcome_pid = std::stoi(out);
  ASSERT_TRUE(eventually([&] { return live_cmdline(outcome_pid) == "sleep 7011"; }));
  process.reset();
  process_tree::sweep_orphans();  // as the reactor does every second
  EXPECT_TRUE(eventually([&] { return live_cmdline(outcome_pid) == std::nullopt; }));
  EXPECT_TRUE(eventually([&] {
    process_tree::sweep_orphans();  // collects the zombie
    return own_children().empty();
  }));
}

TEST_F(LauncherTest, SweepSparesTheEscapedMembersOfALiveTree) {
  // The escaped sleep is adopted by us once its parent exits, while the agent itself goes on.
  auto process = launcher_->start(shell("setsid sh -c 'sleep 7021 & echo $!'; exec sleep 1000"));
  std::string out;
  ProcessReactor reactor;
  reactor.add(*process, [&](std::string_view chunk) { out.append(chunk); });
  while (out.find('\n') == std::string::npos) reactor.wait(5000ms);
  int escaped = std::stoi(out);
  // Adopted, and past its exec: until then the child is still a copy of the `sh -c` that forked it.
  ASSERT_TRUE(eventually([&] {
    for (const auto& p : process_tree::list_processes()) {
      if (p.pid == escaped) return p.ppid == ::getpid() && live_cmdline(escaped) == "sleep 7021";
    }
    return false;
  }));
  process_tree::sweep_orphans();
  EXPECT_EQ(live_cmdline(escaped), "sleep 7021");
  reactor.remove(*process);
  process.reset();  // the leader is still running: the whole tree is ended before reset() returns
  EXPECT_EQ(live_cmdline(escaped), std::nullopt);
  EXPECT_TRUE(own_children().empty());
}

TEST_F(LauncherTest, KillTreeOnAFinishedProcessIsHarmless) {
  auto process = launcher_->start(shell("exit 0"));
  ASSERT_TRUE(eventually([&] { return process->try_wait().has_value(); }));
  process->kill_tree(100ms);
  process->kill_tree(100ms);
  EXPECT_EQ(process->try_wait()->describe(), "exit 0");
}

TEST(ExitStatusTest, DescribesEveryCase) {
  EXPECT_EQ((ExitStatus{0, 0}).describe(), "exit 0");
  EXPECT_EQ((ExitStatus{127, 0}).describe(), "exit 127");
  EXPECT_EQ((ExitStatus{-1, 15}).describe(), "signal 15 (Terminated)");
  EXPECT_EQ((ExitStatus{-1, 6}).describe(), "signal 6 (Aborted)");
  EXPECT_EQ(ExitStatus{}.describe(), "unknown exit");
}

}  // namespace
}  // namespace runners

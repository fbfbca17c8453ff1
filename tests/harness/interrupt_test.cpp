// Ctrl-C and TERM on a real `harness run`: the first stops launching, kills the agents, checkpoints and exits 130,
// and `harness resume` finishes the run; a second Ctrl-C exits at once, its agents' process groups killed too.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "loop_fixture.h"
#include "trace/store.h"

extern char** environ;
using harness_test::LoopFixture;

namespace {

int64_t count_events(const std::string& db, const std::string& type) {
  try {
    auto store = trace::Store::open(db, trace::Store::Mode::read_only);
    int64_t n = 0;
    store->query("SELECT COUNT(*) FROM events WHERE type=?1", {type}, [&](const trace::Row& r) { n = r.int64(0); });
    return n;
  } catch (const std::exception&) {
    return 0;  // not created yet
  }
}

struct Spawned {
  pid_t pid = -1;
  std::string log;
};

// Starts `harness run` in the background with its output in a file (the test signals it while it runs).
Spawned spawn_run(const std::string& cfg, const std::string& run_dir, const std::string& log) {
  std::string bin = HARNESS_BINARY;
  std::vector<std::string> args = {bin, "run", cfg, "--run-dir", run_dir, "--seed", "3"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  Spawned s;
  s.log = log;
  std::vector<std::string> env_strings = {"CI=true"};
  for (char** e = environ; *e; ++e) env_strings.push_back(*e);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  if (posix_spawn(&s.pid, bin.c_str(), &actions, nullptr, argv.data(), envp.data()) != 0) s.pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  return s;
}

// Waits until `n` agents have been spawned (the store says so), or the harness ended; false if it ended.
bool wait_for_spawned(pid_t pid, const std::string& run_dir, int n) {
  for (int i = 0; i < 30000; ++i) {
    if (count_events(run_dir + "/run.db", "agent.spawned") >= n) return true;
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Interrupt : public ::testing::TestWithParam<int> {};

TEST_P(Interrupt, StopsKillsCheckpointsExits130AndResumeFinishes) {
  LoopFixture f;
  auto cfg = f.write_config(
      "generations: 2\npopulation: 2\nconcurrency: 2\n"
      "strategies:\n  allocation: round_robin\n  list: [{name: sleepy}]\n");
  std::string run = f.dir() + "/run";
  auto h = spawn_run(cfg, run, f.dir() + "/run.log");
  ASSERT_GT(h.pid, 0);
  ASSERT_TRUE(wait_for_spawned(h.pid, run, 2)) << read_file(h.log);
  ASSERT_EQ(kill(h.pid, GetParam()), 0);
  EXPECT_EQ(wait_exit(h.pid), 130) << read_file(h.log);
  EXPECT_EQ(harness_test::run_processes(run), std::vector<int>{}) << "no agent may outlive the interrupt";

  auto status = f.status(run);
  EXPECT_EQ(status["status"], "interrupted");
  ASSERT_EQ(status["generations"].size(), 1u) << "no generation may start after the interrupt";
  for (const auto& a : status["generations"][0]["agents"]) {
    EXPECT_EQ(a["status"], "interrupted") << a.dump();
    EXPECT_EQ(a["attempt"], 1);
  }
  EXPECT_EQ(count_events(run + "/run.db", "agent.spawned"), 2) << "nothing launched after the interrupt";
  EXPECT_GE(count_events(run + "/run.db", "checkpoint.saved"), 1);

  // Resume re-runs the interrupted agents as second attempts. The sleepy agents would sleep for ever (until the
  // idle timeout): ending their sleep lets them finish, and fix the bug.
  std::atomic<bool> resumed_done{false};
  std::thread hurry([&] {
    while (!resumed_done) {
      harness_test::kill_run_processes(run, "sleep 1005");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  auto resumed = f.harness("resume " + run + " --quiet");
  resumed_done = true;
  hurry.join();
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  status = f.status(run);
  EXPECT_EQ(status["status"], "completed");
  ASSERT_GE(status["generations"].size(), 1u);
  for (const auto& a : status["generations"][0]["agents"]) {
    EXPECT_EQ(a["status"], "completed") << a.dump();
    EXPECT_EQ(a["attempt"], 2) << "the interrupted attempt is kept; the resumed one is the second";
  }
  EXPECT_GE(count_events(run + "/run.db", "checkpoint.resumed"), 1);
}

INSTANTIATE_TEST_SUITE_P(Signals, Interrupt, ::testing::Values(SIGINT, SIGTERM),
                         [](const auto& info) { return info.param == SIGINT ? "SIGINT" : "SIGTERM"; });

TEST(Interrupt, SecondCtrlCExitsAtOnceAndKillsTheAgents) {
  LoopFixture f;
  // Agents that ignore TERM: the first Ctrl-C's orderly stop waits out the kill grace for them, and the second
  // Ctrl-C must cut that short, KILLing their process groups on the way out.
  auto cfg = f.write_config(
      "generations: 1\npopulation: 2\nconcurrency: 2\n"
      "strategies:\n  allocation: round_robin\n  list: [{name: stubborn}]\n"
      // Unconfined: a TERM to a sandboxed agent's group also ends its bwrap, which KILLs the namespace at once.
      "sandbox:\n  mode: off\n");
  std::string run = f.dir() + "/run";
  auto h = spawn_run(cfg, run, f.dir() + "/run.log");
  ASSERT_GT(h.pid, 0);
  ASSERT_TRUE(wait_for_spawned(h.pid, run, 2)) << read_file(h.log);
  // Both agents' shells must have set their trap before the first signal, or TERM would simply end them.
  for (int i = 0; i < 5000 && harness_test::run_processes(run, "sleep 1006").size() != 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_EQ(kill(h.pid, SIGINT), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_EQ(kill(h.pid, SIGINT), 0);
  EXPECT_EQ(wait_exit(h.pid), 130);
  EXPECT_NE(read_file(h.log).find("second interrupt, exiting now"), std::string::npos) << read_file(h.log);
  EXPECT_EQ(harness_test::run_processes(run), std::vector<int>{}) << "the second Ctrl-C KILLs the agents";
  // What was checkpointed stays readable; resume would re-run the in-flight agents.
  auto status = f.status(run);
  EXPECT_EQ(status["generations"].size(), 1u);
}

// Ctrl-C before the run exists (the baseline verify still running): exit 130 like every interrupt, the verify
// process killed, nothing written.
TEST(Interrupt, DuringTheBaselineCheckExits130AndLeavesNothing) {
  LoopFixture f;
  std::string started = f.dir() + "/baseline.pid";
  std::string cfg = f.dir() + "/baseline.yaml";
  std::ofstream(cfg) << "name: baseline\ntarget:\n  repo: repo\n  bug: state.txt says bug\n"
                     << "verify:\n  command: echo $$ > " << started << "; exec sleep 30\n"
                     << "runner:\n  command: [\"" << f.agent_script() << "\"]\n  format: jsonl\n"
                     << "sandbox:\n  mode: off\n";  // the verify's pid file must land in the host's /tmp
  std::string run = f.dir() + "/run";
  auto h = spawn_run(cfg, run, f.dir() + "/run.log");
  ASSERT_GT(h.pid, 0);
  for (int i = 0; i < 15000 && read_file(started).empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  int verify_pid = std::atoi(read_file(started).c_str());
  ASSERT_GT(verify_pid, 0) << read_file(h.log);
  ASSERT_EQ(kill(h.pid, SIGINT), 0);
  EXPECT_EQ(wait_exit(h.pid), 130) << read_file(h.log);
  EXPECT_NE(read_file(h.log).find("harness: interrupted during the baseline check"), std::string::npos)
      << read_file(h.log);
  EXPECT_FALSE(std::ifstream(run + "/run.db").good()) << "no run was created";
  std::string stat = read_file("/proc/" + std::to_string(verify_pid) + "/stat");
  EXPECT_TRUE(stat.empty() || stat.find(") Z ") != std::string::npos) << "the baseline verify is killed: " << stat;
}

}  // namespace

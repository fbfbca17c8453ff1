// A scratch target for generation-loop tests: a real git repo whose verify passes once `state.txt` says "fixed",
// a fake agent (sh script printing the trace protocol) whose behaviour is chosen by its strategy name, and helpers
// to run the real `harness` binary and read its status. Tests only.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace harness_test {

struct CommandResult {
  int exit_code = -1;
  std::string output;    // stdout + stderr
  long max_rss_kb = 0;   // peak RSS of the harness process
};

// Runs a shell command line, capturing output, exit code and peak RSS of its process tree's largest child.
CommandResult run_shell(const std::string& command);

// Live processes (zombies left out) that belong to the run in `run_dir`: their environment carries the marker
// every agent and verify process of that run inherits (HARNESS_RUN_DIR), so a test sees only its own run's
// processes, never another test's running beside it. With `cmdline`, only those whose command line (words
// joined by spaces) is exactly that. Defined in run_processes.cpp (harness_tests only: it reads /proc through
// the runners layer, which the report tests that share this fixture do not link).
std::vector<int> run_processes(const std::string& run_dir, const std::string& cmdline = "");
// SIGKILLs what run_processes() finds; returns how many.
int kill_run_processes(const std::string& run_dir, const std::string& cmdline);

// A file's whole text ("" when it cannot be read).
std::string read_file(const std::string& path);
// The payloads of a run's events of one type, in order.
std::vector<nlohmann::json> events_of(const std::string& run_dir, const std::string& type);
// Events in a run store; 0 while it does not exist yet or is being created.
int64_t event_count(const std::string& db);
// Starts the real harness with `args`, SIGKILLs it as soon as `db` holds `kill_at` events, and returns true; false
// when it finished before that point (nothing to resume).
bool run_killed_at_event(const std::vector<std::string>& args, const std::string& db, int64_t kill_at);

class LoopFixture {
 public:
  LoopFixture();
  ~LoopFixture();
  const std::string& dir() const { return dir_; }
  std::string repo() const { return dir_ + "/repo"; }
  std::string agent_script() const { return dir_ + "/agent.sh"; }
  // Writes harness.yaml with the given body appended to the common part; returns its path.
  std::string write_config(const std::string& extra_yaml, const std::string& name = "harness.yaml");
  CommandResult harness(const std::string& args);
  nlohmann::json status(const std::string& run_dir);

 private:
  std::string dir_;
};

}  // namespace harness_test

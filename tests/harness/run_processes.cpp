// The processes of one run, found by the marker in their environment (loop_fixture.h), read from /proc with the
// runners layer's reader (runners/process_tree.h) rather than a copy of it.
#include <signal.h>

#include <filesystem>

#include "loop_fixture.h"
#include "runners/process_tree.h"

namespace harness_test {

namespace process_tree = runners::process_tree;

std::vector<int> run_processes(const std::string& run_dir, const std::string& cmdline) {
  const std::string marker = "HARNESS_RUN_DIR=" + std::filesystem::weakly_canonical(run_dir).string();
  std::vector<int> pids;
  for (const auto& p : process_tree::list_processes()) {
    if (p.state == 'Z') continue;
    bool marked = false;
    for (const auto& entry : process_tree::environment_of(p.pid)) marked = marked || entry == marker;
    if (!marked) continue;
    if (!cmdline.empty()) {
      std::string words = process_tree::read_proc_file("/proc/" + std::to_string(p.pid) + "/cmdline");
      for (char& c : words)
        if (c == '\0') c = ' ';
      if (!words.empty() && words.back() == ' ') words.pop_back();
      if (words != cmdline) continue;
    }
    pids.push_back(p.pid);
  }
  return pids;
}

int kill_run_processes(const std::string& run_dir, const std::string& cmdline) {
  int killed = 0;
  for (int pid : run_processes(run_dir, cmdline)) killed += ::kill(pid, SIGKILL) == 0;
  return killed;
}

}  // namespace harness_test

#include "harness/leftovers.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "runners/process_tree.h"

namespace harness {
namespace {

// True when the process's environment holds both markers.
bool has_markers(int pid, const std::string& run_marker, const std::string& agent_marker) {
  auto env = runners::process_tree::environment_of(pid);
  auto has = [&](const std::string& entry) { return std::find(env.begin(), env.end(), entry) != env.end(); };
  return has(run_marker) && has(agent_marker);
}

}  // namespace

int kill_leftover_agent_processes(const std::string& run_dir, const std::string& agent_id) {
  std::string run_marker = "HARNESS_RUN_DIR=" + run_dir;
  std::string agent_marker = "HARNESS_AGENT_ID=" + agent_id;
  int killed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t pid = std::stoi(name);
    if (pid == getpid()) continue;
    if (has_markers(pid, run_marker, agent_marker) && ::kill(pid, SIGKILL) == 0) ++killed;
  }
  return killed;
}

runners::SlurmJobsResult cancel_leftover_slurm_jobs(const runners::SlurmOptions& options,
                                                    const std::string& job_name, const std::string& external_id) {
  runners::SlurmJobsResult live = runners::find_live_jobs(options, job_name);
  std::vector<std::string> targets = live.job_ids;
  if (!live.error.empty() && external_id.rfind("slurm:", 0) == 0) targets = {external_id.substr(6)};
  if (targets.empty()) return live;  // nothing left, or squeue's error and no recorded job
  runners::SlurmJobsResult cancelled = runners::cancel_jobs(options, targets);
  if (cancelled.error.empty() && !live.error.empty()) cancelled.error = live.error;  // worth saying all the same
  return cancelled;
}

}  // namespace harness

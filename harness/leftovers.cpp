#include "harness/leftovers.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

namespace harness {
namespace {

std::string read_whole(const std::string& path) {
  // POSIX reads: a process that exits while it is read is an error value, not an exception (libstdc++'s
  // filebuf throws from underflow() when read() fails with ESRCH).
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string text;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

// True when /proc/<pid>/environ holds both markers (NUL-separated entries).
bool has_markers(const std::string& pid, const std::string& run_marker, const std::string& agent_marker) {
  std::string env = read_whole("/proc/" + pid + "/environ");
  auto has = [&](const std::string& entry) {
    for (size_t pos = 0; pos < env.size();) {
      size_t end = env.find('\0', pos);
      if (end == std::string::npos) end = env.size();
      if (env.compare(pos, end - pos, entry) == 0) return true;
      pos = end + 1;
    }
    return false;
  };
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
    if (has_markers(name, run_marker, agent_marker) && ::kill(pid, SIGKILL) == 0) ++killed;
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

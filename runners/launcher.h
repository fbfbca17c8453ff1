// How one agent process runs: a launcher starts it, the caller drives it (ninja's passive process layer). A local
// launcher runs it as its own process group; a Slurm launcher (issue 7) runs it as a job. Output comes back on a
// pipe the caller reads without blocking. Not thread-safe: one thread drives all processes of a launcher.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace runners {

struct LaunchSpec {
  std::vector<std::string> argv;             // argv[0] is looked up in PATH
  std::string cwd;                           // the agent's workspace
  std::map<std::string, std::string> env;    // set on top of the harness's own environment
  std::vector<std::string> unset_env;        // removed from it
  std::string stdin_path;                    // empty: /dev/null (agents must not wait for a terminal)
  std::string stderr_path;                   // appended to (empty: /dev/null), bounded by the caller's policy
  // stderr comes back on a second pipe (read_stderr) instead, so the caller can bound and redact it; a launcher
  // that cannot (Slurm: srun's stderr carries the job's own messages) appends to stderr_path as without it.
  bool stderr_pipe = false;
  // What a batch system calls it (the Slurm job name and comment); the local launcher ignores both. Every attempt
  // of one agent shares a job name, so that a resumed run can find and cancel what an earlier attempt left.
  std::string job_name;
  std::string job_comment;
  // What the process must reach besides cwd, for a sandboxing launcher (sandbox.h; others ignore both): folders
  // it writes (the harness's own, created first) and files or folders it only reads (its prompt).
  std::vector<std::string> writable_paths;
  std::vector<std::string> readable_paths;
};

struct ExitStatus {
  int exit_code = -1;   // when exited normally
  int signal = 0;       // when killed by a signal
  bool ok() const { return signal == 0 && exit_code == 0; }
  std::string describe() const;  // "exit 0", "exit 2", "signal 9 (Killed)"
};

class RunningProcess {
 public:
  virtual ~RunningProcess() = default;
  virtual int pid() const = 0;
  // A file descriptor to read the process's stdout from (non-blocking); -1 once closed.
  virtual int stdout_fd() const = 0;
  // Reads what is available on stdout into `out` (appends at most 64 KiB, so a fast writer cannot grow memory);
  // returns false at EOF.
  virtual bool read_stdout(std::string& out) = 0;
  // The same for stderr, when it was started with LaunchSpec::stderr_pipe (else -1 and false).
  virtual int stderr_fd() const { return -1; }
  virtual bool read_stderr(std::string& /*out*/) { return false; }
  // A descriptor that poll() reports readable once the process has ended (a pidfd), or -1 when there is none; lets a
  // reactor learn of an exit without polling try_wait().
  virtual int exit_fd() const { return -1; }
  // Non-blocking: the exit status once the process (the leader) has ended.
  virtual std::optional<ExitStatus> try_wait() = 0;
  // TERM to the whole group (or scancel), then KILL after `grace`; returns when no member is left.
  virtual void kill_tree(std::chrono::milliseconds grace) = 0;
  // Asks the whole tree to stop (TERM) and returns at once, so that many agents wind down together before
  // kill_tree() waits on each in turn. A no-op where the launcher has no such step.
  virtual void request_stop() {}
  // An id in the system that runs it: "pid:1234" or "slurm:5678"; recorded on the agent.
  virtual std::string external_id() const = 0;
  // Once try_wait() has a status: why the system that ran it (Slurm) ended it, in that system's own words (node
  // failure, job cancelled from outside, time limit), when it was not the process's own doing; empty otherwise.
  virtual std::string system_failure() { return {}; }
};

class ProcessLauncher {
 public:
  virtual ~ProcessLauncher() = default;
  // Throws LaunchError when the process cannot be started (missing binary, bad cwd).
  virtual std::unique_ptr<RunningProcess> start(const LaunchSpec& spec) = 0;
};

class LaunchError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A launch that failed because of the system that runs processes (Slurm's controller unreachable, the job
// rejected, no job id in time), not because of the command: the message is that system's own.
class SystemFailure : public LaunchError {
 public:
  using LaunchError::LaunchError;
};

// The local launcher: Boost.Process, each agent its own process group.
std::unique_ptr<ProcessLauncher> make_local_launcher();

}  // namespace runners

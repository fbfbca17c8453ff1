// A process started by the local launcher: the leader of its own process group, its stdout a non-blocking
// pipe, its exit signalled by a pidfd. kill_tree() ends the whole tree, escaped descendants included, before
// it returns. Destroying the handle ends what is left of the group at once (SIGKILL) and retires the tree, so
// that members that left the group are ended by the next process_tree::sweep_orphans() (the reactor runs one
// every second). Driven by one thread.
#pragma once

#include <optional>
#include <string>

#include "runners/launcher.h"
#include "runners/process_tree.h"

namespace runners {

class LocalProcess final : public RunningProcess {
 public:
  // Takes ownership of the descriptors (pidfd and stderr_fd may be -1).
  LocalProcess(int pid, int stdout_fd, int pidfd, std::string tree_token, int stderr_fd = -1);
  ~LocalProcess() override;
  LocalProcess(const LocalProcess&) = delete;
  LocalProcess& operator=(const LocalProcess&) = delete;

  int pid() const override { return pid_; }
  int stdout_fd() const override { return stdout_fd_; }
  bool read_stdout(std::string& out) override;
  int stderr_fd() const override { return stderr_fd_; }
  bool read_stderr(std::string& out) override;
  int exit_fd() const override { return pidfd_; }
  std::optional<ExitStatus> try_wait() override;
  void kill_tree(std::chrono::milliseconds grace) override;
  void request_stop() override;
  std::string external_id() const override { return "pid:" + std::to_string(pid_); }

 private:
  // Collects the leader's exit status if it has ended (blocking: waits for it).
  void collect_leader(bool block);
  // Whether the process group may still have members. Once the leader is collected its pid may be reused, by
  // another agent even; but not while the old group still has a member, since a group id stays reserved.
  bool group_may_exist() const;
  void close_stdout();
  // Who belongs to the tree now: once the leader is collected, its pid and group id may name a newcomer.
  process_tree::TreeIdentity tree() const;
  // Sends `signal` to the group and to members that left it.
  void signal_tree(int signal) const;

  int pid_;
  int stdout_fd_;
  int pidfd_;
  int stderr_fd_ = -1;
  std::string tree_token_;
  std::optional<ExitStatus> status_;
  bool tree_ended_ = false;  // kill_tree() has run to completion
};

// The status waitpid() reported, as an ExitStatus.
ExitStatus exit_status_from_wait(int wait_status);

}  // namespace runners

// A locally started process tree: see local_process.h.
#include "runners/local_process.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <thread>

#include "runners/process_tree.h"

namespace runners {
namespace {

constexpr size_t kReadChunk = 64 * 1024;
// A process in uninterruptible sleep ignores even SIGKILL for a while; past this the harness goes on rather
// than hang.
constexpr std::chrono::seconds kKillGiveUp{10};

}  // namespace

ExitStatus exit_status_from_wait(int wait_status) {
  ExitStatus status;
  if (WIFEXITED(wait_status)) status.exit_code = WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) status.signal = WTERMSIG(wait_status);
  return status;
}

LocalProcess::LocalProcess(int pid, int stdout_fd, int pidfd, std::string tree_token, int stderr_fd)
    : pid_(pid), stdout_fd_(stdout_fd), pidfd_(pidfd), stderr_fd_(stderr_fd), tree_token_(std::move(tree_token)) {}

LocalProcess::~LocalProcess() {
  collect_leader(false);
  if (!tree_ended_ && status_ && !group_may_exist()) {
    // The usual end of an agent: nothing left in its group. Members that left the group were adopted by us
    // when their parent died; the next sweep ends them. This spares a /proc pass per finished agent.
    process_tree::retire_tree(tree_token_);
    tree_ended_ = true;
  }
  // Nothing the agent started may outlive its handle; what is left now gets SIGKILL at once.
  kill_tree(std::chrono::milliseconds(0));
  close_stdout();
  if (stderr_fd_ >= 0) ::close(stderr_fd_);
  if (pidfd_ >= 0) ::close(pidfd_);
}

void LocalProcess::close_stdout() {
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  stdout_fd_ = -1;
}

namespace {

// One chunk from a non-blocking pipe; at EOF (or an error no retry will cure) closes it and returns false.
bool read_chunk(int& fd, std::string& out) {
  if (fd < 0) return false;
  char buffer[kReadChunk];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      out.append(buffer, static_cast<size_t>(n));
      return true;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    ::close(fd);
    fd = -1;
    return false;
  }
}

}  // namespace

bool LocalProcess::read_stdout(std::string& out) { return read_chunk(stdout_fd_, out); }
bool LocalProcess::read_stderr(std::string& out) { return read_chunk(stderr_fd_, out); }

void LocalProcess::collect_leader(bool block) {
  if (status_) return;
  int wait_status = 0;
  int result;
  do {
    result = ::waitpid(pid_, &wait_status, block ? 0 : WNOHANG);
  } while (result < 0 && errno == EINTR);
  if (result == pid_) {
    status_ = exit_status_from_wait(wait_status);
  } else if (result < 0 && errno == ECHILD) {
    status_ = ExitStatus{};  // collected by someone else: ended, status unknown
  } else {
    return;
  }
  process_tree::unregister_leader(pid_);
}

bool LocalProcess::group_may_exist() const {
  if (!status_) return true;  // the leader (alive or a zombie) holds the group id
  if (::kill(-pid_, 0) != 0 && errno == ESRCH) return false;
  return ::kill(pid_, 0) != 0;  // a process with the leader's pid now is a newcomer: our group is empty
}

std::optional<ExitStatus> LocalProcess::try_wait() {
  collect_leader(false);
  return status_;
}

process_tree::TreeIdentity LocalProcess::tree() const {
  bool leader_collected = status_.has_value();
  return process_tree::TreeIdentity{leader_collected ? -1 : pid_, group_may_exist() ? pid_ : -1, tree_token_};
}

void LocalProcess::signal_tree(int signal) const {
  if (group_may_exist()) ::kill(-pid_, signal);  // the group at once
  for (const auto& member : process_tree::find_members(tree(), process_tree::list_processes())) {
    if (member.state != 'Z') ::kill(member.pid, signal);  // those that left the group
  }
}

void LocalProcess::request_stop() {
  if (tree_ended_) return;
  collect_leader(false);
  signal_tree(SIGTERM);
  signal_tree(SIGCONT);  // a stopped process acts on TERM only once continued
}

void LocalProcess::kill_tree(std::chrono::milliseconds grace) {
  if (tree_ended_) return;
  using Clock = std::chrono::steady_clock;
  const int self = ::getpid();
  // Empty when the leader is collected and no member is left, zombies included: zombies re-parented to us (we
  // are the subreaper) are collected here; others vanish when their parent, also a member, dies.
  auto tree_is_empty = [&] {
    collect_leader(false);
    bool empty = status_.has_value();
    for (const auto& member : process_tree::find_members(tree(), process_tree::list_processes())) {
      if (member.pid == pid_ && !status_) continue;  // the leader: collected above once it ends
      if (member.state == 'Z' && member.ppid == self && ::waitpid(member.pid, nullptr, WNOHANG) == member.pid)
        continue;
      empty = false;
    }
    return empty;
  };
  auto pause = [](std::chrono::milliseconds& step, Clock::time_point limit) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(limit - Clock::now());
    std::this_thread::sleep_for(std::max(std::chrono::milliseconds(0), std::min(step, left)));
    step = std::min(step * 2, std::chrono::milliseconds(20));
  };

  if (grace.count() > 0 && !tree_is_empty()) {
    signal_tree(SIGTERM);
    signal_tree(SIGCONT);  // a stopped process acts on TERM only once continued
    const auto deadline = Clock::now() + grace;
    auto step = std::chrono::milliseconds(1);
    while (Clock::now() < deadline && !tree_is_empty()) pause(step, deadline);
  }
  // A member may fork between a snapshot and the signal: repeat until a snapshot finds nobody.
  const auto give_up = Clock::now() + kKillGiveUp;
  auto step = std::chrono::milliseconds(1);
  while (!tree_is_empty() && Clock::now() < give_up) {
    signal_tree(SIGKILL);
    pause(step, give_up);
  }
  process_tree::retire_tree(tree_token_);
  // Members that left the group and died meanwhile are only recognisable as adopted orphans now.
  process_tree::sweep_orphans();
  tree_ended_ = true;
}

}  // namespace runners

// The Boost.Process extension that prepares an agent's child process between fork and exec: process group,
// working directory, stdio, signal state, descriptors. Used only by the local launcher; the parent-side hooks
// run in the starting thread.
#pragma once

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/process/extend.hpp>
#include <csignal>
#include <string>
#include <system_error>
#include <vector>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

namespace runners {

class ChildSetup : public boost::process::extend::handler {
 public:
  // `env` ("NAME=value" entries) and `cwd` must outlive the start of the child.
  ChildSetup(const std::vector<std::string>& env, const std::string& cwd, int stdin_fd, int stdout_fd,
             int stderr_fd)
      : cwd_(cwd.empty() ? nullptr : cwd.c_str()),
        stdin_fd_(stdin_fd),
        stdout_fd_(stdout_fd),
        stderr_fd_(stderr_fd) {
    env_.reserve(env.size() + 1);
    for (const std::string& entry : env) env_.push_back(const_cast<char*>(entry.c_str()));
    env_.push_back(nullptr);
  }

  // Parent, before fork.
  template <class Executor>
  void on_setup(Executor& exec) const {
    exec.env = const_cast<char**>(env_.data());
  }

  // Child, after fork: the harness may run other threads, so only async-signal-safe calls (no allocation).
  template <class Executor>
  void on_exec_setup(Executor& exec) const {
    // Its own process group: a signal sent to the group reaches the agent's children and grandchildren too,
    // and a Ctrl-C at the terminal reaches only the harness, which then stops its agents in order.
    if (::setpgid(0, 0) != 0) fail(exec, "setpgid");
    if (cwd_ != nullptr && ::chdir(cwd_) != 0) fail(exec, "chdir");
    if (::dup2(stdin_fd_, 0) < 0 || ::dup2(stdout_fd_, 1) < 0 || ::dup2(stderr_fd_, 2) < 0)
      fail(exec, "dup2");
    // Blocked or ignored signals survive exec: an agent must start with the defaults whatever the harness set
    // (an ignored SIGPIPE or a blocked SIGTERM would make it unkillable by the group TERM or deaf to closed
    // pipes).
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction fallback {};
    fallback.sa_handler = SIG_DFL;
    for (int signal = 1; signal < NSIG; ++signal) {
      if (signal != SIGKILL && signal != SIGSTOP) ::sigaction(signal, &fallback, nullptr);
    }
    // Every descriptor above stdio closes at exec, including any a library opened without O_CLOEXEC: no leaks
    // into agents. Marking instead of closing keeps Boost's error pipe usable until exec succeeds.
    if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
      for (int fd = 3; fd < 65536; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
  }

  // Parent, when the start failed after fork: Boost collects the failed child with WNOHANG only, which can
  // leave a zombie; wait for it.
  template <class Executor>
  void on_error(Executor& exec, const std::error_code&) const {
    if (exec.pid > 0) ::waitpid(exec.pid, nullptr, 0);
  }

 private:
  template <class Executor>
  [[noreturn]] static void fail(Executor& exec, const char* what) {
    exec.set_error(std::error_code(errno, std::system_category()),
                   what);  // reported to the parent through a pipe
    ::_exit(127);
  }

  std::vector<char*> env_;
  const char* cwd_;
  int stdin_fd_;
  int stdout_fd_;
  int stderr_fd_;
};

}  // namespace runners

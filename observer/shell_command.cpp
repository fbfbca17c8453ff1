#include "observer/shell_command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

extern char** environ;

namespace observer {
namespace {

using Clock = std::chrono::steady_clock;

// After the command itself has exited, what it left running may still hold its pipes: read them a little
// longer, then kill the group rather than wait for the full timeout.
constexpr auto kDrainAfterExit = std::chrono::milliseconds(500);
// Poll at least this often so an exit that closes no pipe is noticed.
constexpr int kPollSliceMs = 50;

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Blocks SIGPIPE in this thread while the command runs, so writing to a command that closed its stdin gives
// EPIPE instead of killing the harness; a SIGPIPE raised meanwhile is consumed before unblocking.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeBlock() {
    if (!was_pending_) {
      timespec zero{0, 0};
      while (sigtimedwait(&pipe_, nullptr, &zero) == SIGPIPE) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t pipe_, old_;
  bool was_pending_ = false;
};

void append_tail(std::string& tail, const char* data, size_t n, size_t limit) {
  tail.append(data, n);
  if (tail.size() > limit) tail.erase(0, tail.size() - limit);
}

std::string last_line(const std::string& text) {
  size_t end = text.find_last_not_of(" \t\r\n");
  if (end == std::string::npos) return "";
  size_t start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1, end + 1 - (start == std::string::npos ? 0 : start + 1));
}

// The command's pipes, parent ends (non-blocking; -1 once closed) and its pid.
struct Spawned {
  pid_t pid = -1;
  int in_fd = -1, out_fd = -1, err_fd = -1;
};

// Starts `/bin/sh -c command` in its own process group with three pipes; an empty `error` on success.
Spawned spawn_shell(const std::string& command, const std::string& cwd, std::string& error) {
  Spawned p;
  int in[2], out[2], err[2];
  // CLOEXEC on every end: only the dup2'd copies (0, 1, 2) reach the command; no other child inherits them.
  if (::pipe2(in, O_CLOEXEC) != 0) {
    error = fmt::format("cannot create a pipe: {}", std::strerror(errno));
    return p;
  }
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    error = fmt::format("cannot create a pipe: {}", std::strerror(errno));
    ::close(in[0]), ::close(in[1]);
    return p;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Own process group: a timeout's kill reaches everything the command started. Signal mask and SIGPIPE reset:
  // the child must not inherit our blocked SIGPIPE (or an ignored one) and ignore a closed pipe forever.
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  int rc = posix_spawn(&p.pid, "/bin/sh", &actions, &attr, const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(in[0]), ::close(out[1]), ::close(err[1]);
  p.in_fd = in[1], p.out_fd = out[0], p.err_fd = err[0];
  if (rc != 0) {
    close_fd(p.in_fd), close_fd(p.out_fd), close_fd(p.err_fd);
    error = fmt::format("cannot start /bin/sh: {}", std::strerror(rc));
    p.pid = -1;
    return p;
  }
  for (int fd : {p.in_fd, p.out_fd, p.err_fd}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return p;
}

// Feeds stdin and reads stdout/stderr until the command has exited and closed its pipes (or the drain after its
// exit ends), the timeout passes, or stdout grows too big; returns the wait status. `reaped` says whether it was.
int pump(Spawned& p, const std::string& stdin_text, const ShellCommandOptions& options, ShellCommandResult& r,
         bool& reaped, bool& too_big) {
  auto timeout = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.timeout_s));
  Clock::time_point deadline = Clock::now() + timeout;
  size_t written = 0;
  int status = 0;
  char buf[65536];
  while (true) {
    if (!reaped && ::waitpid(p.pid, &status, WNOHANG) == p.pid) {
      reaped = true;
      deadline = std::min(deadline, Clock::now() + kDrainAfterExit);
    }
    if (reaped && p.out_fd < 0 && p.err_fd < 0) break;
    auto now = Clock::now();
    if (now >= deadline) {
      r.timed_out = !reaped;
      break;
    }
    pollfd fds[3];
    int n = 0;
    if (p.in_fd >= 0) fds[n++] = {p.in_fd, POLLOUT, 0};
    if (p.out_fd >= 0) fds[n++] = {p.out_fd, POLLIN, 0};
    if (p.err_fd >= 0) fds[n++] = {p.err_fd, POLLIN, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
    ::poll(fds, n, static_cast<int>(std::min<int64_t>(left, kPollSliceMs)));
    for (int k = 0; k < n; ++k) {
      if (!fds[k].revents) continue;
      if (fds[k].fd == p.in_fd) {
        ssize_t w = ::write(p.in_fd, stdin_text.data() + written, stdin_text.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        // EPIPE: the command does not read its input; that is its business, not an error.
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == stdin_text.size()) close_fd(p.in_fd);
        continue;
      }
      int& fd = fds[k].fd == p.out_fd ? p.out_fd : p.err_fd;
      ssize_t got = ::read(fd, buf, sizeof buf);
      if (got > 0 && &fd == &p.out_fd) {
        r.output.append(buf, static_cast<size_t>(got));
        if (r.output.size() > options.max_output_bytes) too_big = true;
      } else if (got > 0) {
        append_tail(r.stderr_tail, buf, static_cast<size_t>(got), options.stderr_tail_bytes);
      } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
        close_fd(fd);
      }
    }
    if (too_big) break;
  }
  return status;
}

// The result's exit code, signal and error (with the last line of stderr) from the wait status.
void describe(int status, bool too_big, const ShellCommandOptions& options, ShellCommandResult& r) {
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  if (r.timed_out) {
    r.error = fmt::format("timed out after {:g}s (killed)", options.timeout_s);
  } else if (too_big) {
    r.error = fmt::format("wrote more than {} bytes to stdout (killed)", options.max_output_bytes);
    r.output.resize(options.max_output_bytes);
  } else if (r.signal) {
    r.error = fmt::format("killed by signal {} ({})", r.signal, ::strsignal(r.signal));
  } else if (r.exit_code != 0) {
    r.error = fmt::format("exited with status {}", r.exit_code);
  }
  if (!r.error.empty()) {
    std::string line = last_line(r.stderr_tail);
    if (!line.empty()) r.error += ": " + line;
  }
}

}  // namespace

ShellCommandResult run_shell_command(const std::string& command, const std::string& stdin_text,
                                     const ShellCommandOptions& options) {
  ShellCommandResult r;
  SigpipeBlock sigpipe_block;
  Spawned p = spawn_shell(command, options.cwd, r.error);
  if (p.pid < 0) return r;
  if (stdin_text.empty()) close_fd(p.in_fd);
  bool reaped = false, too_big = false;
  int status = pump(p, stdin_text, options, r, reaped, too_big);
  // Whatever is left of the group (the command on timeout, or what it left behind) is killed and reaped.
  ::kill(-p.pid, SIGKILL);
  if (!reaped) ::waitpid(p.pid, &status, 0);
  close_fd(p.in_fd), close_fd(p.out_fd), close_fd(p.err_fd);
  describe(status, too_big, options, r);
  return r;
}

}  // namespace observer

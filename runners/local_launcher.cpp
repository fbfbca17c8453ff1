// The local launcher: each agent a child process in its own process group, started with Boost.Process (v1
// API). A RunningProcess is driven by one thread; starts from several threads are safe (the process registry
// lock serializes them).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/process/args.hpp>
#include <boost/process/child.hpp>
#include <boost/process/error.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <csignal>
#include <cstring>
#include <filesystem>

#include "runners/child_setup.h"
#include "runners/launcher.h"
#include "runners/local_process.h"
#include "runners/process_tree.h"

extern char** environ;

namespace runners {
namespace {

namespace fs = std::filesystem;

std::string quoted(const std::string& text) { return "'" + text + "'"; }

// A descriptor the child inherits through ChildSetup; closed in the parent once the child has its copy.
class ParentFd {
 public:
  ParentFd() = default;
  explicit ParentFd(int fd) : fd_(fd) {}
  ParentFd(const ParentFd&) = delete;
  ParentFd& operator=(const ParentFd&) = delete;
  ~ParentFd() { reset(); }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// Keeps descriptors 0-2 free in the parent, so that the child's dup2() onto 0, 1, 2 never overwrites a
// source.
int above_stdio(int fd) {
  if (fd < 0 || fd > 2) return fd;
  int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  ::close(fd);
  return moved;
}

int open_or_throw(const std::string& path, int flags, const std::string& command, const char* role) {
  int fd = above_stdio(::open(path.c_str(), flags | O_CLOEXEC, 0644));
  if (fd < 0) {
    throw LaunchError("cannot start " + quoted(command) + ": cannot open " + role + " file " + quoted(path) +
                      ": " + std::strerror(errno));
  }
  return fd;
}

std::string lookup_env(const std::vector<std::string>& env, const std::string& name) {
  for (const std::string& entry : env) {
    if (entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 && entry[name.size()] == '=') {
      return entry.substr(name.size() + 1);
    }
  }
  return {};
}

// The harness's environment, plus spec.env, minus spec.unset_env, plus the tree marker.
std::vector<std::string> child_environment(const LaunchSpec& spec, const std::string& marker) {
  std::map<std::string, std::string> merged;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string text = *entry;
    size_t eq = text.find('=');
    if (eq != std::string::npos && eq > 0) merged.emplace(text.substr(0, eq), text.substr(eq + 1));
  }
  for (const auto& [name, value] : spec.env) merged[name] = value;
  for (const std::string& name : spec.unset_env) merged.erase(name);
  merged[std::string(process_tree::kMarkerVariable)] = marker;
  std::vector<std::string> env;
  env.reserve(merged.size());
  for (const auto& [name, value] : merged) env.push_back(name + "=" + value);
  return env;
}

bool is_executable_file(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
}

// execve() needs a path: resolve argv[0] the way execvp would, but in the parent, so that a missing binary is
// a LaunchError with a clear message rather than a child that fails after fork. Relative paths are relative
// to cwd.
std::string resolve_executable(const LaunchSpec& spec, const std::vector<std::string>& env) {
  const std::string& name = spec.argv.front();
  if (name.find('/') != std::string::npos) {
    fs::path path = name;
    if (path.is_relative() && !spec.cwd.empty()) path = fs::path(spec.cwd) / path;
    std::error_code ec;
    if (!fs::exists(path, ec)) throw LaunchError("cannot start " + quoted(name) + ": no such file");
    if (!is_executable_file(path))
      throw LaunchError("cannot start " + quoted(name) + ": not an executable file");
    return fs::absolute(path, ec).string();
  }
  std::string search = lookup_env(env, "PATH");
  if (search.empty()) search = "/bin:/usr/bin";  // execvp's default
  size_t start = 0;
  while (start <= search.size()) {
    size_t end = search.find(':', start);
    if (end == std::string::npos) end = search.size();
    fs::path dir = search.substr(start, end - start);
    if (dir.empty()) dir = spec.cwd.empty() ? fs::path(".") : fs::path(spec.cwd);
    fs::path candidate = dir / name;
    if (is_executable_file(candidate)) {
      std::error_code ec;
      return fs::absolute(candidate, ec).string();
    }
    start = end + 1;
  }
  throw LaunchError("cannot start " + quoted(name) + ": command not found in PATH");
}

void check_cwd(const LaunchSpec& spec) {
  if (spec.cwd.empty()) return;
  std::error_code ec;
  if (!fs::exists(spec.cwd, ec)) {
    throw LaunchError("cannot start " + quoted(spec.argv.front()) + ": working directory " +
                      quoted(spec.cwd) + " does not exist");
  }
  if (!fs::is_directory(spec.cwd, ec)) {
    throw LaunchError("cannot start " + quoted(spec.argv.front()) + ": working directory " +
                      quoted(spec.cwd) + " is not a directory");
  }
}

class LocalLauncher final : public ProcessLauncher {
 public:
  LocalLauncher() { process_tree::become_subreaper(); }
  // Processes that escaped trees ended since the last sweep are not left behind when the run ends.
  ~LocalLauncher() override { process_tree::sweep_orphans(); }

  std::unique_ptr<RunningProcess> start(const LaunchSpec& spec) override {
    if (spec.argv.empty() || spec.argv.front().empty()) throw LaunchError("cannot start: empty command");
    const std::string& command = spec.argv.front();
    check_cwd(spec);

    static std::atomic<unsigned> sequence{0};
    std::string token = std::to_string(::getpid()) + "." + std::to_string(++sequence);
    std::vector<std::string> env = child_environment(spec, process_tree::marker_value(token));
    std::string executable = resolve_executable(spec, env);
    // Live before the first fork, so that no sweep takes an early escapee for a leftover.
    process_tree::register_tree(token);
    struct RetireUnlessStarted {
      const std::string& token;
      bool started = false;
      ~RetireUnlessStarted() {
        if (!started) process_tree::retire_tree(token);
      }
    } retire{token};

    ParentFd stdin_fd(
        open_or_throw(spec.stdin_path.empty() ? "/dev/null" : spec.stdin_path, O_RDONLY, command, "stdin"));
    ParentFd stderr_fd;
    ParentFd stderr_read;
    if (spec.stderr_pipe) {
      int err_fds[2];
      if (::pipe2(err_fds, O_CLOEXEC) != 0)
        throw LaunchError("cannot start " + quoted(command) + ": pipe: " + std::strerror(errno));
      stderr_read.reset(above_stdio(err_fds[0]));
      stderr_fd.reset(above_stdio(err_fds[1]));
      ::fcntl(stderr_read.get(), F_SETFL, ::fcntl(stderr_read.get(), F_GETFL) | O_NONBLOCK);
    } else {
      stderr_fd.reset(open_or_throw(spec.stderr_path.empty() ? "/dev/null" : spec.stderr_path,
                                    O_WRONLY | O_CREAT | O_APPEND, command, "stderr"));
    }
    int pipe_fds[2];
    // Close-on-exec on both ends: the child gets its write end through dup2 onto 1, no other child gets
    // either.
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
      throw LaunchError("cannot start " + quoted(command) + ": pipe: " + std::strerror(errno));
    }
    ParentFd stdout_read(above_stdio(pipe_fds[0]));
    ParentFd stdout_write(above_stdio(pipe_fds[1]));
    // Only our end is non-blocking: the agent's writes block when we fall behind, which bounds our memory.
    ::fcntl(stdout_read.get(), F_SETFL, ::fcntl(stdout_read.get(), F_GETFL) | O_NONBLOCK);

    ChildSetup setup(env, spec.cwd, stdin_fd.get(), stdout_write.get(), stderr_fd.get());
    std::vector<std::string> args(spec.argv.begin() + 1, spec.argv.end());
    std::error_code error;
    int pid = -1;
    {
      auto registry = process_tree::hold_registry();
      boost::process::child child(boost::process::exe = executable, boost::process::args = args, setup,
                                  boost::process::error(error));
      if (!error) {
        pid = child.id();
        process_tree::register_leader(pid, registry);
        // We wait for and kill it ourselves; an attached boost child would terminate it in its destructor.
        child.detach();
      }
    }
    if (error) throw LaunchError("cannot start " + quoted(command) + ": " + error.message());
    // A pidfd becomes readable when the process ends, so a reactor learns of exits from poll() alone.
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    retire.started = true;
    return std::make_unique<LocalProcess>(pid, stdout_read.release(), pidfd, token, stderr_read.release());
  }
};

}  // namespace

std::unique_ptr<ProcessLauncher> make_local_launcher() { return std::make_unique<LocalLauncher>(); }

}  // namespace runners

// The sandbox decorator and the bwrap command line: see sandbox.h.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "runners/sandbox.h"

extern char** environ;

namespace runners {
namespace {

namespace fs = std::filesystem;

std::string canonical_or_as_is(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
  return ec ? fs::path(path).lexically_normal().string() : p.string();
}

size_t depth(const std::string& path) { return static_cast<size_t>(std::count(path.begin(), path.end(), '/')); }

bool is_under(const std::string& path, const std::string& folder) {
  return path == folder || (path.size() > folder.size() && path.compare(0, folder.size(), folder) == 0 &&
                            (folder.back() == '/' || path[folder.size()] == '/'));
}

std::string read_first_line(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

// A linked worktree's `.git` is a file naming its admin folder (<common>/worktrees/<name>), which names the
// common folder in `commondir`. Git inside needs both read, the admin folder and the objects written to commit.
struct GitDirs {
  std::string common, admin, objects;
};

std::optional<GitDirs> worktree_git_dirs(const std::string& cwd) {
  std::error_code ec;
  for (fs::path dir = cwd; !dir.empty(); dir = dir.parent_path()) {
    fs::path dot_git = dir / ".git";
    if (fs::is_directory(dot_git, ec)) return std::nullopt;  // a plain repository: all of it is the workspace's
    if (fs::is_regular_file(dot_git, ec)) {
      std::string line = read_first_line(dot_git);
      if (line.rfind("gitdir: ", 0) != 0) return std::nullopt;
      fs::path admin = line.substr(8);
      if (admin.is_relative()) admin = dir / admin;
      std::string common_rel = read_first_line(admin / "commondir");
      fs::path common = common_rel.empty() ? admin : (fs::path(common_rel).is_relative() ? admin / common_rel
                                                                                          : fs::path(common_rel));
      GitDirs dirs{canonical_or_as_is(common.string()), canonical_or_as_is(admin.string()), ""};
      dirs.objects = dirs.common + "/objects";
      return dirs;
    }
    if (dir == dir.root_path()) break;
  }
  return std::nullopt;
}

std::string env_of(const LaunchSpec& spec, const std::string& name) {
  if (auto it = spec.env.find(name); it != spec.env.end()) return it->second;
  const char* value = std::getenv(name.c_str());
  return value ? value : "";
}

// The local launcher would say "command not found": so must we, although the process it now starts is bwrap.
void check_command(const LaunchSpec& spec) {
  if (spec.argv.empty() || spec.argv.front().empty()) throw LaunchError("cannot start: empty command");
  const std::string& name = spec.argv.front();
  std::error_code ec;
  auto executable = [&](const fs::path& p) { return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0; };
  if (name.find('/') != std::string::npos) {
    fs::path p = name;
    if (p.is_relative() && !spec.cwd.empty()) p = fs::path(spec.cwd) / p;
    if (!fs::exists(p, ec)) throw LaunchError("cannot start '" + name + "': no such file");
    if (!executable(p)) throw LaunchError("cannot start '" + name + "': not an executable file");
    return;
  }
  std::string search = env_of(spec, "PATH");
  if (search.empty()) search = "/bin:/usr/bin";
  for (size_t start = 0; start <= search.size();) {
    size_t end = std::min(search.find(':', start), search.size());
    fs::path dir = search.substr(start, end - start);
    if (dir.empty()) dir = spec.cwd.empty() ? fs::path(".") : fs::path(spec.cwd);
    if (executable(dir / name)) return;
    start = end + 1;
  }
  throw LaunchError("cannot start '" + name + "': command not found in PATH");
}

class SandboxLauncher final : public ProcessLauncher {
 public:
  SandboxLauncher(std::unique_ptr<ProcessLauncher> inner, SandboxPolicy policy)
      : inner_(std::move(inner)), policy_(std::move(policy)) {}

  std::unique_ptr<RunningProcess> start(const LaunchSpec& spec) override {
    check_command(spec);
    std::error_code ec;
    for (const auto& path : spec.writable_paths) fs::create_directories(path, ec);
    if (auto home = spec.env.find("HOME"); home != spec.env.end()) fs::create_directories(home->second, ec);
    LaunchSpec inside = spec;
    // The command and the files its command line names are always visible, wherever they live (a script under
    // the host's /tmp, which is private inside): `python3 /tmp/x/agent.py` must find its script.
    if (spec.argv.front().find('/') != std::string::npos) {
      fs::path command = spec.argv.front();
      if (command.is_relative() && !spec.cwd.empty()) command = fs::path(spec.cwd) / command;
      inside.readable_paths.push_back(command.string());
    }
    for (size_t i = 1; i < spec.argv.size(); ++i)
      if (!spec.argv[i].empty() && spec.argv[i].front() == '/' && fs::is_regular_file(spec.argv[i], ec))
        inside.readable_paths.push_back(spec.argv[i]);
    LaunchSpec wrapped = spec;
    wrapped.argv = sandbox_argv(inside, policy_);
    return inner_->start(wrapped);
  }

 private:
  std::unique_ptr<ProcessLauncher> inner_;
  SandboxPolicy policy_;
};

}  // namespace

std::vector<std::string> sandbox_argv(const LaunchSpec& spec, const SandboxPolicy& policy) {
  std::vector<std::string> argv = {policy.bwrap,
                                   // A kill of the harness (or of bwrap) ends everything inside: its PID 1 dies.
                                   "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
                                   "--unshare-cgroup-try"};
  if (!policy.share_network) argv.push_back("--unshare-net");  // only a loopback of its own
  // The host read-only; fresh /dev, /proc (of its own PID namespace) and temporary folders.
  for (const char* a : {"--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--tmpfs",
                        "/var/tmp"})
    argv.push_back(a);
  for (const auto& folder : policy.hidden) {
    std::string f = canonical_or_as_is(folder);
    if (f == "/" || f.empty()) continue;
    argv.insert(argv.end(), {"--tmpfs", f});
  }
  // Binds, parents before children so that the most specific one decides (a read-only prompt file inside a
  // writable run folder stays read-only); for one path, writable wins.
  std::map<std::string, bool> binds;  // path -> writable
  auto add = [&](const std::string& path, bool writable) {
    if (path.empty()) return;
    std::string p = canonical_or_as_is(path);
    if (p == "/") return;
    auto [it, inserted] = binds.emplace(p, writable);
    if (!inserted) it->second = it->second || writable;
  };
  for (const auto& p : policy.readable) add(p, false);
  for (const auto& p : spec.readable_paths) add(p, false);
  if (!spec.cwd.empty()) add(spec.cwd, true);
  for (const auto& p : spec.writable_paths) add(p, true);
  if (auto home = spec.env.find("HOME"); home != spec.env.end()) add(home->second, true);
  for (const auto& p : policy.writable) add(p, true);
  // The forwarder runs first inside: its binary must be there too, even under the host's /tmp (a build there).
  const bool with_init = !policy.init.empty() && !policy.bridges.empty() && !policy.share_network;
  if (with_init && !policy.init.front().empty() && policy.init.front().front() == '/') add(policy.init.front(), false);
  if (!spec.cwd.empty())
    if (auto git = worktree_git_dirs(canonical_or_as_is(spec.cwd))) {
      add(git->common, false);
      add(git->admin, true);
      add(git->objects, true);
    }
  std::vector<std::pair<std::string, bool>> ordered(binds.begin(), binds.end());
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto& a, const auto& b) { return depth(a.first) < depth(b.first); });
  for (const auto& [path, writable] : ordered) {
    // Whatever is bound must be reachable: a path not under a hidden folder or /tmp is there already, read-only.
    argv.insert(argv.end(), {writable ? "--bind-try" : "--ro-bind-try", path, path});
  }
  if (!policy.bridges.empty() && !policy.bridge_dir.empty())
    argv.insert(argv.end(), {"--ro-bind", policy.bridge_dir, policy.bridge_dir});
  // A TMPDIR of the host's would be read-only inside.
  argv.insert(argv.end(), {"--setenv", "TMPDIR", "/tmp"});
  if (!spec.cwd.empty()) argv.insert(argv.end(), {"--chdir", canonical_or_as_is(spec.cwd)});
  argv.push_back("--");
  if (with_init) {
    argv.insert(argv.end(), policy.init.begin(), policy.init.end());
    for (const auto& b : policy.bridges) {
      argv.push_back("--forward");
      argv.push_back(std::to_string(b.port) + "=" + b.socket);
    }
    argv.push_back("--");
  }
  argv.insert(argv.end(), spec.argv.begin(), spec.argv.end());
  return argv;
}

std::unique_ptr<ProcessLauncher> make_sandbox_launcher(std::unique_ptr<ProcessLauncher> inner,
                                                       SandboxPolicy policy) {
  return std::make_unique<SandboxLauncher>(std::move(inner), std::move(policy));
}

std::optional<std::string> probe_sandbox(const SandboxPolicy& policy) {
  std::vector<std::string> args = {policy.bwrap, "--die-with-parent", "--unshare-pid", "--ro-bind", "/", "/",
                                   "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"};
  if (!policy.share_network) args.push_back("--unshare-net");
  args.insert(args.end(), {"--", "true"});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return std::string("pipe: ") + std::strerror(errno);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, policy.bwrap.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  std::string err;
  if (rc == 0) {
    char buf[4096];
    for (ssize_t n; (n = ::read(pipe_fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR);)
      if (n > 0 && err.size() < 4096) err.append(buf, static_cast<size_t>(n));
  }
  ::close(pipe_fds[0]);
  if (rc != 0)
    return policy.bwrap + " cannot be started (" + std::strerror(rc) + "): install Debian's bubblewrap package";
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return std::nullopt;
  while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
  return policy.bwrap + " cannot create the namespaces here: " +
         (err.empty() ? "exit status " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) : err);
}

std::vector<std::string> host_home_folders() {
  std::vector<std::string> out;
  std::error_code ec;
  auto add = [&](const std::string& p) {
    if (p.empty() || !fs::is_directory(p, ec)) return;
    std::string c = canonical_or_as_is(p);
    if (c == "/" || std::find(out.begin(), out.end(), c) != out.end()) return;
    out.push_back(c);
  };
  if (const char* home = std::getenv("HOME")) add(home);
  add("/root");
  add("/home");
  // A home inside another is hidden with it.
  std::vector<std::string> top;
  for (const auto& p : out)
    if (std::none_of(out.begin(), out.end(), [&](const std::string& o) { return o != p && is_under(p, o); }))
      top.push_back(p);
  return top;
}

}  // namespace runners

// Process trees from /proc: see process_tree.h.
#include "runners/process_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

namespace runners::process_tree {
namespace {

std::mutex registry_mutex;
std::unordered_set<int> registered_leaders;  // guarded by registry_mutex
std::unordered_set<std::string> live_trees;  // guarded by registry_mutex

// "pid (comm) S ppid pgrp session ...": comm may hold spaces and parentheses, so parse after the last ')'.
bool parse_stat(const std::string& text, ProcessInfo& info) {
  size_t close = text.rfind(')');
  if (close == std::string::npos || close + 2 >= text.size()) return false;
  const char* p = text.c_str() + close + 2;
  info.state = *p++;
  char* end = nullptr;
  info.ppid = static_cast<int>(std::strtol(p, &end, 10));
  info.pgid = static_cast<int>(std::strtol(end, &end, 10));
  info.sid = static_cast<int>(std::strtol(end, &end, 10));
  return true;
}

bool is_registered_locked(int pid) { return registered_leaders.count(pid) != 0; }

}  // namespace

std::vector<ProcessInfo> list_processes() {
  std::vector<ProcessInfo> all;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return all;
  while (dirent* entry = ::readdir(dir)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    ProcessInfo info;
    info.pid = static_cast<int>(pid);
    std::string stat = read_proc_file("/proc/" + std::string(entry->d_name) + "/stat", 1024);
    if (parse_stat(stat, info)) all.push_back(info);
  }
  ::closedir(dir);
  return all;
}

std::string read_proc_file(const std::string& path, size_t limit) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string text;
  char buffer[4096];
  while (text.size() < limit) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

std::vector<std::string> environment_of(int pid) {
  std::string block = read_proc_file("/proc/" + std::to_string(pid) + "/environ");
  std::vector<std::string> entries;
  for (size_t start = 0; start < block.size();) {
    size_t end = block.find('\0', start);
    if (end == std::string::npos) end = block.size();
    if (end > start) entries.emplace_back(block, start, end - start);
    start = end + 1;
  }
  return entries;
}

// The tokens of kMarkerVariable in the process's environment as it was at exec (empty when none or
// unreadable).
static std::vector<std::string> marker_tokens(int pid) {
  const std::string prefix = std::string(kMarkerVariable) + "=";
  std::vector<std::string> tokens;
  for (const auto& entry : environment_of(pid)) {
    if (entry.compare(0, prefix.size(), prefix) != 0) continue;
    std::string_view value = std::string_view(entry).substr(prefix.size());
    while (!value.empty()) {
      size_t space = value.find(' ');
      if (space != 0) tokens.emplace_back(value.substr(0, space));
      if (space == std::string_view::npos) break;
      value.remove_prefix(space + 1);
    }
    break;
  }
  return tokens;
}

bool carries_marker(int pid, std::string_view token) {
  for (const std::string& carried : marker_tokens(pid)) {
    if (carried == token) return true;
  }
  return false;
}

std::string marker_value(std::string_view token) {
  const char* inherited = std::getenv(std::string(kMarkerVariable).c_str());
  if (inherited == nullptr || *inherited == '\0') return std::string(token);
  return std::string(inherited) + " " + std::string(token);
}

std::vector<ProcessInfo> find_members(const TreeIdentity& tree, const std::vector<ProcessInfo>& all) {
  const int self = ::getpid();
  std::unordered_map<int, std::vector<size_t>> children;
  std::vector<size_t> pending;
  {
    std::lock_guard<std::mutex> lock(registry_mutex);
    for (size_t i = 0; i < all.size(); ++i) {
      const ProcessInfo& p = all[i];
      if (p.pid == self) continue;
      children[p.ppid].push_back(i);
      if (p.pid == tree.leader || p.pgid == tree.pgid) {
        pending.push_back(i);
      } else if ((p.ppid == self || p.ppid == 1) && p.state != 'Z' && !is_registered_locked(p.pid) &&
                 carries_marker(p.pid, tree.token)) {
        // An orphan that left the group (setsid) and whose parent died: only its inherited marker ties it to
        // us.
        pending.push_back(i);
      }
    }
  }
  std::unordered_set<int> seen;
  std::vector<ProcessInfo> members;
  while (!pending.empty()) {
    size_t index = pending.back();
    pending.pop_back();
    const ProcessInfo& p = all[index];
    if (!seen.insert(p.pid).second) continue;
    members.push_back(p);
    auto it = children.find(p.pid);
    if (it != children.end()) pending.insert(pending.end(), it->second.begin(), it->second.end());
  }
  return members;
}

void become_subreaper() {
  static std::once_flag once;
  std::call_once(once, [] { ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); });
}

std::unique_lock<std::mutex> hold_registry() { return std::unique_lock<std::mutex>(registry_mutex); }

void register_leader(int pid, const std::unique_lock<std::mutex>& held) {
  (void)held;  // proof that the caller holds registry_mutex
  registered_leaders.insert(pid);
}

void unregister_leader(int pid) {
  std::lock_guard<std::mutex> lock(registry_mutex);
  registered_leaders.erase(pid);
}

void register_tree(const std::string& token) {
  std::lock_guard<std::mutex> lock(registry_mutex);
  live_trees.insert(token);
}

void retire_tree(const std::string& token) {
  std::lock_guard<std::mutex> lock(registry_mutex);
  live_trees.erase(token);
}

int sweep_orphans() {
  std::lock_guard<std::mutex> lock(registry_mutex);
  const int self = ::getpid();
  const int own_group = ::getpgrp();
  const std::string own_prefix = std::to_string(self) + ".";
  const std::vector<ProcessInfo> all = list_processes();
  std::unordered_map<int, std::vector<int>> children;
  for (const ProcessInfo& p : all) children[p.ppid].push_back(p.pid);
  int handled = 0;
  for (const ProcessInfo& p : all) {
    if (p.ppid != self || p.pgid == own_group || is_registered_locked(p.pid)) continue;
    if (p.state == 'Z') {
      if (::waitpid(p.pid, nullptr, WNOHANG) == p.pid) ++handled;
      continue;
    }
    bool ours = false;
    bool live = false;
    for (const std::string& token : marker_tokens(p.pid)) {
      if (token.rfind(own_prefix, 0) != 0) continue;
      ours = true;
      live = live || live_trees.count(token) != 0;
    }
    if (!ours || live) continue;
    // Kill the whole subtree. A child forked after the snapshot is adopted by us when its parent dies and
    // carries the same marker: a later sweep ends it, and collects the zombies this one leaves.
    std::vector<int> pending = {p.pid};
    while (!pending.empty()) {
      int pid = pending.back();
      pending.pop_back();
      ::kill(pid, SIGKILL);
      ++handled;
      auto it = children.find(pid);
      if (it != children.end()) pending.insert(pending.end(), it->second.begin(), it->second.end());
    }
  }
  return handled;
}

}  // namespace runners::process_tree

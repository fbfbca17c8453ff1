// Finding every process an agent started, even those that left its process group (setsid, double fork), so
// that a kill leaves none alive, and reaping the orphans the harness adopts as a child subreaper. Linux only
// (/proc). Thread-safe: the registry of leaders is guarded by one mutex that spawning and reaping share.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace runners::process_tree {

// Every process of a tree inherits this variable; its value is a space-separated list of tree tokens (a tree
// started by an agent that itself runs under a harness keeps the outer token too, so an outer kill reaches
// it).
inline constexpr std::string_view kMarkerVariable = "HARNESS_PROCESS_TREE";

struct ProcessInfo {
  int pid = 0;
  int ppid = 0;
  int pgid = 0;
  int sid = 0;
  char state = '?';  // 'Z' for a zombie
};

// One snapshot of /proc (processes that vanish while it is read are skipped).
std::vector<ProcessInfo> list_processes();

// A small /proc file read with POSIX calls, up to `limit` bytes: empty when the process is gone (a process that
// exits while it is read is an empty or short result, never an exception, unlike a std::ifstream).
std::string read_proc_file(const std::string& path, size_t limit = 1 << 20);

// The entries ("NAME=value") of the process's environment as it was at exec, the first MiB of it; empty when
// the process is gone or unreadable.
std::vector<std::string> environment_of(int pid);

// Whether the process's environment (as it was at exec) marks it as a member of the tree `token`.
bool carries_marker(int pid, std::string_view token);

// The value of kMarkerVariable for a new tree: the inherited value (if any) followed by `token`.
std::string marker_value(std::string_view token);

struct TreeIdentity {
  int leader = 0;     // pid of the process the launcher started
  int pgid = 0;       // its process group (== leader)
  std::string token;  // its marker token
};

// Every process of the tree present in `all` (zombies included): the leader, its process group, orphans
// adopted by this process or init that carry the marker, and all their descendants by parent pid.
std::vector<ProcessInfo> find_members(const TreeIdentity& tree, const std::vector<ProcessInfo>& all);

// Makes this process the reaper of orphaned descendants (PR_SET_CHILD_SUBREAPER): a double-forked grandchild
// is re-parented to us instead of init, so it stays findable and its exit is ours to collect. Idempotent.
void become_subreaper();

// Held while a leader is started and registered: a reaper in another thread must not collect its exit first.
std::unique_lock<std::mutex> hold_registry();
void register_leader(int pid, const std::unique_lock<std::mutex>& held);
void unregister_leader(int pid);

// A tree is live from its start until its handle ends it (kill_tree or destruction); sweep_orphans() leaves
// the escaped members of live trees alone (an agent may run a daemon it needs) and ends those of retired
// trees.
void register_tree(const std::string& token);
void retire_tree(const std::string& token);

// One pass over /proc. Collects zombie children that are adopted orphans (children of ours in another process
// group that no launcher registered as its leader; children the harness starts in its own group, e.g. through
// popen, are never touched). Kills (SIGKILL), with their descendants, adopted orphans whose marker names only
// retired trees of this process. This ends members that left their group (setsid) of a tree whose handle was
// dropped after a normal exit, without a /proc pass per finished agent. Returns how many it collected or
// killed.
int sweep_orphans();

}  // namespace runners::process_tree

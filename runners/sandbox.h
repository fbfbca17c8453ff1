// The sandbox around an agent or verify process: Debian's bubblewrap (bwrap) gives it its own network (loopback
// only), PID, IPC and UTS namespaces, a private /tmp and home, and the host file system read-only except its
// workspace and the paths it must write. A SandboxLauncher wraps any ProcessLauncher (local or Slurm: bwrap then
// runs inside the job) and only rewrites the LaunchSpec. The run's servers on the host's 127.0.0.1 stay reachable
// at their usual URLs through bridges: a Unix socket per server bound into the sandbox, and a forwarder inside
// (`harness __sandbox-init`, sandbox_init.h) listening on the same port of the sandbox's own loopback.
// See docs/sandbox.md. Pure functions and a stateless decorator: thread-safe as the wrapped launcher is.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runners/launcher.h"

namespace runners {

// A port of the host's 127.0.0.1 made reachable inside: the forwarder listens on 127.0.0.1:port in the sandbox
// and connects to `socket` (a host Unix socket inside SandboxPolicy::bridge_dir).
struct BridgedPort {
  int port = 0;
  std::string socket;
};

struct SandboxPolicy {
  std::string bwrap = "bwrap";
  // The forwarder's argv prefix (the harness binary and `__sandbox-init`); the launch becomes
  // bwrap ... -- <init> --forward PORT=SOCKET ... -- <argv>. Empty: no forwarder (then `bridges` must be empty).
  std::vector<std::string> init;
  bool share_network = false;            // keep the host's network (no bridges needed, ports shared)
  std::vector<std::string> writable;     // absolute paths bound writable in every sandbox (they must exist)
  std::vector<std::string> hidden;       // host folders replaced by an empty tmpfs (the host's home folders)
  std::vector<std::string> readable;     // paths under a hidden folder bound back read-only (installed CLIs)
  std::vector<BridgedPort> bridges;      // the run's servers
  std::string bridge_dir;                // the folder of the bridge sockets, bound read-only at the same path
};

// The argv that runs `spec` inside the sandbox. Writable: spec.cwd, spec.writable, $HOME of spec.env when set,
// policy.writable, and the git metadata of a worktree at or above spec.cwd (its admin folder and the object
// store, so `git commit` works; refs of the main repository stay read-only). Pure.
std::vector<std::string> sandbox_argv(const LaunchSpec& spec, const SandboxPolicy& policy);

// Wraps `inner`: every start() runs the spec inside a sandbox of its own. spec.writable folders and $HOME are
// created first (they are the harness's own, under the run dir).
std::unique_ptr<ProcessLauncher> make_sandbox_launcher(std::unique_ptr<ProcessLauncher> inner, SandboxPolicy policy);

// Runs bwrap once with the namespaces the sandbox needs; the reason when it cannot work here (bwrap missing,
// namespaces not permitted), nullopt when it can. Blocking (a few ms).
std::optional<std::string> probe_sandbox(const SandboxPolicy& policy);

// The home folders of the host that agents must not read: $HOME, /root and /home (those that exist).
std::vector<std::string> host_home_folders();

}  // namespace runners

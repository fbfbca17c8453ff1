// The host side of the sandboxes' bridges to the run's servers: for each server port on the host's 127.0.0.1, a
// Unix socket in a private folder (mode 0700, short path under /tmp: socket paths are limited to 108 bytes) that
// relays every connection to that port. The folder is bound read-only into every sandbox; the forwarder inside
// listens on the same port number of the sandbox's own loopback (sandbox_init.h). The bridge is local to this
// machine: a sandbox on another host (a Slurm node) cannot reach it. Thread-safe: each relay has its own threads;
// construct and destroy from one thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace telemetry {

class SocketForwarder;

// One bridged server: its port on the host's 127.0.0.1 and the Unix socket that relays to it. The harness copies
// these into the sandbox policy (runners::SandboxPolicy::bridges), so runners/ and telemetry/ stay apart.
struct Bridge {
  int port = 0;
  std::string socket;
};

class SandboxBridges {
 public:
  // Throws std::runtime_error when the folder or a socket cannot be made.
  explicit SandboxBridges(const std::vector<int>& ports);
  ~SandboxBridges();  // stops the relays and removes the folder
  SandboxBridges(const SandboxBridges&) = delete;
  SandboxBridges& operator=(const SandboxBridges&) = delete;

  const std::string& dir() const { return dir_; }
  const std::vector<Bridge>& ports() const { return ports_; }

 private:
  std::string dir_;
  std::vector<Bridge> ports_;
  std::vector<std::unique_ptr<SocketForwarder>> relays_;
};

}  // namespace telemetry

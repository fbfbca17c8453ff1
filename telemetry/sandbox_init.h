// What runs first inside a sandbox (`harness __sandbox-init --forward PORT=SOCKET ... -- ARGV`): it binds
// 127.0.0.1:PORT of the sandbox's own loopback for every bridged server before anything else runs (so the URLs
// the agent is given work from its first instruction), forks one forwarder process that relays each connection
// to the host's Unix socket, and execs ARGV in its own place: the agent keeps the pid the launcher knows, and the
// forwarder dies with the sandbox (its PID namespace ends when the agent does). Single-threaded until the fork.
#pragma once

#include <string>
#include <vector>

namespace telemetry {

inline constexpr const char* kSandboxInitCommand = "__sandbox-init";

// `args` are the words after the command name. Returns only on failure: 126 for a bad forward or a port that
// cannot be bound, 127 when ARGV cannot be executed (the reason on stderr).
int sandbox_init_main(const std::vector<std::string>& args);

}  // namespace telemetry

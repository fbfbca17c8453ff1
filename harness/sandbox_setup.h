// Whether a run's agents are sandboxed (sandbox.mode, and for `auto` one probe of bwrap at the run's start), and
// the sandbox policy the config makes: the host's home folders hidden, sandbox.writable/readable, the bridges to
// the run's servers. Pure apart from the probe; called from the run command's thread.
#pragma once

#include <memory>
#include <string>

#include "harness/config/config.h"
#include "runners/launcher.h"
#include "runners/sandbox.h"
#include "telemetry/sandbox_bridges.h"

namespace harness {

struct SandboxDecision {
  bool active = false;
  std::string status;   // "on", "off" (sandbox.mode off) or "unconfined" (auto, and bwrap cannot work here)
  std::string warning;  // for "unconfined": why, in words a user can act on
};

// Throws UsageError for `mode: on` where the sandbox cannot work (the probe's reason, file and key named).
SandboxDecision decide_sandbox(const Config& config);

// The policy of this run's sandboxes; `bridges` null when nothing is bridged (share_network, or no server).
runners::SandboxPolicy sandbox_policy(const Config& config, const telemetry::SandboxBridges* bridges);

// The harness binary's own path and the forwarder command: what runs first inside a sandbox.
std::vector<std::string> sandbox_init_command();

}  // namespace harness

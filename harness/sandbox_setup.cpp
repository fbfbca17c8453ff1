#include "harness/sandbox_setup.h"

#include <filesystem>

#include <fmt/format.h>

#include "harness/cli.h"
#include "runners/sandbox_init.h"

namespace harness {

SandboxDecision decide_sandbox(const Config& config) {
  SandboxDecision d;
  if (config.sandbox.mode == "off") {
    d.status = "off";
    return d;
  }
  runners::SandboxPolicy probe;
  probe.share_network = config.sandbox.share_network;
  if (auto why = runners::probe_sandbox(probe)) {
    if (config.sandbox.mode == "on")
      throw UsageError(fmt::format("{}: sandbox.mode is on, but the sandbox cannot work here: {}", config.path, *why));
    d.status = "unconfined";
    d.warning = fmt::format("agents run UNCONFINED (sandbox.mode auto): {}; they share the host's network, /tmp "
                            "and home and can write outside their workspaces",
                            *why);
    return d;
  }
  d.active = true;
  d.status = "on";
  return d;
}

std::vector<std::string> sandbox_init_command() {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return {ec ? std::string("harness") : exe.string(), runners::kSandboxInitCommand};
}

runners::SandboxPolicy sandbox_policy(const Config& config, const runners::SandboxBridges* bridges) {
  runners::SandboxPolicy p;
  p.init = sandbox_init_command();
  p.share_network = config.sandbox.share_network;
  p.writable = config.sandbox.writable;
  p.readable = config.sandbox.readable;
  p.hidden = runners::host_home_folders();
  if (bridges && !config.sandbox.share_network) {
    p.bridges = bridges->ports();
    p.bridge_dir = bridges->dir();
  }
  return p;
}

}  // namespace harness

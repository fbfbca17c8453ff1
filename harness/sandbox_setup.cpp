#include "harness/sandbox_setup.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "harness/exit_codes.h"
#include "telemetry/sandbox_init.h"

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
  return {ec ? std::string("harness") : exe.string(), telemetry::kSandboxInitCommand};
}

runners::SandboxPolicy sandbox_policy(const Config& config, const telemetry::SandboxBridges* bridges) {
  runners::SandboxPolicy p;
  p.init = sandbox_init_command();
  p.share_network = config.sandbox.share_network;
  p.writable = config.sandbox.writable;
  p.readable = config.sandbox.readable;
  p.hidden = runners::host_home_folders();
  // CLIs installed under a home folder (npm's node_modules/.bin, ~/.local/bin) must keep working: a PATH folder
  // inside a hidden folder is shown read-only, with its parent (where the package behind a .bin link lives).
  std::string path = config.runner.env.count("PATH") ? config.runner.env.at("PATH") : "";
  if (const char* own = std::getenv("PATH")) path += std::string(path.empty() ? "" : ":") + own;
  for (size_t start = 0; start < path.size();) {
    size_t end = std::min(path.find(':', start), path.size());
    std::filesystem::path dir = path.substr(start, end - start);
    start = end + 1;
    if (!dir.is_absolute()) continue;
    for (const auto& hidden : p.hidden) {
      std::string d = dir.lexically_normal().string();
      if (d.size() > hidden.size() + 1 && d.compare(0, hidden.size() + 1, hidden + "/") == 0) {
        std::filesystem::path parent = dir.lexically_normal().parent_path();
        p.readable.push_back(parent.string() == hidden ? d : parent.string());
      }
    }
  }
  if (bridges && !config.sandbox.share_network) {
    for (const auto& b : bridges->ports()) p.bridges.push_back({b.port, b.socket});
    p.bridge_dir = bridges->dir();
  }
  return p;
}

}  // namespace harness

// Launchers from the config: see launchers.h.
#include "harness/launchers.h"

#include <cctype>
#include <cmath>
#include <filesystem>

#include "harness/config/sha256.h"

namespace harness {
namespace {

std::chrono::milliseconds millis(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(seconds * 1000)));
}

// Slurm shows names as given; squeue's columns and shells are kinder to this set.
std::string job_name_safe(const std::string& text) {
  std::string out;
  for (char c : text) out += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ? c : '_';
  return out;
}

}  // namespace

runners::SlurmOptions slurm_options(const Config& config, double time_limit_s) {
  const nlohmann::json& s = config.runner.slurm;
  runners::SlurmOptions options;
  options.partition = s.value("partition", "");
  options.time = s.value("time", "");
  if (options.time.empty() && time_limit_s > 0)
    options.time = std::to_string(static_cast<int64_t>(std::ceil(time_limit_s / 60.0)) + 1);
  options.cpus = static_cast<int>(s.value("cpus", 1));
  options.mem = s.value("mem", "");
  options.extra_args = s.value("extra_args", std::vector<std::string>{});
  options.submit_timeout = millis(s.value("submit_timeout", 60.0));
  options.command_timeout = millis(s.value("command_timeout", 15.0));
  return options;
}

namespace {
std::unique_ptr<runners::ProcessLauncher> maybe_sandboxed(std::unique_ptr<runners::ProcessLauncher> inner,
                                                          const runners::SandboxPolicy* sandbox) {
  return sandbox ? runners::make_sandbox_launcher(std::move(inner), *sandbox) : std::move(inner);
}
}  // namespace

std::unique_ptr<runners::ProcessLauncher> make_agent_launcher(const Config& config,
                                                              const runners::SandboxPolicy* sandbox) {
  if (config.runner.launcher == "slurm")
    return maybe_sandboxed(runners::make_slurm_launcher(slurm_options(config, config.runner.wall_timeout_s)), sandbox);
  return maybe_sandboxed(runners::make_local_launcher(), sandbox);
}

std::unique_ptr<runners::ProcessLauncher> make_verify_launcher(const Config& config,
                                                               const runners::SandboxPolicy* sandbox) {
  if (config.verify.launcher == "slurm")
    return maybe_sandboxed(runners::make_slurm_launcher(slurm_options(config, config.verify.timeout_s)), sandbox);
  return maybe_sandboxed(runners::make_local_launcher(), sandbox);
}

bool uses_slurm(const Config& config) { return config.runner.launcher == "slurm" || config.verify.launcher == "slurm"; }

std::string slurm_job_name(const std::string& absolute_run_dir, const std::string& agent_id) {
  std::string base = std::filesystem::path(absolute_run_dir).filename().string();
  return "harness-" + job_name_safe(base) + "-" + sha256_hex(absolute_run_dir).substr(0, 8) + "-" +
         job_name_safe(agent_id);
}

}  // namespace harness

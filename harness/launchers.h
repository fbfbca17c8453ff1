// Which launcher runs a run's agents and its verify commands: local process groups or Slurm jobs, as the config
// says (runner.launcher, verify.launcher, runner.slurm.*), and the Slurm job name every attempt of an agent
// shares. Pure functions of the config; thread-safe.
#pragma once

#include <memory>
#include <string>

#include "harness/config/config.h"
#include "runners/launcher.h"
#include "runners/sandbox.h"
#include "runners/slurm_launcher.h"

namespace harness {

// runner.slurm's settings; an empty runner.slurm.time becomes `time_limit_s` rounded up to minutes, plus one
// (the harness's own timeout acts first; Slurm's limit only catches a job whose harness died).
runners::SlurmOptions slurm_options(const Config& config, double time_limit_s);

// With `sandbox` set, every process runs in a sandbox of its own (runners/sandbox.h) inside the chosen launcher.
std::unique_ptr<runners::ProcessLauncher> make_agent_launcher(const Config& config,
                                                              const runners::SandboxPolicy* sandbox = nullptr);
std::unique_ptr<runners::ProcessLauncher> make_verify_launcher(const Config& config,
                                                               const runners::SandboxPolicy* sandbox = nullptr);

// Whether any part of the run may have left Slurm jobs (so a resume must look for them).
bool uses_slurm(const Config& config);

// "harness-<run dir name>-<8 hex of its absolute path>-<agent id>": unique per run directory (two runs both in
// some runs/example never share one), readable in squeue, made of characters Slurm keeps as they are.
std::string slurm_job_name(const std::string& absolute_run_dir, const std::string& agent_id);

}  // namespace harness

// After a crash, the agents of interrupted attempts may still run (they live in process groups of their own).
// Before `resume` re-runs an attempt, whatever is left of the old one is killed: every process whose environment
// carries that attempt's markers (HARNESS_RUN_DIR and HARNESS_AGENT_ID), whatever its group or session now; and
// every Slurm job it left is cancelled.
#pragma once

#include <string>

#include "runners/slurm_launcher.h"

namespace harness {

// Returns how many processes were killed.
int kill_leftover_agent_processes(const std::string& run_dir, const std::string& agent_id);

// The Slurm equivalent, run first (a local srun killed before its job is cancelled would leave the job): every
// live job of this user named `job_name` (every attempt of an agent shares it), or, when squeue cannot answer,
// the attempt's recorded job (`external_id` "slurm:N"), is cancelled. Returns the ids cancelled, or Slurm's error.
runners::SlurmJobsResult cancel_leftover_slurm_jobs(const runners::SlurmOptions& options,
                                                    const std::string& job_name, const std::string& external_id);

}  // namespace harness

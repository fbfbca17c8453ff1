// The Slurm launcher: each process runs as a Slurm job through `srun` (allocation and step in one), and srun
// itself is a local child whose stdout is the job's stdout, so a reactor drives a job exactly like a local
// process. The job id comes from srun's --verbose lines on stderr; a kill is `scancel` of that id, then the local
// srun. Every Slurm command runs under a timeout. Not thread-safe: one thread drives a launcher and its
// processes (like the local launcher).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runners/launcher.h"

namespace runners {

struct SlurmOptions {
  std::string partition;                 // --partition; empty = the cluster's default
  std::string time;                      // --time in Slurm's form (minutes, or [D-]HH:MM:SS); empty = none
  int cpus = 1;                          // --cpus-per-task
  std::string mem;                       // --mem; empty = the cluster's default
  std::vector<std::string> extra_args;   // further srun arguments, before the command
  // The commands (a path or a name looked up in PATH); tests put fakes here.
  std::string srun = "srun";
  std::string scancel = "scancel";
  std::string squeue = "squeue";
  // From srun's start until it names the job id (a pending job is named at once); past it the launch fails.
  std::chrono::milliseconds submit_timeout{60000};
  // Bound of every scancel and squeue call: a controller that does not answer never hangs the harness.
  std::chrono::milliseconds command_timeout{15000};
};

// srun's argv for one launch: options, --job-name/--comment from the spec, then `--` and spec.argv.
std::vector<std::string> srun_argv(const SlurmOptions& options, const LaunchSpec& spec);

// The job id srun names on stderr ("srun: jobid 12: nodes(1)...", "srun: job 12 queued and waiting for
// resources", "srun: job 12 has been allocated resources", "srun: Granted job allocation 12"), if any. Only
// complete lines count: a line still being written could show half a number.
std::optional<std::string> parse_job_id(std::string_view srun_stderr);

// Slurm's own complaints in srun's stderr: lines "srun: error: ..." and "slurmstepd...: error: ...", without the
// one that only reports the task's own non-zero exit ("task 0: Exited with exit code 3"). Joined with "; ".
std::string slurm_error_lines(std::string_view srun_stderr);

std::unique_ptr<ProcessLauncher> make_slurm_launcher(SlurmOptions options);

// Job lookups and cancels for whoever must clean up (a resumed run). Each call runs one command under
// options.command_timeout. `error` is empty on success, else the command's own message.
struct SlurmJobsResult {
  std::vector<std::string> job_ids;
  std::string error;
};
// Jobs of the current user named `job_name` that have not ended (pending, running, suspended, completing...).
SlurmJobsResult find_live_jobs(const SlurmOptions& options, const std::string& job_name);
// scancel of these ids; a job that already ended is not an error.
SlurmJobsResult cancel_jobs(const SlurmOptions& options, const std::vector<std::string>& job_ids);

}  // namespace runners

// `harness run`, `harness resume` and `harness status`: set up (config, run dir, baseline check), hand over to the
// GenerationLoop, and report. Returns exit codes; throws only for fatal infrastructure failures.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "harness/progress.h"

namespace harness {

struct RunOptions {
  std::string config_path;
  std::string run_dir;  // empty: runs/<name>-<timestamp>
  std::optional<uint64_t> seed;
  ProgressMode progress = ProgressMode::plain;
  std::vector<std::string> from;  // --from: earlier run dirs to start from (with the config's `from`)
  bool force = false;             // --force: accept earlier runs of another target
  // Called once the run dir holds the new run's run.db, before generation 1 (run --serve starts its dashboard).
  std::function<void(const std::string& run_dir)> on_started;
};

int run_command(const RunOptions& options);
// `on_started` as RunOptions::on_started, once the run is locked and about to continue.
int resume_command(const std::string& run_dir, bool force, ProgressMode progress,
                   const std::function<void(const std::string& run_dir)>& on_started = {});
int status_command(const std::string& run_dir, bool json);

}  // namespace harness

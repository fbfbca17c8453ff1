// `harness run`, `harness resume` and `harness status`: set up (config, run dir, baseline check), hand over to the
// GenerationLoop, and report. Returns exit codes; throws only for fatal infrastructure failures.
#pragma once

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
};

int run_command(const RunOptions& options);
int resume_command(const std::string& run_dir, bool force, ProgressMode progress);
int status_command(const std::string& run_dir, bool json);

}  // namespace harness

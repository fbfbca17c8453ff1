// Verification of an attempt that changed files: `verify.repeat` runs of verify.command in its workspace (the
// protected paths restored first), verify.log bounded, the first failing line kept. Part of AgentRun.
#include <fmt/format.h>

#include <fstream>

#include "harness/agent_run.h"

namespace harness {
namespace {

// The first line of a failing verify run that names the failure: what the next generation most needs to know.
std::string first_failure_line(const std::string& output) {
  static const char* markers[] = {"Assertion", "assert", "FAIL",     "Error",
                                  "error:",    "failed", "mismatch", "expected"};
  size_t pos = 0;
  while (pos < output.size()) {
    size_t end = output.find('\n', pos);
    if (end == std::string::npos) end = output.size();
    std::string_view line(output.data() + pos, end - pos);
    for (const char* m : markers)
      if (line.find(m) != std::string_view::npos) return std::string(line.substr(0, 300));
    pos = end + 1;
  }
  return "";
}

}  // namespace

void AgentRun::start_verify_repeat() {
  verify_output_tail_.clear();
  verify_started_ms_ = env_.clock.steady_ms();
  int repeat = record_.verify.repeats + 1;
  std::string header = fmt::format("== verify repeat {}/{}: {}\n", repeat, env_.config.verify.repeat,
                                   env_.config.verify.command);
  on_output(header);
  runners::LaunchSpec spec;
  spec.argv = {"/bin/sh", "-c", env_.config.verify.command};
  spec.cwd = workspace_->path();
  spec.stderr_path = dir_ + "/verify.log";  // Slurm's; else piped back into the bounded, redacted log
  spec.stderr_pipe = true;
  spec.env["HARNESS_VERIFY_REPEAT"] = std::to_string(repeat);
  name_job(spec, "verify");
  sandbox_paths(spec, "verify-home");
  if (auto started = watch(ProcessRole::verify, spec); !started.ok()) {
    verify_output_tail_ = fmt::format("verify could not start: {}", started.error().message);
    verify_finished(runners::ExitStatus{127, 0});
  }
}

void AgentRun::verify_finished(const runners::ExitStatus& status) {
  drop_process(false);
  record_.verify.repeats += 1;
  if (status.ok()) {
    record_.verify.passes += 1;
  } else if (record_.verify.first_failure.empty()) {
    record_.verify.first_failure = first_failure_line(verify_output_tail_);
    if (record_.verify.first_failure.empty()) record_.verify.first_failure = "verify " + status.describe();
  }
  on_output(fmt::format("== repeat {} {}\n", record_.verify.repeats, status.describe()));
  if (record_.verify.repeats < env_.config.verify.repeat) return start_verify_repeat();
  finalize();
}

}  // namespace harness

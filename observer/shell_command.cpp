// run_shell_command: see shell_command.h. The running itself is runners::run_captured (the harness's one
// command runner); this file says what a helper command's outcome means for the observer and the meta-agent.
#include "observer/shell_command.h"

#include <cstring>

#include <fmt/format.h>

#include "runners/captured_command.h"

namespace observer {
namespace {

std::string last_line(const std::string& text) {
  size_t end = text.find_last_not_of(" \t\r\n");
  if (end == std::string::npos) return "";
  size_t start = text.rfind('\n', end);
  start = start == std::string::npos ? 0 : start + 1;
  return text.substr(start, end + 1 - start);
}

// What went wrong, in the words of shell_command.h, with the last line of stderr when there is one.
std::string describe(const runners::CapturedOutput& run, const ShellCommandOptions& options) {
  std::string error;
  if (run.stopped) {
    error = "stopped (interrupted)";
  } else if (run.timed_out) {
    error = fmt::format("timed out after {:g}s (killed)", options.timeout_s);
  } else if (run.too_big) {
    error = fmt::format("wrote more than {} bytes to stdout (killed)", options.max_output_bytes);
  } else if (run.status.signal) {
    error = fmt::format("killed by signal {} ({})", run.status.signal, ::strsignal(run.status.signal));
  } else if (run.status.exit_code != 0) {
    error = fmt::format("exited with status {}", run.status.exit_code);
  }
  if (!error.empty()) {
    std::string line = last_line(run.err);
    if (!line.empty()) error += ": " + line;
  }
  return error;
}

}  // namespace

ShellCommandResult run_shell_command(const std::string& command, const std::string& stdin_text,
                                     const ShellCommandOptions& options) {
  runners::LaunchSpec spec;
  spec.argv = {"/bin/sh", "-c", command};
  spec.cwd = options.cwd;
  spec.env = options.env;
  runners::CaptureOptions capture;
  capture.stop = options.stop;
  capture.timeout = std::chrono::milliseconds(static_cast<int64_t>(options.timeout_s * 1000));
  capture.stdin_text = stdin_text;
  capture.max_output_bytes = options.max_output_bytes;
  capture.stderr_tail_bytes = options.stderr_tail_bytes;
  ShellCommandResult r;
  runners::CapturedOutput run;
  try {
    run = runners::run_captured(spec, capture);
  } catch (const runners::LaunchError& e) {
    r.error = e.what();
    return r;
  }
  r.output = std::move(run.out);
  r.stderr_tail = run.err;
  r.exit_code = run.status.exit_code;
  r.signal = run.status.signal;
  r.timed_out = run.timed_out;
  r.stopped = run.stopped;
  r.error = describe(run, options);
  return r;
}

}  // namespace observer

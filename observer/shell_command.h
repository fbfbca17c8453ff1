// Runs a user's helper command (observer.command, meta.command) with /bin/sh -c: a text on its stdin, its stdout
// collected, bounded in time and output size, through runners::run_captured (its own process group, so a timeout
// kills whatever it started too). Never throws; every failure comes back as an error text. Thread-safe.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>

namespace observer {

struct ShellCommandOptions {
  double timeout_s = 120;
  size_t max_output_bytes = 1 << 20;  // stdout beyond this kills the command (an error)
  size_t stderr_tail_bytes = 4096;    // the end of stderr kept for the error message
  std::string cwd;                    // empty: the harness's own
  std::map<std::string, std::string> env;  // set over the harness's environment
  std::function<bool()> stop;         // asked a few times a second; true ends the command (an interrupt)
};

struct ShellCommandResult {
  std::string output;       // stdout (complete when ok())
  std::string stderr_tail;  // last stderr_tail_bytes of stderr
  int exit_code = -1;       // when it exited
  int signal = 0;           // when a signal ended it
  bool timed_out = false;
  bool stopped = false;     // ended because options.stop said so ("stopped (interrupted)")
  // "" after exit 0; else what went wrong, e.g. "timed out after 2s (killed)", "exited with status 3",
  // "killed by signal 11 (Segmentation fault)", "wrote more than 1048576 bytes to stdout (killed)",
  // "cannot start /bin/sh: ...". The last stderr line is appended after ": " when there is one.
  std::string error;
  bool ok() const { return error.empty(); }
};

ShellCommandResult run_shell_command(const std::string& command, const std::string& stdin_text,
                                     const ShellCommandOptions& options = {});

}  // namespace observer

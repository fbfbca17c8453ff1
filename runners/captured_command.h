// Runs a short command to completion through the local launcher and captures what it printed: for git and the
// other tools the harness calls itself (not for agents, whose output is streamed). Thread-safe: each call
// starts its own process and drives it on the calling thread.
#pragma once

#include <chrono>
#include <string>

#include "runners/launcher.h"

namespace runners {

struct CapturedOutput {
  ExitStatus status;
  std::string out;
  std::string err;
  bool timed_out = false;  // killed (with its tree) after the timeout
};

// spec.stderr_path is ignored (stderr is captured). A zero timeout waits as long as it takes.
// Throws LaunchError when the command cannot start.
CapturedOutput run_captured(LaunchSpec spec,
                            std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

}  // namespace runners

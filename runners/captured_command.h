// The harness's one way to run a command to completion and capture what it printed: git, Slurm's tools, the
// target's prepare and baseline verify, observer.command and meta_command (not agents, whose output is
// streamed). Bounded in time and output, stoppable (an interrupt), through any launcher (the sandbox's too).
// Thread-safe: each call starts its own process and drives it on the calling thread.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "runners/launcher.h"

namespace runners {

struct CaptureOptions {
  std::chrono::milliseconds timeout{0};  // zero: wait as long as it takes
  // Given to the command on stdin (through a temporary file, so a command that never reads it cannot block us);
  // empty: spec.stdin_path as given.
  std::string stdin_text;
  size_t max_output_bytes = 0;   // stdout kept at most; zero: unbounded
  bool end_when_too_big = true;  // more stdout than that ends the command; false: the rest is read and dropped
  size_t stderr_tail_bytes = 0;  // only the end of stderr is kept; zero: all of it
  std::function<bool()> stop;    // asked a few times a second; true ends the command (stopped)
  ProcessLauncher* launcher = nullptr;  // null: the local launcher
};

struct CapturedOutput {
  ExitStatus status;
  std::string out;  // at most max_output_bytes
  std::string err;  // the end of stderr (stderr_tail_bytes)
  bool timed_out = false;  // killed (with its tree) after the timeout
  bool too_big = false;    // wrote more than max_output_bytes (killed for it when end_when_too_big)
  bool stopped = false;    // killed because options.stop said so
  bool killed_for_output = false;
  bool ended_by_us() const { return timed_out || killed_for_output || stopped; }
};

// spec.stderr_path is ignored (stderr is captured). Throws LaunchError when the command cannot start.
CapturedOutput run_captured(LaunchSpec spec, const CaptureOptions& options = {});

}  // namespace runners

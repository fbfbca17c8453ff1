// Drives many running processes from one thread (ninja's passive process layer): one poll() over their stdout
// pipes and exit descriptors; the caller adds processes, calls wait(), handles what happened, checks its own
// timeouts and calls wait() again. Output is handed on in chunks of at most 64 KiB as it arrives, so memory
// stays bounded however much a process prints. Not thread-safe: one thread owns a reactor and the processes
// in it.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "runners/launcher.h"

namespace runners {

class ProcessReactor {
 public:
  // Receives each chunk of a process's stdout; the view is valid only during the call.
  using OutputHandler = std::function<void(std::string_view chunk)>;

  struct Finished {
    RunningProcess* process;
    ExitStatus status;
  };
  struct Progress {
    std::vector<RunningProcess*> produced_output;  // in this wait, at least one chunk was handed on
    std::vector<Finished> finished;  // the leader ended; its remaining output was handed on first
  };

  // The reactor does not own the process; remove() it (or let it finish) before destroying it.
  // `on_stderr` receives its stderr the same way, when it was started with LaunchSpec::stderr_pipe.
  void add(RunningProcess& process, OutputHandler on_output, OutputHandler on_stderr = {});
  // Stops watching it (e.g. after a kill whose status the caller does not need); no more calls for it.
  void remove(RunningProcess& process);
  size_t size() const { return watched_.size(); }
  bool empty() const { return watched_.empty(); }

  // Waits until at least one process printed or finished, or `timeout` passed (then Progress is empty). A
  // finished process leaves the reactor. Each wait reads at most one chunk per process, so one loud process
  // cannot starve the others.
  Progress wait(std::chrono::milliseconds timeout);

 private:
  struct Watched {
    RunningProcess* process;
    OutputHandler on_output;
    OutputHandler on_stderr;
  };
  // Reads one chunk and hands it on; false at end of stream.
  bool pump(Watched& watched, bool& produced);
  bool pump_stderr(Watched& watched, bool& got);
  void finish(size_t index, ExitStatus status, Progress& progress);

  std::vector<Watched> watched_;
  std::string chunk_;  // reused: capacity stays at one chunk
  std::chrono::steady_clock::time_point next_orphan_reap_{};
};

}  // namespace runners

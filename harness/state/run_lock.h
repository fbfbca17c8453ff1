// The mark of a live run: the harness that runs a run dir holds an exclusive flock on <run dir>/harness.lock for as
// long as it runs it. The kernel drops it however the process ends (exit, exit 3 on a full disk, SIGKILL), so
// `status` tells a run in progress from one whose harness is gone (run.db alone said "running" forever), and a
// second `harness resume` of a dir that is being run is refused instead of racing the first. The descriptor is
// close-on-exec: agents that outlive the harness never hold it.
#pragma once

#include <optional>
#include <string>

namespace harness {

class RunLock {
 public:
  // Takes the lock, or nothing when another process holds it.
  static std::optional<RunLock> try_acquire(const std::string& run_dir);
  // Whether some process holds the lock of `run_dir` now (without taking it for long).
  static bool held(const std::string& run_dir);

  RunLock(RunLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  RunLock& operator=(RunLock&&) = delete;
  RunLock(const RunLock&) = delete;
  ~RunLock();

 private:
  explicit RunLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace harness

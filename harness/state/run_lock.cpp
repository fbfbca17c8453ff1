#include "harness/state/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace harness {

std::optional<RunLock> RunLock::try_acquire(const std::string& run_dir) {
  int fd = ::open((run_dir + "/harness.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return std::nullopt;
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  return RunLock(fd);
}

bool RunLock::held(const std::string& run_dir) {
  int fd = ::open((run_dir + "/harness.lock").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;  // no lock file: no harness ever ran it with one
  bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0;
  ::close(fd);
  return held;
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace harness

// run_captured: see captured_command.h.
#include "runners/captured_command.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "runners/process_reactor.h"

namespace runners {
namespace {

// stderr goes to a file (the launcher's contract), read back once the command ended; the file is unlinked
// after.
class TemporaryFile {
 public:
  TemporaryFile() {
    const char* dir = std::getenv("TMPDIR");
    path_ = std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/harness-stderr-XXXXXX";
    int fd = ::mkostemp(path_.data(), O_CLOEXEC);
    if (fd < 0) throw LaunchError("cannot create a temporary file in " + path_ + ": " + std::strerror(errno));
    ::close(fd);
  }
  ~TemporaryFile() { ::unlink(path_.c_str()); }
  const std::string& path() const { return path_; }
  std::string read() const {
    std::string text;
    int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return text;
    char buffer[8192];
    ssize_t n;
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR)) {
      if (n > 0) text.append(buffer, static_cast<size_t>(n));
    }
    ::close(fd);
    return text;
  }

 private:
  std::string path_;
};

}  // namespace

CapturedOutput run_captured(LaunchSpec spec, std::chrono::milliseconds timeout) {
  TemporaryFile stderr_file;
  spec.stderr_path = stderr_file.path();
  auto launcher = make_local_launcher();
  auto process = launcher->start(spec);

  CapturedOutput result;
  ProcessReactor reactor;
  reactor.add(*process, [&](std::string_view chunk) { result.out.append(chunk); });
  using Clock = std::chrono::steady_clock;
  const bool bounded = timeout.count() > 0;
  const auto deadline = Clock::now() + timeout;
  while (!reactor.empty()) {
    auto wait_for = std::chrono::milliseconds(1000);
    if (bounded) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        result.timed_out = true;
        process->kill_tree(std::chrono::milliseconds(1000));
        reactor.wait(std::chrono::milliseconds(0));  // hands on what was left in the pipe
        reactor.remove(*process);
        if (auto status = process->try_wait()) result.status = *status;
        break;
      } else {
        wait_for = std::min(wait_for, left);
      }
    }
    for (const auto& finished : reactor.wait(wait_for).finished) result.status = finished.status;
  }
  process.reset();  // ends what the command left behind before stderr is read
  result.err = stderr_file.read();
  return result;
}

}  // namespace runners

// run_captured: see captured_command.h.
#include "runners/captured_command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "runners/process_reactor.h"

namespace runners {
namespace {

// stderr (and a stdin text) go through files: the launcher's contract. Unlinked when done.
class TemporaryFile {
 public:
  explicit TemporaryFile(const char* role, const std::string& content = "") {
    const char* dir = std::getenv("TMPDIR");
    path_ = std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/harness-" + role + "-XXXXXX";
    int fd = ::mkostemp(path_.data(), O_CLOEXEC);
    if (fd < 0) throw LaunchError("cannot create a temporary file in " + path_ + ": " + std::strerror(errno));
    for (size_t done = 0; done < content.size();) {
      ssize_t n = ::write(fd, content.data() + done, content.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        int error = errno;
        ::close(fd);
        ::unlink(path_.c_str());
        throw LaunchError("cannot write " + path_ + ": " + std::strerror(error));
      }
      done += static_cast<size_t>(n);
    }
    ::close(fd);
  }
  ~TemporaryFile() { ::unlink(path_.c_str()); }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  const std::string& path() const { return path_; }

  // The last `limit` bytes (all when zero): a command that floods stderr costs disk, never memory.
  std::string read_tail(size_t limit) const {
    std::string text;
    int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return text;
    struct stat st {};
    if (limit > 0 && ::fstat(fd, &st) == 0 && static_cast<size_t>(st.st_size) > limit)
      ::lseek(fd, st.st_size - static_cast<off_t>(limit), SEEK_SET);
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

using Clock = std::chrono::steady_clock;

// How long one wait may last: until the deadline, and short enough to ask `stop` a few times a second.
std::chrono::milliseconds next_wait(const CaptureOptions& options, Clock::time_point deadline) {
  auto wait_for = std::chrono::milliseconds(options.stop ? 100 : 1000);
  if (options.timeout.count() > 0)
    wait_for = std::min(wait_for, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
  return std::max(wait_for, std::chrono::milliseconds(0));
}

}  // namespace

CapturedOutput run_captured(LaunchSpec spec, const CaptureOptions& options) {
  TemporaryFile stderr_file("stderr");
  std::optional<TemporaryFile> stdin_file;
  if (!options.stdin_text.empty()) {
    stdin_file.emplace("stdin", options.stdin_text);
    spec.stdin_path = stdin_file->path();
  }
  spec.stderr_path = stderr_file.path();
  std::unique_ptr<ProcessLauncher> local;
  ProcessLauncher* launcher = options.launcher;
  if (launcher == nullptr) launcher = (local = make_local_launcher()).get();
  auto process = launcher->start(spec);

  CapturedOutput result;
  ProcessReactor reactor;
  reactor.add(*process, [&](std::string_view chunk) {
    if (options.max_output_bytes > 0 && result.out.size() + chunk.size() > options.max_output_bytes) {
      result.out.append(chunk.substr(0, options.max_output_bytes - result.out.size()));
      result.too_big = true;
    } else {
      result.out.append(chunk);
    }
  });
  const auto deadline = Clock::now() + options.timeout;
  while (!reactor.empty()) {
    result.timed_out = options.timeout.count() > 0 && Clock::now() >= deadline;
    result.stopped = !result.timed_out && options.stop && options.stop();
    result.killed_for_output = result.too_big && options.end_when_too_big;
    if (result.ended_by_us()) {
      process->kill_tree(std::chrono::milliseconds(1000));
      reactor.wait(std::chrono::milliseconds(0));  // hands on what was left in the pipe
      reactor.remove(*process);
      if (auto status = process->try_wait()) result.status = *status;
      break;
    }
    for (const auto& finished : reactor.wait(next_wait(options, deadline)).finished) result.status = finished.status;
  }
  process.reset();  // ends what the command left behind before stderr is read
  result.err = stderr_file.read_tail(options.stderr_tail_bytes);
  return result;
}

}  // namespace runners

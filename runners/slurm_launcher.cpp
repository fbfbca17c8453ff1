// The Slurm launcher and its jobs: see slurm_launcher.h. srun runs as a local process (through the local
// launcher: its own process group, a pidfd, a non-blocking stdout pipe), its stderr appended to the spec's
// stderr file, from which the job id and Slurm's error lines are read back.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "runners/slurm_launcher.h"

namespace runners {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string seconds_text(milliseconds ms) {
  std::ostringstream out;
  out << ms.count() / 1000.0 << "s";
  return out.str();
}

// What was appended to `path` past `offset` (srun's lines, and the agent's own stderr).
std::string read_from(const std::string& path, uint64_t offset) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(static_cast<std::streamoff>(offset));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

uint64_t file_size(const std::string& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

void append_line(const std::string& path, const std::string& line) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << line << '\n';
}

// srun's stderr must be readable even when the caller keeps none: a file of our own then, removed with the job.
std::string temporary_stderr_path() {
  const char* dir = std::getenv("TMPDIR");
  std::string path = std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/harness-srun-XXXXXX";
  int fd = ::mkostemp(path.data(), O_CLOEXEC);
  if (fd < 0) throw LaunchError("cannot create a temporary file in " + path + ": " + std::strerror(errno));
  ::close(fd);
  return path;
}

class SlurmJob final : public RunningProcess {
 public:
  SlurmJob(std::unique_ptr<RunningProcess> srun, std::string job_id, std::string stderr_path, uint64_t offset,
           bool own_stderr, const SlurmOptions& options)
      : srun_(std::move(srun)), job_id_(std::move(job_id)), stderr_path_(std::move(stderr_path)),
        offset_(offset), own_stderr_(own_stderr), options_(options) {}

  ~SlurmJob() override {
    // A job whose srun did not end by itself is cancelled: killing srun alone (SIGKILL below) would leave it.
    kill_tree(milliseconds(0));
    srun_.reset();
    if (own_stderr_) ::unlink(stderr_path_.c_str());
  }

  int pid() const override { return srun_->pid(); }
  int stdout_fd() const override { return srun_->stdout_fd(); }
  bool read_stdout(std::string& out) override { return srun_->read_stdout(out); }
  int exit_fd() const override { return srun_->exit_fd(); }
  std::optional<ExitStatus> try_wait() override { return srun_->try_wait(); }
  std::string external_id() const override { return "slurm:" + job_id_; }

  void kill_tree(milliseconds grace) override {
    if (killed_) return;
    killed_ = true;
    auto status = srun_->try_wait();
    // srun ends only after its job step has; a srun killed by a signal may have left the job behind.
    if (!status || status->signal != 0) {
      cancelled_ = true;
      auto result = cancel_jobs(options_, {job_id_});
      if (!result.error.empty()) append_line(stderr_path_, "harness: " + result.error);
    }
    // srun reports the step's end; give it the grace to do so, then end what is left of it locally.
    const auto deadline = Clock::now() + grace;
    while (!srun_->try_wait() && Clock::now() < deadline) std::this_thread::sleep_for(milliseconds(10));
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    srun_->kill_tree(std::max(milliseconds(0), left));
  }

  std::string system_failure() override {
    auto status = srun_->try_wait();
    if (!status || cancelled_) return {};  // our own cancel is the caller's doing, not Slurm's
    std::string errors = slurm_error_lines(read_from(stderr_path_, offset_));
    if (errors.empty()) return {};
    return "slurm job " + job_id_ + ": " + errors;
  }

 private:
  std::unique_ptr<RunningProcess> srun_;
  std::string job_id_;
  std::string stderr_path_;
  uint64_t offset_;
  bool own_stderr_;
  SlurmOptions options_;
  bool killed_ = false;
  bool cancelled_ = false;
};

class SlurmLauncher final : public ProcessLauncher {
 public:
  explicit SlurmLauncher(SlurmOptions options) : options_(std::move(options)), local_(make_local_launcher()) {}

  std::unique_ptr<RunningProcess> start(const LaunchSpec& spec) override {
    if (spec.argv.empty() || spec.argv.front().empty()) throw LaunchError("cannot start: empty command");
    LaunchSpec srun_spec = spec;
    srun_spec.argv = srun_argv(options_, spec);
    srun_spec.stderr_pipe = false;  // srun's stderr is read back from its file for the job's own messages
    bool own_stderr = spec.stderr_path.empty();
    if (own_stderr) srun_spec.stderr_path = temporary_stderr_path();
    const std::string& stderr_path = srun_spec.stderr_path;
    uint64_t offset = file_size(stderr_path);

    std::unique_ptr<RunningProcess> srun;
    try {
      srun = local_->start(srun_spec);
    } catch (const LaunchError& e) {
      if (own_stderr) ::unlink(stderr_path.c_str());
      throw SystemFailure(std::string("slurm: ") + e.what());
    }
    // Wait for the job id: srun names it as soon as the controller accepted the job (pending or not).
    const auto deadline = Clock::now() + options_.submit_timeout;
    auto step = milliseconds(2);
    for (;;) {
      bool ended = srun->try_wait().has_value();
      std::string text = read_from(stderr_path, offset);
      if (auto id = parse_job_id(text))
        return std::make_unique<SlurmJob>(std::move(srun), *id, stderr_path, offset, own_stderr, options_);
      if (ended) {
        auto status = *srun->try_wait();
        std::string errors = slurm_error_lines(text);
        srun.reset();
        if (own_stderr) ::unlink(stderr_path.c_str());
        throw SystemFailure("slurm: " + (errors.empty() ? "srun ended (" + status.describe() +
                                                              ") before Slurm named a job"
                                                        : errors));
      }
      if (Clock::now() >= deadline) {
        srun->kill_tree(milliseconds(1000));
        // The controller may have taken the job without srun saying so yet: cancel it by name.
        std::string cleanup;
        if (!spec.job_name.empty()) {
          auto live = find_live_jobs(options_, spec.job_name);
          if (live.error.empty() && !live.job_ids.empty()) cleanup = cancel_jobs(options_, live.job_ids).error;
        }
        std::string errors = slurm_error_lines(read_from(stderr_path, offset));
        srun.reset();
        if (own_stderr) ::unlink(stderr_path.c_str());
        throw SystemFailure("slurm: srun named no job within " + seconds_text(options_.submit_timeout) +
                            (errors.empty() ? "" : ": " + errors) + (cleanup.empty() ? "" : "; " + cleanup));
      }
      std::this_thread::sleep_for(step);
      step = std::min(step * 2, milliseconds(50));
    }
  }

 private:
  SlurmOptions options_;
  std::unique_ptr<ProcessLauncher> local_;
};

}  // namespace

std::unique_ptr<ProcessLauncher> make_slurm_launcher(SlurmOptions options) {
  return std::make_unique<SlurmLauncher>(std::move(options));
}

}  // namespace runners

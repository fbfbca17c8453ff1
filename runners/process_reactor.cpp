// One poll() loop over many processes: see process_reactor.h.
#include "runners/process_reactor.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>

#include "runners/process_tree.h"

namespace runners {
namespace {

// After the leader ends, what is still in its pipe is read before it is reported finished; a pipe holds at
// most 1 MiB (fs.pipe-max-size default) and background children still writing must not keep us here forever.
constexpr int kDrainChunks = 16;
// Without an exit descriptor the only way to notice an exit is to ask; this bounds how late we notice.
constexpr std::chrono::milliseconds kExitPollInterval{20};
// Orphans adopted from agents' trees are collected, and those of retired trees ended, this often (each pass
// reads /proc).
constexpr std::chrono::seconds kOrphanReapInterval{1};

}  // namespace

void ProcessReactor::add(RunningProcess& process, OutputHandler on_output, OutputHandler on_stderr) {
  watched_.push_back(Watched{&process, std::move(on_output), std::move(on_stderr)});
}

void ProcessReactor::remove(RunningProcess& process) {
  std::erase_if(watched_, [&](const Watched& w) { return w.process == &process; });
}

bool ProcessReactor::pump(Watched& watched, bool& produced) {
  chunk_.clear();
  bool open = watched.process->read_stdout(chunk_);
  if (!chunk_.empty()) {
    produced = true;
    watched.on_output(chunk_);
  }
  chunk_.clear();
  return open;
}

// stderr is not activity (an agent that only complains may still be stuck), so it never counts as output.
bool ProcessReactor::pump_stderr(Watched& watched, bool& got) {
  chunk_.clear();
  bool open = watched.process->read_stderr(chunk_);
  got = !chunk_.empty();
  if (got && watched.on_stderr) watched.on_stderr(chunk_);
  chunk_.clear();
  return open;
}

void ProcessReactor::finish(size_t index, ExitStatus status, Progress& progress) {
  Watched& watched = watched_[index];
  for (int i = 0; i < kDrainChunks; ++i) {
    bool got = false;
    if (!pump_stderr(watched, got) || !got) break;
  }
  bool produced = false;
  for (int i = 0; i < kDrainChunks; ++i) {
    bool got = false;
    if (!pump(watched, got) || !got) break;
    produced = true;
  }
  if (produced && std::find(progress.produced_output.begin(), progress.produced_output.end(),
                            watched.process) == progress.produced_output.end()) {
    progress.produced_output.push_back(watched.process);
  }
  progress.finished.push_back(Finished{watched.process, status});
}

ProcessReactor::Progress ProcessReactor::wait(std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  Progress progress;
  if (watched_.empty()) return progress;
  if (Clock::now() >= next_orphan_reap_) {
    process_tree::sweep_orphans();
    next_orphan_reap_ = Clock::now() + kOrphanReapInterval;
  }

  std::vector<pollfd> fds;
  std::vector<size_t> owner;  // fds[i] belongs to watched_[owner[i]]
  bool must_ask_for_exits = false;
  for (size_t i = 0; i < watched_.size(); ++i) {
    if (int fd = watched_[i].process->stdout_fd(); fd >= 0) {
      fds.push_back(pollfd{fd, POLLIN, 0});
      owner.push_back(i);
    }
    if (int fd = watched_[i].process->stderr_fd(); fd >= 0) {
      fds.push_back(pollfd{fd, POLLIN, 0});
      owner.push_back(i);
    }
    if (int fd = watched_[i].process->exit_fd(); fd >= 0) {
      fds.push_back(pollfd{fd, POLLIN, 0});
      owner.push_back(i);
    } else {
      must_ask_for_exits = true;
    }
  }

  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    left = std::max(left, std::chrono::milliseconds(0));
    if (must_ask_for_exits) left = std::min(left, kExitPollInterval);
    int ready = ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) return progress;

    std::vector<bool> exit_ready(watched_.size(), must_ask_for_exits);
    for (size_t f = 0; ready > 0 && f < fds.size(); ++f) {
      if (fds[f].revents == 0) continue;
      Watched& watched = watched_[owner[f]];
      if (fds[f].fd == watched.process->exit_fd()) {
        exit_ready[owner[f]] = true;
        continue;
      }
      if (fds[f].fd == watched.process->stderr_fd()) {
        bool got = false;
        if (!pump_stderr(watched, got)) fds[f].fd = -1;
        continue;
      }
      bool produced = false;
      if (!pump(watched, produced)) fds[f].fd = -1;  // poll() skips negative descriptors
      if (produced) progress.produced_output.push_back(watched.process);
    }
    std::vector<size_t> ended;
    for (size_t i = 0; i < watched_.size(); ++i) {
      if (!exit_ready[i]) continue;
      if (auto status = watched_[i].process->try_wait()) {
        finish(i, *status, progress);
        ended.push_back(i);
      }
    }
    if (!ended.empty()) {
      for (auto it = ended.rbegin(); it != ended.rend(); ++it) watched_.erase(watched_.begin() + *it);
    }
    if (!progress.produced_output.empty() || !progress.finished.empty() || Clock::now() >= deadline) {
      return progress;
    }
  }
}

}  // namespace runners

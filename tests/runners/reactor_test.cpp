// The process reactor with real processes: output hand-off, exits, silence, 1 GB of output in bounded memory,
// and 100 concurrent processes in one thread.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "process_test_util.h"
#include "runners/process_reactor.h"

namespace runners {
namespace {

using namespace std::chrono_literals;
using testing::shell;

// Hides the pidfd, as a launcher without one would: the reactor must then ask try_wait() itself.
class WithoutExitFd : public RunningProcess {
 public:
  explicit WithoutExitFd(std::unique_ptr<RunningProcess> inner) : inner_(std::move(inner)) {}
  int pid() const override { return inner_->pid(); }
  int stdout_fd() const override { return inner_->stdout_fd(); }
  bool read_stdout(std::string& out) override { return inner_->read_stdout(out); }
  std::optional<ExitStatus> try_wait() override { return inner_->try_wait(); }
  void kill_tree(std::chrono::milliseconds grace) override { inner_->kill_tree(grace); }
  std::string external_id() const override { return inner_->external_id(); }

 private:
  std::unique_ptr<RunningProcess> inner_;
};

class ReactorTest : public ::testing::Test {
 protected:
  std::unique_ptr<ProcessLauncher> launcher_ = make_local_launcher();
  ProcessReactor reactor_;
};

TEST_F(ReactorTest, HandsOnOutputAndReportsEachExit) {
  auto a = launcher_->start(shell("echo alpha; exit 0"));
  auto b = launcher_->start(shell("printf beta; exit 4"));
  auto c = launcher_->start(shell("kill -TERM $$"));
  std::map<RunningProcess*, std::string> out;
  std::map<RunningProcess*, std::string> status;
  for (auto* p : {a.get(), b.get(), c.get()}) {
    reactor_.add(*p, [&out, p](std::string_view chunk) { out[p].append(chunk); });
  }
  EXPECT_EQ(reactor_.size(), 3u);
  while (!reactor_.empty()) {
    auto progress = reactor_.wait(10000ms);
    for (auto* p : progress.produced_output) EXPECT_FALSE(out[p].empty());
    for (const auto& finished : progress.finished) status[finished.process] = finished.status.describe();
  }
  EXPECT_EQ(out[a.get()], "alpha\n");
  EXPECT_EQ(out[b.get()], "beta");
  EXPECT_EQ(out[c.get()], "");
  EXPECT_EQ(status[a.get()], "exit 0");
  EXPECT_EQ(status[b.get()], "exit 4");
  EXPECT_EQ(status[c.get()], "signal 15 (Terminated)");
}

TEST_F(ReactorTest, SilentHangProducesNothingUntilKilled) {
  auto process = launcher_->start(shell("exec sleep 1000"));
  std::string out;
  reactor_.add(*process, [&](std::string_view chunk) { out.append(chunk); });
  auto idle = reactor_.wait(30ms);  // the caller's idle clock keeps running: nothing printed, nothing ended
  EXPECT_TRUE(idle.produced_output.empty());
  EXPECT_TRUE(idle.finished.empty());
  EXPECT_EQ(reactor_.size(), 1u);
  process->kill_tree(1000ms);
  auto killed = reactor_.wait(10000ms);
  ASSERT_EQ(killed.finished.size(), 1u);
  EXPECT_EQ(killed.finished[0].process, process.get());
  EXPECT_EQ(killed.finished[0].status.describe(), "signal 15 (Terminated)");
  EXPECT_TRUE(reactor_.empty());
  EXPECT_EQ(out, "");
}

TEST_F(ReactorTest, FinishesWhenTheLeaderEndsEvenIfAChildKeepsTheOutputOpen) {
  auto process = launcher_->start(shell("echo done; sleep 1000 &"));
  std::string out;
  reactor_.add(*process, [&](std::string_view chunk) { out.append(chunk); });
  ExitStatus status;
  while (!reactor_.empty()) {
    for (const auto& finished : reactor_.wait(10000ms).finished) status = finished.status;
  }
  EXPECT_EQ(status.describe(), "exit 0");
  EXPECT_EQ(out, "done\n");
  EXPECT_GE(process->stdout_fd(), 0);  // the background sleep still holds the pipe
  process.reset();                     // and is ended with the handle
  EXPECT_TRUE(testing::own_children().empty());
}

TEST_F(ReactorTest, GigabyteOfOutputKeepsMemoryBounded) {
  constexpr long long kBytes = 1LL << 30;
  auto process = launcher_->start(shell("head -c " + std::to_string(kBytes) + " /dev/zero"));
  const long baseline_kib = testing::vm_rss_kib();
  long peak_kib = baseline_kib;
  long long received = 0;
  size_t largest_chunk = 0;
  long long chunks = 0;
  bool all_zero = true;
  reactor_.add(*process, [&](std::string_view chunk) {
    received += static_cast<long long>(chunk.size());
    largest_chunk = std::max(largest_chunk, chunk.size());
    if (chunk.find_first_not_of('\0') != std::string_view::npos) all_zero = false;
    if (++chunks % 256 == 0) peak_kib = std::max(peak_kib, testing::vm_rss_kib());
  });
  ExitStatus status;
  while (!reactor_.empty()) {
    for (const auto& finished : reactor_.wait(10000ms).finished) status = finished.status;
  }
  peak_kib = std::max(peak_kib, testing::vm_rss_kib());
  EXPECT_EQ(status.describe(), "exit 0");
  EXPECT_EQ(received, kBytes);
  EXPECT_TRUE(all_zero);
  EXPECT_LE(largest_chunk, 64u * 1024u);
  EXPECT_LT(peak_kib - baseline_kib, 64 * 1024) << "RSS grew from " << baseline_kib << " KiB to " << peak_kib;
}

// DISABLED: hung twice when other harness processes ran on the machine at the same time (root cause not found;
// see the session note). The 100-agent case is still exercised by bench/launch_overhead.
TEST_F(ReactorTest, HundredConcurrentProcessesInOneThread) {
  // Each opens a FIFO, prints, then blocks reading it until the test closes its end: all 100 are alive at once
  // for certain. The FIFO is opened before printing: a reader still in open() when the gate closes would wait
  // for a writer forever (that race made this test hang under load).
  auto fifo = std::filesystem::temp_directory_path() / ("reactor_gate_" + std::to_string(::getpid()));
  std::filesystem::remove(fifo);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  int gate = ::open(fifo.c_str(), O_RDWR | O_CLOEXEC);  // a writer, so the readers' open() does not block
  ASSERT_GE(gate, 0);
  constexpr int kCount = 100;
  std::vector<std::unique_ptr<RunningProcess>> processes;
  std::map<RunningProcess*, std::string> out;
  for (int i = 0; i < kCount; ++i) {
    const std::string script = "exec 3<" + fifo.string() + "; echo started " + std::to_string(i) + "; exec cat <&3";
    processes.push_back(launcher_->start(shell(script)));
    RunningProcess* p = processes.back().get();
    reactor_.add(*p, [&out, p](std::string_view chunk) { out[p].append(chunk); });
  }
  // One of them on the fallback path (no exit descriptor) too.
  processes.push_back(std::make_unique<WithoutExitFd>(
      launcher_->start(shell("exec 3<" + fifo.string() + "; echo started fallback; exec cat <&3"))));
  RunningProcess* fallback = processes.back().get();
  reactor_.add(*fallback, [&out, fallback](std::string_view chunk) { out[fallback].append(chunk); });

  auto started = [&] {
    int n = 0;
    for (const auto& [p, text] : out) n += text.rfind("started ", 0) == 0 && text.back() == '\n';
    return n;
  };
  while (started() < kCount + 1) {
    auto progress = reactor_.wait(10000ms);
    ASSERT_TRUE(progress.finished.empty()) << "a process ended before the gate opened";
  }
  EXPECT_EQ(reactor_.size(), static_cast<size_t>(kCount + 1));
  ::close(gate);  // every cat reads EOF and exits 0

  int finished_ok = 0;
  while (!reactor_.empty()) {
    for (const auto& finished : reactor_.wait(10000ms).finished) finished_ok += finished.status.ok();
  }
  EXPECT_EQ(finished_ok, kCount + 1);
  for (int i = 0; i < kCount; ++i) EXPECT_EQ(out[processes[i].get()], "started " + std::to_string(i) + "\n");
  std::filesystem::remove(fifo);
}

TEST_F(ReactorTest, RemovedProcessIsNoLongerReported) {
  auto process = launcher_->start(shell("echo hi"));
  bool called = false;
  reactor_.add(*process, [&](std::string_view) { called = true; });
  reactor_.remove(*process);
  EXPECT_TRUE(reactor_.empty());
  auto progress = reactor_.wait(10ms);
  EXPECT_TRUE(progress.finished.empty());
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace runners

#include "harness/interrupt.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>

namespace harness {
namespace {
std::atomic<int> g_signals{0};
constexpr int kMaxGroups = 4096;
std::atomic<int> g_groups[kMaxGroups];

void kill_tracked_groups() {
  for (auto& g : g_groups) {
    int pgid = g.load();
    if (pgid > 0) kill(-pgid, SIGKILL);
  }
}

void on_signal(int sig) {
  if (g_signals.fetch_add(1) >= 1 && sig == SIGINT) {
    // The second Ctrl-C: the user wants out now. Agents' process groups get a KILL on the way out so none
    // outlives us; records stay as checkpointed (resume re-runs what was in flight).
    static const char msg[] = "\nharness: second interrupt, exiting now\n";
    ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)ignored;
    kill_tracked_groups();
    _exit(130);
  }
}
}  // namespace

void install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // A closed pipe to an agent or a reader of our output must be an error value, not a death.
  signal(SIGPIPE, SIG_IGN);
}

void track_process_group(int pgid) {
  for (auto& g : g_groups) {
    int expected = 0;
    if (g.compare_exchange_strong(expected, pgid)) return;
  }
}

void untrack_process_group(int pgid) {
  for (auto& g : g_groups) {
    int expected = pgid;
    if (g.compare_exchange_strong(expected, 0)) return;
  }
}

bool interrupt_requested() { return g_signals.load() > 0; }
void request_interrupt() { g_signals.store(1); }
void reset_interrupt() { g_signals.store(0); }

}  // namespace harness

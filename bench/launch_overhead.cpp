// Launch overhead of the local launcher + reactor: 3 generations x 50 trivial agents at concurrency 8,
// against the same commands through `xargs -P 8` measured in the same run (target: ratio <= 1.3). Then the
// harness process's RSS while 100 idle agents run (target: < 64 MB), and the time to kill them all.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runners/launcher.h"
#include "runners/process_reactor.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kGenerations = 3;
constexpr int kAgents = 50;
constexpr int kConcurrency = 8;
constexpr int kIdleAgents = 100;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

long status_kib(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  }
  return -1;
}

runners::LaunchSpec trivial_agent() {
  runners::LaunchSpec spec;
  spec.argv = {"sh", "-c", "echo x"};
  return spec;
}

// Returns the wall time; exits non-zero if any agent misbehaved (a benchmark of a broken launcher means
// nothing).
double run_with_launcher(runners::ProcessLauncher& launcher) {
  auto start = Clock::now();
  for (int generation = 0; generation < kGenerations; ++generation) {
    runners::ProcessReactor reactor;
    std::map<runners::RunningProcess*, std::unique_ptr<runners::RunningProcess>> running;
    std::map<runners::RunningProcess*, std::string> output;
    int launched = 0;
    int good = 0;
    while (launched < kAgents || !running.empty()) {
      while (launched < kAgents && static_cast<int>(running.size()) < kConcurrency) {
        auto process = launcher.start(trivial_agent());
        auto* raw = process.get();
        running.emplace(raw, std::move(process));
        output[raw].clear();
        reactor.add(*raw, [&output, raw](std::string_view chunk) { output[raw].append(chunk); });
        ++launched;
      }
      for (const auto& finished : reactor.wait(std::chrono::milliseconds(10000)).finished) {
        good += finished.status.ok() && output[finished.process] == "x\n";
        output.erase(finished.process);
        running.erase(finished.process);  // ends the tree: what the orchestrator does for each agent
      }
    }
    if (good != kAgents) {
      std::fprintf(stderr, "generation %d: only %d of %d agents printed x and exited 0\n", generation + 1,
                   good, kAgents);
      std::exit(1);
    }
  }
  return seconds_since(start);
}

double run_with_xargs() {
  auto start = Clock::now();
  for (int generation = 0; generation < kGenerations; ++generation) {
    std::string command = "seq " + std::to_string(kAgents) + " | xargs -P " + std::to_string(kConcurrency) +
                          " -n 1 sh -c 'echo x' > /dev/null";
    if (std::system(command.c_str()) != 0) {
      std::fprintf(stderr, "xargs baseline failed\n");
      std::exit(1);
    }
  }
  return seconds_since(start);
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main() {
  auto launcher = runners::make_local_launcher();
  run_with_launcher(*launcher);  // warm-up: page cache, first fork of this process
  run_with_xargs();
  std::vector<double> ours, baseline;
  for (int round = 0; round < 5; ++round) {  // interleaved, so that load from other jobs hits both alike
    ours.push_back(run_with_launcher(*launcher));
    baseline.push_back(run_with_xargs());
  }
  std::printf(
      "launch overhead: %d generations x %d agents of `sh -c 'echo x'`, concurrency %d, median of 5\n",
      kGenerations, kAgents, kConcurrency);
  for (size_t i = 0; i < ours.size(); ++i) {
    std::printf("  round %zu: launcher+reactor %.3f s, xargs -P %d %.3f s\n", i + 1, ours[i], kConcurrency,
                baseline[i]);
  }
  double ratio = median(ours) / median(baseline);
  std::printf("  launcher+reactor: %.3f s\n  xargs -P %d:       %.3f s\n  ratio: %.2f (target <= 1.30)\n",
              median(ours), kConcurrency, median(baseline), ratio);

  long rss_before = status_kib("VmRSS");
  std::vector<std::unique_ptr<runners::RunningProcess>> idle;
  runners::ProcessReactor reactor;
  runners::LaunchSpec sleeper;
  sleeper.argv = {"sleep", "30"};
  for (int i = 0; i < kIdleAgents; ++i) {
    idle.push_back(launcher->start(sleeper));
    reactor.add(*idle.back(), [](std::string_view) {});
  }
  for (int i = 0; i < 5; ++i)
    reactor.wait(std::chrono::milliseconds(20));  // a few turns of the loop, as in a run
  long rss_during = status_kib("VmRSS");
  auto kill_start = Clock::now();
  for (auto& process : idle) process->kill_tree(std::chrono::milliseconds(2000));
  double kill_seconds = seconds_since(kill_start);
  size_t finished = 0;
  while (!reactor.empty()) finished += reactor.wait(std::chrono::milliseconds(1000)).finished.size();
  std::printf("idle agents: %d x `sleep 30` in one reactor\n", kIdleAgents);
  std::printf(
      "  harness RSS before: %.1f MB, with %d agents running: %.1f MB (target < 64 MB), peak %.1f MB\n",
      rss_before / 1024.0, kIdleAgents, rss_during / 1024.0, status_kib("VmHWM") / 1024.0);
  std::printf("  kill_tree of all %d (TERM, grace 2 s): %.3f s, %zu reported finished\n", kIdleAgents,
              kill_seconds, finished);
  bool met = ratio <= 1.3 && rss_during < 64 * 1024;
  std::printf("targets: %s\n", met ? "met" : "MISSED");
  return 0;
}

// Helpers for tests that run real processes: run to completion, look processes up in /proc.
#pragma once

#include <unistd.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "runners/launcher.h"
#include "runners/process_reactor.h"
#include "runners/process_tree.h"

namespace runners::testing {

struct Outcome {
  std::string out;
  ExitStatus status;
};

inline Outcome run_to_end(ProcessLauncher& launcher, const LaunchSpec& spec) {
  auto process = launcher.start(spec);
  Outcome outcome;
  ProcessReactor reactor;
  reactor.add(*process, [&](std::string_view chunk) { outcome.out.append(chunk); });
  while (!reactor.empty()) {
    for (const auto& finished : reactor.wait(std::chrono::milliseconds(10000)).finished) {
      outcome.status = finished.status;
    }
  }
  return outcome;
}

inline LaunchSpec shell(const std::string& script) {
  LaunchSpec spec;
  spec.argv = {"sh", "-c", script};
  return spec;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::string cmdline_of(int pid) {
  std::string raw = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  for (char& c : raw) {
    if (c == '\0') c = ' ';
  }
  if (!raw.empty() && raw.back() == ' ') raw.pop_back();
  return raw;
}

// The command line of a live (non-zombie) process, words joined by spaces; nullopt when gone or a zombie.
inline std::optional<std::string> live_cmdline(int pid) {
  for (const auto& p : process_tree::list_processes()) {
    if (p.pid == pid && p.state != 'Z') return cmdline_of(pid);
  }
  return std::nullopt;
}

// Processes (any state) whose parent is this test process.
inline std::vector<process_tree::ProcessInfo> own_children() {
  std::vector<process_tree::ProcessInfo> children;
  for (const auto& p : process_tree::list_processes()) {
    if (p.ppid == ::getpid()) children.push_back(p);
  }
  return children;
}

// Every process whose command line is exactly `cmdline` (e.g. "sleep 7001").
inline std::vector<int> processes_running(const std::string& cmdline) {
  std::vector<int> pids;
  for (const auto& p : process_tree::list_processes()) {
    if (p.state != 'Z' && cmdline_of(p.pid) == cmdline) pids.push_back(p.pid);
  }
  return pids;
}

inline long vm_rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

}  // namespace runners::testing

// Sandbox start overhead per agent: the same trivial agent (`true`) started and waited for N times through the
// local launcher, plain and inside the sandbox (bwrap with its own network, PID, IPC and UTS namespaces and, as a
// run has, the forwarder with two bridged ports), alternating in the same run. Prints the median and p90 of each
// and the overhead (target: median overhead < 50 ms). Usage: bench_sandbox_start [N=40] [HARNESS_BINARY]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "runners/launcher.h"
#include "runners/process_reactor.h"
#include "runners/sandbox.h"
#include "telemetry/sandbox_bridges.h"
#include "telemetry/socket_pump.h"

namespace {

using Clock = std::chrono::steady_clock;

double run_once(runners::ProcessLauncher& launcher) {
  runners::LaunchSpec spec;
  spec.argv = {"true"};
  spec.cwd = "/";
  auto start = Clock::now();
  auto p = launcher.start(spec);
  runners::ProcessReactor reactor;
  reactor.add(*p, [](std::string_view) {});
  while (!reactor.empty()) reactor.wait(std::chrono::milliseconds(5000));
  p->kill_tree(std::chrono::milliseconds(200));
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double pct(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 40;
  std::string harness = argc > 2 ? argv[2] : "build/harness/harness";
  runners::SandboxPolicy policy;
  if (auto why = runners::probe_sandbox(policy)) {
    std::printf("sandbox unavailable: %s\n", why->c_str());
    return 77;
  }
  int a = telemetry::sockets::listen_loopback(0), b = telemetry::sockets::listen_loopback(0);
  telemetry::SandboxBridges bridges({telemetry::sockets::local_port(a), telemetry::sockets::local_port(b)});
  policy.init = {harness, "__sandbox-init"};
  for (const auto& bridge : bridges.ports()) policy.bridges.push_back({bridge.port, bridge.socket});
  policy.bridge_dir = bridges.dir();
  policy.hidden = runners::host_home_folders();
  auto plain = runners::make_local_launcher();
  auto boxed = runners::make_sandbox_launcher(runners::make_local_launcher(), policy);
  std::vector<double> p, s;
  run_once(*plain);
  run_once(*boxed);  // warm-up
  for (int i = 0; i < n; ++i) {
    p.push_back(run_once(*plain));
    s.push_back(run_once(*boxed));
  }
  double pm = pct(p, 0.5), sm = pct(s, 0.5);
  std::printf("plain launch     median %.1f ms  p90 %.1f ms  (n=%d)\n", pm, pct(p, 0.9), n);
  std::printf("sandboxed launch median %.1f ms  p90 %.1f ms\n", sm, pct(s, 0.9));
  std::printf("sandbox start overhead per agent: %.1f ms median (target < 50 ms), ratio %.1fx\n", sm - pm, sm / pm);
  ::close(a);
  ::close(b);
  return 0;
}

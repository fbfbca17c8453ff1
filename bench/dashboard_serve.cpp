// Benchmark (issue 15): the dashboard on a run of 50 generations × 20 agents (bench/report_render's synthetic run).
// Prints the time to first byte of the page, of the run's state (the first, uncached computation and a cached
// one), and of the event stream's first state; then how long a change the run writes takes to reach a connected
// event stream (the page's "within 2 s"). Baselines measured in the same run: the server's floor (a 404 on the
// same connection) for the page, and load_report_data alone (what the state is built on) for the state.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "bench/bench_timing.h"
#include <httplib.h>

#include "harness/dashboard/dashboard_page.h"
#include "harness/dashboard/dashboard_server.h"
#include "harness/report/report.h"
#include "harness/report/report_data.h"
#include "tests/harness/report/report_fixture.h"

namespace fs = std::filesystem;
using bench::best_ms;
using bench::Clock;
using bench::ms_since;

namespace {

// Time to the first byte of a GET's body (the headers arrive with it: cpp-httplib calls the receiver after them).
double ttfb_ms(httplib::Client& client, const std::string& path) {
  auto t = Clock::now();
  double first = -1;
  auto res = client.Get(path, [&](const char*, size_t) {
    if (first < 0) first = ms_since(t);
    return true;
  });
  if (!res || res->status != 200) {
    fmt::print(stderr, "GET {} failed: {}\n", path, res ? std::to_string(res->status) : httplib::to_string(res.error()));
    std::exit(1);
  }
  return first < 0 ? ms_since(t) : first;
}

}  // namespace

int main(int argc, char** argv) {
  const int generations = argc > 1 ? std::atoi(argv[1]) : 50;
  const int population = argc > 2 ? std::atoi(argv[2]) : 20;
  const int rounds = 5;
  std::string dir = (fs::temp_directory_path() / fmt::format("bench-dashboard-{}", ::getpid())).string();
  fs::remove_all(dir);
  harness_test::fill_synthetic_run(dir, generations, population, true);
  fmt::print("run of {} generations x {} agents ({} MB run.db)\n", generations, population,
             fs::file_size(dir + "/run.db") >> 20);

  harness::dashboard::DashboardServer server({dir, "127.0.0.1", 0, "benchtoken"});
  server.start();
  httplib::Client client("127.0.0.1", server.port());
  client.set_keep_alive(true);
  const std::string q = "?token=benchtoken&run=.";

  double floor = best_ms(rounds, [&] { client.Get("/nothing" + q); });
  double page = 1e300;
  for (int i = 0; i < rounds; ++i) page = std::min(page, ttfb_ms(client, "/" + q));
  double first_state = ttfb_ms(client, "/api/run" + q);  // nothing cached yet
  double cached_state = 1e300;
  for (int i = 0; i < rounds; ++i) cached_state = std::min(cached_state, ttfb_ms(client, "/api/run" + q));
  auto store = trace::Store::open(dir + "/run.db", trace::Store::Mode::read_only);
  double gather = best_ms(rounds, [&] { (void)harness::load_report_data(dir, *store, std::nullopt,
                                                                         harness::EarlierRuns::named); });

  // A change the run writes (one agent's record) until a connected stream carries it. The writer opens first (its
  // open touches the WAL, a change of its own) and the stream settles before the change.
  auto writer = trace::Store::open(dir + "/run.db");
  harness::RunState state(*writer);
  auto agents = state.agents();
  httplib::Client streamer("127.0.0.1", server.port());
  streamer.set_read_timeout(30, 0);
  std::atomic<int64_t> seen_ns{0};
  std::atomic<bool> done{false};
  std::thread stream([&] {
    streamer.Get("/api/events" + q, [&](const char* data, size_t n) {
      if (std::string_view(data, n).find("event: state") != std::string_view::npos)
        seen_ns = Clock::now().time_since_epoch().count();
      return !done.load();
    });
  });
  while (seen_ns == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  harness::AgentRecord last = agents.back();
  last.tool_calls += 1;
  const int64_t change_ns = Clock::now().time_since_epoch().count();
  state.save_agent(last);
  while (seen_ns < change_ns) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  double latency = (seen_ns - change_ns) / 1e6;
  done = true;
  server.stop();
  stream.join();

  fmt::print("page (GET /, {} KB):   TTFB {:.2f} ms   baseline 404 on the same server {:.2f} ms   ratio {:.2f}\n",
             harness::dashboard::page_html().size() / 1024, page, floor, page / floor);
  fmt::print("state (GET /api/run): first {:.1f} ms, cached {:.2f} ms   baseline load_report_data {:.1f} ms   ratio first/baseline {:.2f}\n",
             first_state, cached_state, gather, first_state / gather);
  fmt::print("a change written by the run reached the event stream in {:.0f} ms (poll {} ms, recompute floor {} ms; target < 2000 ms)\n",
             latency, harness::dashboard::DashboardServer::kPollMs, harness::dashboard::DashboardServer::kMinRecomputeMs);
  fs::remove_all(dir);
  return latency < 2000 ? 0 : 1;
}

// `harness serve`: the dashboard's HTTP server (cpp-httplib) on its own threads. Read-only: it serves the page and
// JSON views of the run dirs under `dir` (dashboard_views.h) and never writes to them; every request must carry the
// access token (?token=, printed in the URL; a wrong or missing one gets 401) and be a GET.
// Live updates are server-sent events (/api/events?run=NAME): each client's stream checks the run's change stamp
// every kPollMs and sends the run's state when it changed (recomputed at most once per kMinRecomputeMs for all
// clients together, so a page left open all night costs the run a stat() per poll and one read per second).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

namespace httplib {
class Server;
}

namespace harness::dashboard {

struct ServeOptions {
  std::string dir;                 // a run dir, or a folder of run dirs
  std::string host = "127.0.0.1";  // loopback unless the user asks otherwise
  int port = 0;                    // 0: a free port the OS picks
  std::string token;               // empty: a random one (128 bits)
};

class DashboardServer {
 public:
  static constexpr int kPollMs = 500;
  static constexpr int kMinRecomputeMs = 1000;
  static constexpr int kHeartbeatMs = 10000;

  explicit DashboardServer(ServeOptions options);
  ~DashboardServer();
  DashboardServer(const DashboardServer&) = delete;
  DashboardServer& operator=(const DashboardServer&) = delete;

  // Binds and starts serving; returns the page's URL (with the token). Throws std::runtime_error naming the
  // address when it cannot bind.
  std::string start();
  void stop();  // idempotent; ends every event stream
  int port() const { return port_; }
  const std::string& token() const { return options_.token; }

  // The run's state as the page gets it (a JSON text), from the cache when its change stamp has not moved.
  std::string state_of(const std::string& run_path);

 private:
  void routes();
  std::string run_path(const std::string& name) const;  // "" when `name` is not a run under dir

  struct Cached {
    std::string stamp;
    std::string json;
    int64_t computed_ms = 0;
  };
  ServeOptions options_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  int port_ = 0;
  std::mutex cache_mutex_;
  std::unordered_map<std::string, Cached> cache_;
};

// A random token: 32 hex digits from the OS's entropy.
std::string random_token();

}  // namespace harness::dashboard

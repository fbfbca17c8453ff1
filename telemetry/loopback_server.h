// An httplib::Server listening on 127.0.0.1 and a free port, on a thread of its own, for the run's telemetry
// servers. Handlers run on the server's worker threads. start()/stop() are called from one thread; stop() is
// idempotent and the destructor calls it.
#pragma once

#include <string>
#include <thread>

#include <httplib.h>

namespace telemetry {

class LoopbackServer {
 public:
  LoopbackServer();
  ~LoopbackServer();
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  // Register handlers here before start().
  httplib::Server& http() { return server_; }
  // Binds and starts listening; returns the port. Throws std::runtime_error naming `what` when no port can be bound.
  int start(const std::string& what, size_t worker_threads);
  void stop();
  int port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace telemetry

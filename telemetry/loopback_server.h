// An httplib::Server listening on 127.0.0.1 and a free port, on a thread of its own, for the run's telemetry
// servers. Handlers run on the server's worker threads. start()/stop() are called from one thread; stop() is
// idempotent and the destructor calls it.
#pragma once

#include <string>
#include <thread>

#include <httplib.h>

namespace telemetry {

// Reads a request's body through `reader`, decompressed, into `body`, keeping at most `max_bytes` (too_large past
// it; failed when the body cannot be read: a broken connection, bad chunking or compression). httplib's
// set_payload_max_length checks only a Content-Length, so a small gzip body (2 MB expanding to 2 GiB) or a chunked
// one would otherwise be expanded into memory without bound.
enum class BodyRead { ok, too_large, failed };
// `res` is where httplib put its own 413 (a Content-Length over set_payload_max_length).
BodyRead read_bounded_body(const httplib::ContentReader& reader, size_t max_bytes, std::string& body,
                           const httplib::Response& res);

class LoopbackServer {
 public:
  LoopbackServer();
  ~LoopbackServer();
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  // Register handlers here before start().
  httplib::Server& http() { return server_; }
  // Binds and starts listening; returns the port. Throws std::runtime_error naming `what` when no port can be bound.
  // Each open connection gets a worker thread of its own, up to `max_threads` (later ones wait for a free worker).
  int start(const std::string& what, size_t max_threads);
  void stop();
  int port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace telemetry

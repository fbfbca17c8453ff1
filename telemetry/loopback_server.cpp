#include "telemetry/loopback_server.h"

#include <stdexcept>

#include <fmt/format.h>

namespace telemetry {

LoopbackServer::LoopbackServer() {
  // Small SSE chunks must not wait for Nagle's algorithm (40 ms with delayed ACKs).
  server_.set_tcp_nodelay(true);
}

LoopbackServer::~LoopbackServer() { stop(); }

int LoopbackServer::start(const std::string& what, size_t worker_threads) {
  // One worker is held for the whole of a streamed LLM response: the default pool (8) would queue agents' calls.
  server_.new_task_queue = [worker_threads] { return new httplib::ThreadPool(worker_threads); };
  port_ = server_.bind_to_any_port("127.0.0.1");
  if (port_ <= 0) throw std::runtime_error(fmt::format("{}: cannot bind a port on 127.0.0.1", what));
  // Connections made before listen_after_bind() runs wait in the backlog, so the port is usable from here on.
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  // httplib's stop() does nothing until the listening loop has begun: a stop() right after start() would
  // otherwise leave the thread listening forever.
  while (!server_.is_running()) std::this_thread::yield();
  return port_;
}

void LoopbackServer::stop() {
  if (!thread_.joinable()) return;
  server_.stop();
  thread_.join();
}

}  // namespace telemetry

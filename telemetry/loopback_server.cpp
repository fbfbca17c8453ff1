#include "telemetry/loopback_server.h"

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

namespace telemetry {

BodyRead read_bounded_body(const httplib::ContentReader& reader, size_t max_bytes, std::string& body,
                           const httplib::Response& res) {
  bool too_large = false;
  bool read = reader([&](const char* data, size_t n) {
    if (body.size() + n > max_bytes) {
      too_large = true;
      return false;  // stops the decompressor and the socket reads at once
    }
    body.append(data, n);
    return true;
  });
  if (too_large || res.status == 413) return BodyRead::too_large;
  return read ? BodyRead::ok : BodyRead::failed;
}

namespace {

// httplib's ThreadPool has a fixed number of workers and each connection holds one while httplib reads it: 16
// connections that send a byte every few seconds (slowloris) left the OTLP receiver answering nobody. Here a
// connection that finds every worker busy gets a new one, up to `max_threads`; workers stay for the next
// connections and are joined at shutdown.
class ElasticPool : public httplib::TaskQueue {
 public:
  explicit ElasticPool(size_t max_threads) : max_threads_(max_threads) {}
  ~ElasticPool() override { shutdown(); }

  void enqueue(std::function<void()> fn) override {
    std::lock_guard lock(mu_);
    jobs_.push_back(std::move(fn));
    if (idle_ < jobs_.size() && threads_.size() < max_threads_) threads_.emplace_back([this] { work(); });
    cv_.notify_one();
  }

  void shutdown() override {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }

 private:
  void work() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock lock(mu_);
        ++idle_;
        cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
        --idle_;
        if (jobs_.empty()) return;  // stopping, and nothing left to answer
        fn = std::move(jobs_.front());
        jobs_.pop_front();
      }
      fn();
    }
  }

  const size_t max_threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;  // only grows, under mu_; joined by shutdown()
  size_t idle_ = 0;
  bool stop_ = false;
};

}  // namespace

LoopbackServer::LoopbackServer() {
  // Small SSE chunks must not wait for Nagle's algorithm (40 ms with delayed ACKs).
  server_.set_tcp_nodelay(true);
  // One request per connection, answered with "Connection: close". httplib (0.11) reads each request of a kept-alive
  // connection through a fresh buffered stream, so requests a client pipelined behind the first were swallowed with
  // the old buffer: never answered, never stored. Closing tells the client that they were not taken (HTTP/1.1
  // clients retry them); a new loopback connection per request costs microseconds.
  server_.set_keep_alive_max_count(1);
}

LoopbackServer::~LoopbackServer() { stop(); }

int LoopbackServer::start(const std::string& what, size_t max_threads) {
  // One worker is held for the whole of a streamed LLM response, or of a slow client's request.
  server_.new_task_queue = [max_threads] { return new ElasticPool(max_threads); };
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

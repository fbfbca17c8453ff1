// A loopback TCP server: one thread accepts, one thread per connection runs the handler.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cascade {

class Server {
 public:
  // Listens on 127.0.0.1:port (throws std::runtime_error when the port is taken) and serves each connection by
  // calling `handle(fd)` on a thread of its own; the handler owns the fd.
  Server(int port, std::function<void(int)> handle);
  ~Server();  // stops accepting and waits for every handler
  // True once no handler runs, false if `timeout_ms` passed first.
  bool wait_idle(int timeout_ms);

 private:
  void accept_loop();
  void serve(int fd);

  const int listen_fd_;
  const std::function<void(int)> handle_;
  std::mutex mu_;
  std::condition_variable idle_;
  int active_ = 0;
  std::vector<std::thread> handlers_;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
};

}  // namespace cascade

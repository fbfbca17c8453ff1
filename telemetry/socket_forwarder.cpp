#include "telemetry/socket_forwarder.h"

#include <sys/socket.h>
#include <unistd.h>

#include "telemetry/socket_pump.h"

namespace telemetry {

SocketForwarder::SocketForwarder(int listen_fd, std::function<int(int client)> connect)
    : listen_fd_(listen_fd), connect_(std::move(connect)) {}

SocketForwarder::~SocketForwarder() {
  stop();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

void SocketForwarder::start() { accept_thread_ = std::thread([this] { run(); }); }

void SocketForwarder::run() {
  while (true) {
    int client = sockets::accept_retry(listen_fd_);
    if (client < 0) {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors for a moment: try again rather than stop bridging for good.
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      return;
    }
    std::lock_guard lock(mu_);
    reap_finished();
    if (stopping_) {
      ::close(client);
      return;
    }
    Connection& c = connections_.emplace_back();
    c.client = client;
    c.thread = std::thread([this, &c] { serve(c); });
  }
}

void SocketForwarder::serve(Connection& c) {
  // Connected here, not in the accept loop: a slow upstream must not hold up other clients.
  int upstream = connect_(c.client);
  {
    std::lock_guard lock(mu_);
    c.upstream = upstream;
    if (stopping_ && upstream >= 0) ::shutdown(upstream, SHUT_RDWR);
  }
  if (upstream >= 0) sockets::pump(c.client, upstream);
  std::lock_guard lock(mu_);
  ::close(c.client);
  if (c.upstream >= 0) ::close(c.upstream);
  c.client = c.upstream = -1;
  c.done = true;
}

// Called with mu_ held: joins the threads of connections that have ended, so a long run does not pile them up.
void SocketForwarder::reap_finished() {
  for (auto it = connections_.begin(); it != connections_.end();) {
    if (it->done) {
      it->thread.join();
      it = connections_.erase(it);
    } else {
      ++it;
    }
  }
}

void SocketForwarder::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    // shutdown() wakes the blocked accept() and every pump's poll(); close() alone would not.
    if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
    for (auto& c : connections_) {
      if (c.client >= 0) ::shutdown(c.client, SHUT_RDWR);
      if (c.upstream >= 0) ::shutdown(c.upstream, SHUT_RDWR);
    }
  }
  if (accept_thread_.joinable()) accept_thread_.join();
  std::list<Connection> left;
  {
    std::lock_guard lock(mu_);
    left.swap(connections_);
  }
  for (auto& c : left)
    if (c.thread.joinable()) c.thread.join();
}

}  // namespace telemetry

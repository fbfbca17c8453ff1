#include "server.h"

#include <sys/socket.h>

#include <chrono>

#include "net.h"

namespace cascade {

Server::Server(int port, std::function<void(int)> handle)
    : listen_fd_(listen_on(port)), handle_(std::move(handle)), acceptor_([this] { accept_loop(); }) {}

Server::~Server() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);  // wakes accept()
  acceptor_.join();
  close_fd(listen_fd_);
  std::vector<std::thread> handlers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    handlers.swap(handlers_);
  }
  for (auto& t : handlers) t.join();
}

void Server::accept_loop() {
  while (!stopping_) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lock(mu_);
    ++active_;
    handlers_.emplace_back([this, fd] { serve(fd); });
  }
}

void Server::serve(int fd) {
  handle_(fd);
  std::lock_guard<std::mutex> lock(mu_);
  if (--active_ == 0) idle_.notify_all();
}

bool Server::wait_idle(int timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return idle_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [this] { return active_ == 0; });
}

}  // namespace cascade

#include "services.h"

#include <atomic>
#include <chrono>
#include <vector>

#include "config.h"
#include "net.h"

namespace cascade {
namespace {

std::atomic<long> served_by_gateway{0};  // for the operator's dashboard

// "RESERVE <id>" -> "<id>", else "".
std::string reservation_id(const std::string& request) {
  const std::string verb = "RESERVE ";
  return request.rfind(verb, 0) == 0 ? request.substr(verb.size()) : "";
}

}  // namespace

Store::Store(int port, int service_ms)
    : service_ms_(service_ms),
      server_(std::make_unique<Server>(port, [this](int fd) { handle(fd); })),
      worker_([this] { work(); }) {}

Store::~Store() {
  server_.reset();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

void Store::handle(int fd) {
  auto request = read_line(fd, 1000);
  std::string id = request ? reservation_id(*request) : "";
  if (id.empty()) {
    close_fd(fd);
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  queue_.push_back({fd, id});
  changed_.notify_all();
}

void Store::work() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    changed_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;
    Job job = queue_.front();
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    std::this_thread::sleep_for(std::chrono::milliseconds(service_ms_));
    send_line(job.fd, "OK " + job.id);
    close_fd(job.fd);
    lock.lock();
    ++reservations_[job.id];
    busy_ = false;
    changed_.notify_all();
  }
}

int Store::reservations(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = reservations_.find(id);
  return it == reservations_.end() ? 0 : it->second;
}

bool Store::wait_idle(int timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [this] { return queue_.empty() && !busy_; });
}

Auth::Auth(int port) : server_(port, &Auth::handle) {}

void Auth::handle(int fd) {
  auto request = read_line(fd, 1000);
  if (!request) {
    close_fd(fd);
    return;
  }
  std::vector<int> copies;
  auto send_copy = [&] {
    int store = connect_to(kStorePort);
    if (store >= 0 && send_line(store, *request)) copies.push_back(store);
    else close_fd(store);
  };
  send_copy();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kAuthTimeoutMs);
  std::string reply;
  int answered = -1;
  while (answered < 0 && !copies.empty()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    const bool may_hedge = static_cast<int>(copies.size()) <= kAuthRetries && copies.size() < 8;
    int wait = may_hedge ? std::min<int>(kAuthHedgeAfterMs, static_cast<int>(left.count())) : left.count();
    answered = read_first_line(copies.data(), static_cast<int>(copies.size()), wait, reply);
    if (answered < 0 && may_hedge) send_copy();
  }
  send_line(fd, answered >= 0 ? reply : "ERR store did not answer");
  for (int copy : copies) close_fd(copy);
  close_fd(fd);
}

Gateway::Gateway(int port) : server_(port, &Gateway::handle) {}

void Gateway::handle(int fd) {
  auto request = read_line(fd, 1000);
  int auth = request ? connect_to(kAuthPort) : -1;
  if (auth < 0 || !send_line(auth, *request)) {
    send_line(fd, "ERR auth unreachable");
  } else {
    auto reply = read_line(auth, kGatewayTimeoutMs);
    send_line(fd, reply ? *reply : "TIMEOUT");
    served_by_gateway.fetch_add(1, std::memory_order_relaxed);
  }
  close_fd(auth);
  close_fd(fd);
}

std::string reserve(const std::string& id) {
  int fd = -1;
  for (int attempt = 0; attempt < 3 && fd < 0; ++attempt) {
    fd = connect_to(kGatewayPort);
    if (fd < 0) std::this_thread::sleep_for(std::chrono::milliseconds(kClientBackoffMs));
  }
  if (fd < 0) return "ERR gateway unreachable";
  send_line(fd, "RESERVE " + id);
  auto reply = read_line(fd, 10000);
  close_fd(fd);
  return reply ? *reply : "ERR no answer";
}

}  // namespace cascade

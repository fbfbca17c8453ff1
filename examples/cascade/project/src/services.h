// The three tiers of the reservation service: clients call the gateway, the gateway asks the auth tier, the auth
// tier asks the store, whose single worker makes each reservation. One request per connection: "RESERVE <id>",
// answered "OK <id>", or "TIMEOUT" / "ERR ..." by the tier that gave up.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "server.h"

namespace cascade {

class Store {
 public:
  // `service_ms`: how long the worker takes per reservation (the store's disk, in the test rig).
  Store(int port, int service_ms);
  ~Store();
  // How many times `id` was reserved.
  int reservations(const std::string& id);
  // True once nothing is queued or being served, false if `timeout_ms` passed first.
  bool wait_idle(int timeout_ms);

 private:
  struct Job {
    int fd;
    std::string id;
  };
  void handle(int fd);
  void work();

  const int service_ms_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<Job> queue_;
  std::map<std::string, int> reservations_;
  bool busy_ = false;
  bool stopping_ = false;
  std::unique_ptr<Server> server_;  // before the worker: a port already taken throws before any thread starts
  std::thread worker_;
};

// Forwards each request to the store; when the store is slow to answer it sends extra copies (hedging) and
// answers with the first reply.
class Auth {
 public:
  explicit Auth(int port);
  bool wait_idle(int timeout_ms) { return server_.wait_idle(timeout_ms); }

 private:
  static void handle(int fd);
  Server server_;
};

// Forwards each request to the auth tier and answers TIMEOUT when it does not answer in time.
class Gateway {
 public:
  explicit Gateway(int port);
  bool wait_idle(int timeout_ms) { return server_.wait_idle(timeout_ms); }

 private:
  static void handle(int fd);
  Server server_;
};

// A client's call: the gateway's answer, or "ERR ..." when it cannot be reached.
std::string reserve(const std::string& id);

}  // namespace cascade

// Forwards every connection accepted on a listening socket to a fresh connection made by `connect` (a Unix
// socket to 127.0.0.1:port on the host side of a sandbox's bridge, or the reverse inside it), one thread per
// connection. start()/stop() from one thread; stop() is idempotent, ends every live connection and joins.
#pragma once

#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <thread>

namespace telemetry {

class SocketForwarder {
 public:
  // Takes ownership of `listen_fd`. `connect` gets each accepted client (it may talk to it first, as a proxy
  // does) and returns a connected upstream descriptor, or -1: the client is then closed (it sees the server as
  // down, as it would without the bridge).
  SocketForwarder(int listen_fd, std::function<int(int client)> connect);
  ~SocketForwarder();
  SocketForwarder(const SocketForwarder&) = delete;
  SocketForwarder& operator=(const SocketForwarder&) = delete;

  void start();
  void stop();
  // Runs the accept loop on this thread until stop() (the forwarder inside a sandbox has nothing else to do).
  void run();

 private:
  struct Connection {
    int client = -1;
    int upstream = -1;
    std::thread thread;
    bool done = false;
  };
  void serve(Connection& c);
  void reap_finished();

  int listen_fd_;
  std::function<int(int client)> connect_;
  std::thread accept_thread_;
  std::mutex mu_;
  std::list<Connection> connections_;
  bool stopping_ = false;
};

}  // namespace telemetry

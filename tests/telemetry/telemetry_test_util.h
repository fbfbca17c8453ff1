// Helpers for the telemetry server tests: a temporary run store, a scripted upstream (a real cpp-httplib server on
// 127.0.0.1 that streams given SSE chunks), raw-socket HTTP for requests a well-behaved client never sends, and
// bounded waits for what the servers' threads write.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "telemetry/agent_tokens.h"
#include "trace/ids.h"
#include "trace/store.h"

namespace telemetry::testing {

// A run dir with a store, a trace id, a run span and two agent spans.
struct TelemetryRun {
  std::string dir;
  std::unique_ptr<trace::Store> store;
  std::string trace_id = trace::random_trace_id();
  std::string run_span = trace::derive_span_id(trace_id, "run");
  TelemetryRun() {
    std::string pattern = (std::filesystem::temp_directory_path() / "telemetry-test-XXXXXX").string();
    dir = ::mkdtemp(pattern.data());
    store = trace::Store::open(dir + "/run.db");
  }
  ~TelemetryRun() {
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  TelemetryTarget agent(int n) const {
    return {trace_id, trace::derive_span_id(trace_id, "agent:" + std::to_string(n)), "g01-a0" + std::to_string(n),
            dir, "gen-001/agent-0" + std::to_string(n)};
  }
  std::vector<trace::Span> spans(const std::string& where = "") {
    store->flush();
    std::vector<trace::Span> out;
    store->for_each_span([&](const trace::Span& s) { out.push_back(s); }, where);
    return out;
  }
  std::vector<trace::Event> events(const std::string& where = "") {
    store->flush();
    std::vector<trace::Event> out;
    store->for_each_event([&](const trace::Event& e) { out.push_back(e); }, where);
    return out;
  }
};

// Polls `done` every millisecond, for at most 20 s (a safety net, never a timing assertion); returns its last value.
inline bool eventually(const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// True once `answer` holds a whole response with a Content-Length body.
inline bool answer_complete(const std::string& answer) {
  size_t end = answer.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  std::string head = answer.substr(0, end);
  for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t at = head.find("content-length:");
  if (at == std::string::npos) return false;
  return answer.size() >= end + 4 + std::stoul(head.substr(at + 15));
}

// Sends `request` bytes on a fresh connection to 127.0.0.1:port and reads the answer. With `stop_after` set, closes
// the connection as soon as the answer contains that text (a client going away mid-stream).
inline std::string raw_http(int port, const std::string& request, const std::string& stop_after = "") {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "(connect failed)";
  }
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string answer;
  char buf[4096];
  while (true) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    answer.append(buf, static_cast<size_t>(n));
    if (!stop_after.empty() && answer.find(stop_after) != std::string::npos) break;
    if (stop_after.empty() && answer_complete(answer)) break;  // not waiting out the server's keep-alive
  }
  ::close(fd);
  return answer;
}

// A port nothing listens on: bound, then closed again.
inline int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);  // never listened: a connect is refused
  return ntohs(addr.sin_port);
}

// The upstream double: a cpp-httplib server that answers POSTs with scripted SSE chunks (or an error), records
// what it was sent, and can hold each chunk back until the test lets it go (to prove the proxy streams).
class ScriptedUpstream {
 public:
  struct Seen {
    std::string path, body;
    httplib::Headers headers;
  };
  std::vector<std::string> chunks;  // each written with one sink.write
  int error_status = 0;             // nonzero: answer this status with error_body instead
  std::string error_body;
  bool endless = false;             // stream until the reader goes away
  std::function<void(size_t)> before_chunk;  // called before chunk i is written

  ScriptedUpstream() {
    server_.set_tcp_nodelay(true);
    server_.Post(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) { serve(req, res); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();  // httplib's stop() is a no-op before this
  }
  ~ScriptedUpstream() {
    server_.stop();
    thread_.join();
  }
  std::string url(const std::string& prefix = "") const { return "http://127.0.0.1:" + std::to_string(port_) + prefix; }
  int port() const { return port_; }
  std::vector<Seen> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }
  // True once an endless stream found its reader gone.
  bool wait_reader_gone() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(20), [this] { return reader_gone_; });
  }

 private:
  void serve(const httplib::Request& req, httplib::Response& res) {
    {
      std::lock_guard lock(mu_);
      seen_.push_back({req.path, req.body, req.headers});
    }
    if (error_status) {
      res.status = error_status;
      res.set_header("retry-after", "7");
      res.set_content(error_body, "application/json");
      return;
    }
    res.set_chunked_content_provider("text/event-stream", [this](size_t, httplib::DataSink& sink) {
      for (size_t i = 0; endless || i < chunks.size(); ++i) {
        if (before_chunk) before_chunk(i);
        const std::string& c = chunks[i % chunks.size()];
        if (!sink.write(c.data(), c.size())) {
          std::lock_guard lock(mu_);
          reader_gone_ = true;
          cv_.notify_all();
          return false;
        }
        if (endless) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      sink.done();
      return true;
    });
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Seen> seen_;
  bool reader_gone_ = false;
};

// One SSE event as it goes on the wire.
inline std::string sse(const std::string& event, const std::string& data) {
  return "event: " + event + "\ndata: " + data + "\n\n";
}

}  // namespace telemetry::testing

#include "harness/dashboard/dashboard_server.h"

#include <chrono>
#include <random>
#include <stdexcept>

#include <fmt/format.h>
#include <httplib.h>

#include "harness/dashboard/dashboard_page.h"
#include "harness/dashboard/dashboard_views.h"

namespace harness::dashboard {
namespace {

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Equal in time independent of where the two differ (the token is the only secret here).
bool same_token(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

void send_json(httplib::Response& res, const std::string& body) {
  res.set_header("Cache-Control", "no-store");
  res.set_content(body, "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& what) {
  res.status = status;
  res.set_content(nlohmann::json{{"error", what}}.dump() + "\n", "application/json");
}

std::string sse_state(const std::string& json) { return "event: state\ndata: " + json + "\n\n"; }

}  // namespace

std::string random_token() {
  std::random_device rd;  // /dev/urandom on Linux
  std::string out;
  for (int i = 0; i < 4; ++i) out += fmt::format("{:08x}", static_cast<uint32_t>(rd()));
  return out;
}

DashboardServer::DashboardServer(ServeOptions options)
    : options_(std::move(options)), server_(std::make_unique<httplib::Server>()) {
  if (options_.token.empty()) options_.token = random_token();
  // Each event stream holds a worker for as long as its page is open: room for several pages and their fetches.
  server_->new_task_queue = [] { return new httplib::ThreadPool(16); };
  routes();
}

DashboardServer::~DashboardServer() { stop(); }

std::string DashboardServer::start() {
  if (options_.port == 0) {
    port_ = server_->bind_to_any_port(options_.host);
    if (port_ < 0) throw std::runtime_error(fmt::format("dashboard: cannot listen on {} (any port)", options_.host));
  } else {
    if (!server_->bind_to_port(options_.host, options_.port))
      throw std::runtime_error(fmt::format("dashboard: cannot listen on {}:{}", options_.host, options_.port));
    port_ = options_.port;
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  std::string host = options_.host.find(':') != std::string::npos ? "[" + options_.host + "]" : options_.host;
  return fmt::format("http://{}:{}/?token={}", host, port_, options_.token);
}

void DashboardServer::stop() {
  stopping_ = true;
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string DashboardServer::run_path(const std::string& name) const {
  for (const ServedRun& r : find_runs(options_.dir))
    if (r.name == name) return r.path;
  return "";
}

std::string DashboardServer::state_of(const std::string& path) {
  std::string stamp = change_stamp(path);
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    auto it = cache_.find(path);
    if (it != cache_.end() && (it->second.stamp == stamp || steady_ms() - it->second.computed_ms < kMinRecomputeMs))
      return it->second.json;
  }
  std::string json;
  try {
    json = run_view(path).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } catch (const std::exception& e) {
    json = nlohmann::json{{"error", e.what()}}.dump();  // a run.db being created, or not a run: the page says so
  }
  std::lock_guard<std::mutex> lock(cache_mutex_);
  cache_[path] = {stamp, json, steady_ms()};
  return json;
}

void DashboardServer::routes() {
  httplib::Server& s = *server_;
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (req.method != "GET" && req.method != "HEAD") {
      send_error(res, 405, "read-only: only GET");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!same_token(req.get_param_value("token"), options_.token)) {
      res.status = 401;
      res.set_content("401: missing or wrong token (use the URL harness printed)\n", "text/plain");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  s.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "no-store");
    res.set_header("Content-Security-Policy",
                   "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
                   "img-src data:");
    res.set_content(std::string(page_html()), "text/html; charset=utf-8");
  });
  s.Get("/api/runs", [this](const httplib::Request&, httplib::Response& res) {
    send_json(res, runs_view(find_runs(options_.dir)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  });
  s.Get("/api/run", [this](const httplib::Request& req, httplib::Response& res) {
    std::string path = run_path(req.get_param_value("run"));
    if (path.empty()) return send_error(res, 404, "no such run: " + req.get_param_value("run"));
    send_json(res, state_of(path));
  });
  s.Get("/api/agent", [this](const httplib::Request& req, httplib::Response& res) {
    std::string path = run_path(req.get_param_value("run"));
    if (path.empty()) return send_error(res, 404, "no such run: " + req.get_param_value("run"));
    try {
      send_json(res, agent_view(path, req.get_param_value("agent"))
                         .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    } catch (const std::invalid_argument& e) {
      send_error(res, 404, e.what());
    } catch (const std::exception& e) {
      send_error(res, 500, e.what());
    }
  });
  s.Get("/api/patch", [this](const httplib::Request& req, httplib::Response& res) {
    std::string path = run_path(req.get_param_value("run"));
    if (path.empty()) return send_error(res, 404, "no such run: " + req.get_param_value("run"));
    auto patch = agent_patch(path, req.get_param_value("agent"));
    if (!patch) return send_error(res, 404, "no patch.diff for agent " + req.get_param_value("agent"));
    res.set_content(*patch, "text/plain; charset=utf-8");
  });
  s.Get("/api/events", [this](const httplib::Request& req, httplib::Response& res) {
    std::string path = run_path(req.get_param_value("run"));
    if (path.empty()) return send_error(res, 404, "no such run: " + req.get_param_value("run"));
    res.set_header("Cache-Control", "no-store");
    struct Stream {
      std::string sent;
      int64_t last_write_ms = 0;
    };
    auto stream = std::make_shared<Stream>();
    res.set_chunked_content_provider("text/event-stream", [this, path, stream](size_t, httplib::DataSink& sink) {
      if (stopping_) {
        sink.done();
        return true;
      }
      std::string json = state_of(path);
      if (json != stream->sent) {
        std::string msg = sse_state(json);
        if (!sink.write(msg.data(), msg.size())) return false;
        stream->sent = std::move(json);
        stream->last_write_ms = steady_ms();
      } else if (steady_ms() - stream->last_write_ms >= kHeartbeatMs) {
        // A comment line: proves the page is still there (a write to a closed page fails and ends the stream).
        if (!sink.write(":\n\n", 3)) return false;
        stream->last_write_ms = steady_ms();
      }
      for (int waited = 0; waited < kPollMs && !stopping_; waited += 50)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      return true;
    });
  });
}

}  // namespace harness::dashboard

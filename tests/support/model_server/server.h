// ScriptedModelServer: an HTTP server on 127.0.0.1 that answers Anthropic Messages and OpenAI Responses requests
// (streamed or not) by playing a Script, asserts what the script expects of each request, and keeps a record of
// everything served (the figures tests compare traces against). A request takes the earliest unplayed turn
// that matches it (so turns for concurrent agents can be told apart by their `when` filters), else the fallback. Handlers run on httplib's worker threads; all
// state is behind one mutex, so concurrent requests are served in arrival order of turn selection.
#pragma once

#include "script.h"

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace httplib {
class Server;
}

namespace model_server {

struct ServerOptions {
  std::string log_path;      // append one JSON line per request (method, path, headers minus secrets, body)
  std::string results_path;  // rewritten after every request: the results() document
  bool allow_leftover = false;  // unplayed turns at the end are not a failure
  std::function<void()> on_shutdown_request;  // called on POST /__shutdown (from a handler thread)
};

class ScriptedModelServer {
 public:
  ScriptedModelServer(Script script, ServerOptions options);
  ~ScriptedModelServer();
  ScriptedModelServer(const ScriptedModelServer&) = delete;
  ScriptedModelServer& operator=(const ScriptedModelServer&) = delete;

  // Binds 127.0.0.1:port (0: a free port) and serves on a background thread. Returns the port, or -1.
  int start(int port = 0);
  void stop();

  // {"served":[...], "unexpected":[...], "failures":[...], "turns_total":N, "turns_played":M, "passed":bool}
  json results() const;
  bool passed() const;

 private:
  void install_routes();
  json serve(const std::string& api_name, const std::string& path, const std::string& body, Turn* chosen,
             struct ReplyIds* ids, int* status);
  void record_locked(const json& entry);
  json results_locked() const;
  void write_results_locked() const;
  void log_request(const std::string& method, const std::string& path, const std::string& headers_json,
                   const std::string& body);

  Script script_;
  ServerOptions options_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<bool> played_;  // per script turn
  long counter_ = 0;
  json served_ = json::array(), unexpected_ = json::array(), failures_ = json::array();
};

}  // namespace model_server

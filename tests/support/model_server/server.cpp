// ScriptedModelServer: routes, turn selection, assertions and the results record. See server.h.
#include "server.h"

#include "replies.h"

#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

namespace model_server {
namespace {

bool is_secret_header(std::string name) {
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name == "authorization" || name == "x-api-key" || name == "cookie" || name.find("token") != std::string::npos;
}

json error_body(Api api, int status, const std::string& message) {
  if (api == Api::anthropic)
    return {{"type", "error"}, {"error", {{"type", status == 429 ? "rate_limit_error" : "api_error"}, {"message", message}}}};
  return {{"error", {{"message", message}, {"type", "server_error"}, {"code", nullptr}}}};
}

std::string excerpt(const std::string& s) { return s.size() > 300 ? s.substr(0, 300) + "..." : s; }

}  // namespace

ScriptedModelServer::ScriptedModelServer(Script script, ServerOptions options)
    : script_(std::move(script)), options_(std::move(options)), http_(std::make_unique<httplib::Server>()),
      played_(script_.turns.size(), false) {
  install_routes();
}

ScriptedModelServer::~ScriptedModelServer() { stop(); }

int ScriptedModelServer::start(int port) {
  int bound = port == 0 ? http_->bind_to_any_port("127.0.0.1") : (http_->bind_to_port("127.0.0.1", port) ? port : -1);
  if (bound < 0) return -1;
  {
    std::lock_guard lock(mutex_);
    write_results_locked();
  }
  // The socket already listens (bind_to_port), so clients connecting before the loop starts wait in the backlog.
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  return bound;
}

void ScriptedModelServer::stop() {
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  write_results_locked();
}

json ScriptedModelServer::results() const {
  std::lock_guard lock(mutex_);
  return results_locked();
}

bool ScriptedModelServer::passed() const { return results().at("passed").get<bool>(); }

json ScriptedModelServer::results_locked() const {
  json failures = failures_;
  size_t played = std::count(played_.begin(), played_.end(), true);
  if (played < played_.size() && !options_.allow_leftover) {
    size_t first = std::find(played_.begin(), played_.end(), false) - played_.begin();
    failures.push_back("script not finished: " + std::to_string(played_.size() - played) +
                       " turn(s) never requested, first: " + script_.turns[first].name);
  }
  return {{"served", served_},
          {"unexpected", unexpected_},
          {"failures", failures},
          {"turns_total", script_.turns.size()},
          {"turns_played", played},
          {"passed", failures.empty()}};
}

void ScriptedModelServer::write_results_locked() const {
  if (options_.results_path.empty()) return;
  std::string tmp = options_.results_path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << results_locked().dump(2) << "\n";
  }
  std::rename(tmp.c_str(), options_.results_path.c_str());
}

void ScriptedModelServer::log_request(const std::string& method, const std::string& path,
                                      const std::string& headers_json, const std::string& body) {
  if (options_.log_path.empty()) return;
  json line = {{"method", method}, {"path", path}, {"headers", json::parse(headers_json)}};
  json parsed = json::parse(body, nullptr, false);
  line["body"] = parsed.is_discarded() ? json(body) : parsed;
  std::lock_guard lock(mutex_);
  std::ofstream(options_.log_path, std::ios::app) << line.dump() << "\n";
}

// Picks the turn for one request (the next script turn when it matches, else the fallback), checks the turn's
// expectations and records what is served. Returns the parsed request body (null when it was not JSON).
json ScriptedModelServer::serve(const std::string& api_name, const std::string& path, const std::string& body,
                                Turn* chosen, ReplyIds* ids, int* status) {
  Api api = api_name == "anthropic" ? Api::anthropic : Api::openai;
  json request = json::parse(body, nullptr, false);
  std::lock_guard lock(mutex_);
  if (request.is_discarded() || !request.is_object()) {
    failures_.push_back(api_name + " request to " + path + " is not a JSON object: " + excerpt(body));
    *status = 400;
    write_results_locked();
    return nullptr;
  }
  RequestView view = api == Api::anthropic ? view_anthropic_request(request) : view_openai_request(request);
  size_t turn_index = 0;
  while (turn_index < played_.size() && (played_[turn_index] || !turn_matches(script_.turns[turn_index], view)))
    ++turn_index;
  bool scripted = turn_index < played_.size();
  if (scripted) played_[turn_index] = true;
  *chosen = scripted ? script_.turns[turn_index] : script_.fallback;
  for (auto& failure : check_expectations(*chosen, view)) failures_.push_back(failure);
  ++counter_;
  std::string stem = std::to_string(getpid()) + "_" + std::to_string(counter_);
  ids->message_id = (api == Api::anthropic ? "msg_" : "resp_") + stem;
  ids->model = chosen->model.empty() ? view.model : chosen->model;
  ids->tool_call_ids.clear();
  for (size_t i = 0; i < chosen->tool_calls.size(); ++i)
    ids->tool_call_ids.push_back(!chosen->tool_calls[i].id.empty() ? chosen->tool_calls[i].id
                                 : (api == Api::anthropic ? "toolu_" : "call_") + stem + "_" + std::to_string(i));
  *status = chosen->http_status;
  json entry = {{"api", api_name},
                {"path", path},
                {"turn", chosen->name},
                {"turn_index", scripted ? json(turn_index) : json(nullptr)},
                {"message_id", ids->message_id},
                {"model", ids->model},
                {"stream", view.stream},
                {"status", *status},
                {"tool_call_ids", ids->tool_call_ids},
                {"usage", api == Api::anthropic ? anthropic_usage(chosen->usage) : openai_usage(chosen->usage)}};
  served_.push_back(entry);
  if (!scripted)
    unexpected_.push_back({{"api", api_name}, {"path", path}, {"model", view.model}, {"has_tools", view.has_tools},
                           {"system", excerpt(view.system)}, {"last_user", excerpt(view.last_user)}});
  write_results_locked();
  return request;
}

void ScriptedModelServer::install_routes() {
  auto headers_of = [](const httplib::Request& req) {
    json h = json::object();
    for (const auto& [k, v] : req.headers) h[k] = is_secret_header(k) ? "<redacted>" : v;
    return h.dump();
  };
  auto model_handler = [this, headers_of](const std::string& api_name) {
    return [this, headers_of, api_name](const httplib::Request& req, httplib::Response& res) {
      log_request(req.method, req.path, headers_of(req), req.body);
      Api api = api_name == "anthropic" ? Api::anthropic : Api::openai;
      Turn turn;
      ReplyIds ids;
      int status = 200;
      json request = serve(api_name, req.path, req.body, &turn, &ids, &status);
      if (request.is_null() || status != 200) {
        res.status = status == 200 ? 400 : status;
        std::string message = request.is_null() ? "request body is not a JSON object"
                              : turn.error_message.empty() ? "scripted error" : turn.error_message;
        res.set_content(error_body(api, res.status, message).dump(), "application/json");
        return;
      }
      if (!request.value("stream", false)) {
        json reply = api == Api::anthropic ? anthropic_message(turn, ids) : openai_response(turn, ids);
        res.set_content(reply.dump(), "application/json");
        return;
      }
      auto events = std::make_shared<std::vector<std::string>>(
          api == Api::anthropic ? anthropic_stream(turn, ids) : openai_stream(turn, ids));
      res.set_header("Cache-Control", "no-cache");
      res.set_chunked_content_provider("text/event-stream", [events](size_t, httplib::DataSink& sink) {
        for (const auto& event : *events)
          if (!sink.write(event.data(), event.size())) return false;
        sink.done();
        return true;
      });
    };
  };
  http_->Post(R"(.*/messages/count_tokens)", [this, headers_of](const httplib::Request& req, httplib::Response& res) {
    log_request(req.method, req.path, headers_of(req), req.body);
    res.set_content(json{{"input_tokens", static_cast<long>(req.body.size() / 4)}}.dump(), "application/json");
  });
  http_->Post(R"(.*/messages)", model_handler("anthropic"));
  http_->Post(R"(.*/responses)", model_handler("openai"));
  http_->Get(R"(.*/models)", [this, headers_of](const httplib::Request& req, httplib::Response& res) {
    log_request(req.method, req.path, headers_of(req), req.body);
    res.set_content(R"({"object":"list","data":[],"models":[]})", "application/json");
  });
  http_->Get("/__results", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(results().dump(2), "application/json");
  });
  http_->Post("/__shutdown", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content("{}", "application/json");
    if (options_.on_shutdown_request) options_.on_shutdown_request();
  });
  auto other = [this, headers_of](const httplib::Request& req, httplib::Response& res) {
    log_request(req.method, req.path, headers_of(req), req.body);
    {
      std::lock_guard lock(mutex_);
      unexpected_.push_back({{"method", req.method}, {"path", req.path}});
      write_results_locked();
    }
    res.status = 404;
    res.set_content(R"({"type":"error","error":{"type":"not_found_error","message":"not scripted"}})", "application/json");
  };
  http_->Get(R"(.*)", other);
  http_->Post(R"(.*)", other);
  http_->Put(R"(.*)", other);
  http_->Delete(R"(.*)", other);
}

}  // namespace model_server

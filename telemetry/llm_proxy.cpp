#include "telemetry/llm_proxy.h"

#include <condition_variable>
#include <strings.h>

#include <deque>
#include <thread>

#include <fmt/format.h>

#include "telemetry/llm_call.h"
#include "telemetry/telemetry_events.h"
#include "trace/ids.h"
#include "trace/json_text.h"

namespace telemetry {

// One call in flight. The upstream thread fills `chunks`; the server worker drains them to the agent.
struct ProxyCall {
  ProxyCall(std::string provider, std::string path, std::string_view body)
      : recorder(std::move(provider), std::move(path), body) {}
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> chunks;
  size_t queued_bytes = 0;
  bool headers_ready = false;
  bool upstream_done = false;
  bool stop = false;          // the agent went away or the proxy is stopping: abort the upstream request
  std::string stop_reason;
  int status = 0;
  httplib::Headers headers;
  httplib::Error error = httplib::Error::Success;
  std::unique_ptr<httplib::Client> client;
  std::thread thread;
  LlmCallRecorder recorder;  // touched only by the server worker
  std::string trace_id, span_id, parent_span_id, upstream;
  int64_t start_ns = 0;

  void abort(const std::string& reason) {  // with mu held
    if (stop) return;
    stop = true;
    stop_reason = reason;
    client->stop();  // unblocks an upstream read that is waiting for the next event
    cv.notify_all();
  }
};

namespace {

constexpr size_t kMaxQueuedBytes = 64u << 20;  // a slow agent holds back the upstream beyond this

// Hop-by-hop and framing headers: each side of the proxy sets its own.
bool is_framing_header(const std::string& name) {
  static const char* names[] = {"host", "content-length", "transfer-encoding", "connection", "keep-alive",
                                "accept-encoding", "content-encoding", "te", "trailer", "upgrade",
                                "proxy-connection", "proxy-authorization"};
  for (const char* n : names)
    if (strcasecmp(name.c_str(), n) == 0) return true;
  return false;
}

// httplib's own names ("Connection", "Read") say too little to someone reading a 502.
std::string describe(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection: return "could not connect";
    case httplib::Error::ConnectionTimeout: return "connection timed out";
    case httplib::Error::Read: return "reading the response failed (connection closed or read timeout)";
    case httplib::Error::Write: return "sending the request failed";
    case httplib::Error::SSLConnection: return "TLS handshake failed";
    case httplib::Error::SSLServerVerification: return "TLS certificate verification failed";
    case httplib::Error::SSLLoadingCerts: return "could not load the system's CA certificates";
    case httplib::Error::Canceled: return "canceled";
    default: return httplib::to_string(e);
  }
}

std::string error_body(const std::string& type, const std::string& message) {
  return trace::json_text(nlohmann::json{{"type", "error"}, {"error", {{"type", type}, {"message", message}}}});
}

}  // namespace

std::optional<UpstreamUrl> parse_upstream_url(const std::string& url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return std::nullopt;
  std::string scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return std::nullopt;
  size_t host_end = url.find('/', scheme_end + 3);
  UpstreamUrl u;
  u.scheme_host_port = url.substr(0, host_end);
  if (u.scheme_host_port.size() == scheme_end + 3) return std::nullopt;  // no host
  if (host_end != std::string::npos) u.path_prefix = url.substr(host_end);
  while (!u.path_prefix.empty() && u.path_prefix.back() == '/') u.path_prefix.pop_back();
  return u;
}

LlmProxy::LlmProxy(trace::Store& store, AgentTokens& tokens, LlmProxyOptions options)
    : store_(store), tokens_(tokens), options_(std::move(options)) {
  for (const std::string* url : {&options_.anthropic_upstream, &options_.openai_upstream})
    if (!parse_upstream_url(*url))
      throw std::invalid_argument(fmt::format("LLM proxy upstream '{}' is not an http(s) URL", *url));
  auto& http = server_.http();
  http.set_payload_max_length(options_.max_request_bytes);
  http.Post(R"(/[^/]+/.*)", [this](const httplib::Request& req, httplib::Response& res,
                                   const httplib::ContentReader& reader) {
    httplib::Request with_body = req;  // headers and path as they came; the body read within the limit
    switch (read_bounded_body(reader, options_.max_request_bytes, with_body.body, res)) {
      case BodyRead::ok: return handle(with_body, res);
      case BodyRead::too_large:  // the error handler records it; the rest of the body is never read
        res.status = 413;
        res.set_header("Connection", "close");
        return;
      case BodyRead::failed: res.status = 400; return;
    }
  });
  http.Get(R"(/[^/]+/.*)", [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); });
  http.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    // An upstream's answer (respond() always sets its Content-Type, even on an empty error body) or one of our
    // refusals: passed on as it is. httplib's own errors (413, unknown paths) have neither.
    if (!res.body.empty() || res.has_header("Content-Type")) return;
    std::string token = req.path.size() > 1 ? req.path.substr(1, req.path.find('/', 1) - 1) : "";
    auto entry = tokens_.find(token);
    std::string reason =
        res.status == 413 ? fmt::format("request body larger than the proxy's {}-byte limit (proxy.max_request_mb), "
                                        "counted after decompression", options_.max_request_bytes)
        : res.status == 404 ? fmt::format("{} {} is not proxied: use POST or GET under /<agent token>/anthropic/ "
                                          "or /<agent token>/openai/", req.method, entry ? "this path" : req.path)
                            : fmt::format("malformed HTTP request (HTTP {})", res.status);
    reject(res, entry ? entry->target.agent_span_id : options_.run_span_id, res.status, reason, "", 0);
  });
}

LlmProxy::~LlmProxy() { stop(); }

int LlmProxy::start() { return server_.start("LLM proxy", options_.worker_threads); }

void LlmProxy::stop() {
  {
    std::lock_guard lock(calls_mu_);
    for (const auto& call : calls_) {
      std::lock_guard call_lock(call->mu);
      call->abort("the run ended while the call was in flight");
    }
  }
  server_.stop();
}

std::map<std::string, std::string> LlmProxy::agent_env(const std::string& token) const {
  return {{"ANTHROPIC_BASE_URL", fmt::format("{}/{}/anthropic", base_url(), token)},
          {"OPENAI_BASE_URL", fmt::format("{}/{}/openai", base_url(), token)}};
}

void LlmProxy::refuse_over_budget(httplib::Response& res, const AgentTelemetryEntry& agent,
                                  const std::string& provider, const Refusal& refusal, const std::string& path) {
  std::string message = refusal.message();
  res.status = 400;
  // Each provider's own error shape, so the CLI prints the message; x-should-retry tells the SDKs not to retry.
  if (provider == "anthropic") {
    res.set_content(error_body("invalid_request_error", message), "application/json");
  } else {
    res.set_content(nlohmann::json{{"error",
                                    {{"message", message},
                                     {"type", "invalid_request_error"},
                                     {"code", "harness_budget_exceeded"},
                                     {"param", nullptr}}}}
                        .dump(),
                    "application/json");
  }
  res.set_header("x-should-retry", "false");
  ++counters_.over_budget;
  trace::Event e;
  e.span_id = agent.target.agent_span_id;
  e.time_ns = wall_now_ns();
  e.type = "budget.refused";
  e.payload = {{"scope", refusal.scope},
               {"tokens", refusal.spent.tokens},
               {"cost_usd", refusal.spent.usd},
               {"limit_tokens", refusal.limit.tokens},
               {"limit_usd", refusal.limit.usd},
               {"path", path},
               {"message", message}};
  store_.put_event(e);
}

void LlmProxy::reject(httplib::Response& res, const std::string& span_id, int status, const std::string& reason,
                      const std::string& path, size_t bytes) {
  Rejection r{"proxy", status, reason, path, bytes};
  res.status = status;
  res.set_content(rejection_body(r), "application/json");
  ++counters_.rejected;
  record_rejection(store_, span_id, r);
}

void LlmProxy::handle(const httplib::Request& req, httplib::Response& res) {
  // target: /<token>/<provider>/<path>?<query>
  const std::string& target = req.target;
  size_t token_end = target.find('/', 1);
  size_t provider_end = target.find_first_of("/?", token_end + 1);
  std::string token = target.substr(1, token_end - 1);
  std::string provider = target.substr(token_end + 1, provider_end == std::string::npos ? std::string::npos
                                                                                        : provider_end - token_end - 1);
  std::string rest = provider_end == std::string::npos ? "" : target.substr(provider_end);
  std::string shown_path = "/<token>/" + provider + rest;  // what is recorded: never the token itself
  auto entry = tokens_.find(token);
  if (!entry)
    return reject(res, options_.run_span_id, 401,
                  "unknown agent token in the path: agents reach the proxy through the ANTHROPIC_BASE_URL / "
                  "OPENAI_BASE_URL the harness gave them",
                  shown_path, req.body.size());
  const std::string* upstream_url = provider == "anthropic" ? &options_.anthropic_upstream
                                    : provider == "openai"  ? &options_.openai_upstream
                                                            : nullptr;
  if (!upstream_url)
    return reject(res, entry->target.agent_span_id, 404,
                  fmt::format("unknown provider '{}': the proxy serves /<token>/anthropic/... and "
                              "/<token>/openai/...", provider),
                  shown_path, req.body.size());
  UpstreamUrl upstream = *parse_upstream_url(*upstream_url);
  if (options_.ledger)
    if (auto refusal = options_.ledger->admit(entry->target.agent_span_id))
      return refuse_over_budget(res, *entry, provider, *refusal, shown_path);

  auto call = begin_call(*entry, provider, rest, req.body, *upstream_url, upstream);
  start_upstream(call, req, upstream.path_prefix + rest);
  respond(call, res);
}

std::shared_ptr<ProxyCall> LlmProxy::begin_call(AgentTelemetryEntry& agent, const std::string& provider,
                                                const std::string& rest, const std::string& body,
                                                const std::string& upstream_url, const UpstreamUrl& upstream) {
  auto call = std::make_shared<ProxyCall>(provider, rest, body);
  call->trace_id = agent.target.trace_id;
  call->parent_span_id = agent.target.agent_span_id;
  call->span_id = trace::derive_span_id(call->parent_span_id, fmt::format("proxy:{}", ++agent.llm_calls));
  call->upstream = upstream_url;
  call->start_ns = wall_now_ns();
  call->client = std::make_unique<httplib::Client>(upstream.scheme_host_port);
  call->client->set_connection_timeout(options_.connect_timeout);
  call->client->set_read_timeout(options_.read_timeout);
  call->client->set_tcp_nodelay(true);
  call->client->set_url_encode(false);  // the agent's path goes on byte for byte
  ++counters_.calls;
  {
    std::lock_guard lock(calls_mu_);
    calls_.insert(call);
  }
  return call;
}

void LlmProxy::start_upstream(const std::shared_ptr<ProxyCall>& call, const httplib::Request& req,
                              std::string path) {
  httplib::Request up;
  up.method = req.method;
  up.path = std::move(path);
  for (const auto& [name, value] : req.headers)
    if (!is_framing_header(name) && strcasecmp(name.c_str(), "REMOTE_ADDR") != 0 &&
        strcasecmp(name.c_str(), "REMOTE_PORT") != 0 && strcasecmp(name.c_str(), "LOCAL_ADDR") != 0 &&
        strcasecmp(name.c_str(), "LOCAL_PORT") != 0)
      up.headers.emplace(name, value);
  up.headers.emplace("Accept-Encoding", "identity");  // compressed SSE could not be passed on event by event
  up.body = req.body;
  ProxyCall* c = call.get();
  up.response_handler = [c](const httplib::Response& r) {
    std::lock_guard lock(c->mu);
    c->status = r.status;
    c->headers = r.headers;
    c->headers_ready = true;
    c->cv.notify_all();
    return !c->stop;
  };
  up.content_receiver = [c](const char* data, size_t n, uint64_t, uint64_t) {
    std::unique_lock lock(c->mu);
    c->cv.wait(lock, [c] { return c->queued_bytes < kMaxQueuedBytes || c->stop; });
    if (c->stop) return false;
    c->chunks.emplace_back(data, n);
    c->queued_bytes += n;
    c->cv.notify_all();
    return true;
  };
  // The in-flight span is written from the upstream thread, off the path to the first byte; finish_call() joins
  // this thread before it writes the finished span, so the finished one always wins.
  const trace::Span in_flight =
      call->recorder.span(call->trace_id, call->span_id, call->parent_span_id, call->start_ns);
  call->thread = std::thread([&store = store_, c, in_flight, up = std::move(up)]() mutable {
    store.put_span(in_flight);
    httplib::Response r;
    httplib::Error error = httplib::Error::Success;
    bool ok = c->client->send(up, r, error);
    std::lock_guard lock(c->mu);
    c->upstream_done = true;
    c->error = ok ? httplib::Error::Success : error;
    c->cv.notify_all();
  });
}

void LlmProxy::respond(const std::shared_ptr<ProxyCall>& call, httplib::Response& res) {
  std::unique_lock lock(call->mu);
  call->cv.wait(lock, [&] { return call->headers_ready || call->upstream_done; });
  if (!call->headers_ready) {  // nothing came back: refused, unresolvable, TLS failure, timeout, or stopped
    std::string why = call->stop ? call->stop_reason : describe(call->error);
    lock.unlock();
    std::string message = fmt::format("harness LLM proxy: upstream {} unreachable: {}", call->upstream, why);
    res.status = 502;
    res.set_content(error_body("harness_proxy_upstream_unreachable", message), "application/json");
    return finish_call(call, message);
  }
  res.status = call->status;
  std::string content_type;
  for (const auto& [name, value] : call->headers) {
    if (strcasecmp(name.c_str(), "content-type") == 0) content_type = value;
    if (!is_framing_header(name)) res.headers.emplace(name, value);
  }
  call->recorder.on_response_start(call->status, content_type, wall_now_ns());
  if (content_type.find("text/event-stream") == std::string::npos) {
    // A JSON answer (or an error): small, so it is passed on whole with its own length.
    call->cv.wait(lock, [&] { return call->upstream_done; });
    std::string body;
    for (auto& chunk : call->chunks) body += chunk;
    call->chunks.clear();
    bool cut = call->error != httplib::Error::Success;
    std::string why = call->stop ? call->stop_reason : describe(call->error);
    lock.unlock();
    call->recorder.feed(body);
    res.headers.erase("Content-Type");
    res.set_content(std::move(body), content_type);
    return finish_call(call, cut ? "upstream response cut short: " + why : "");
  }
  lock.unlock();
  stream_response(call, res, content_type);
}

void LlmProxy::stream_response(const std::shared_ptr<ProxyCall>& call, httplib::Response& res,
                               const std::string& content_type) {
  res.headers.erase("Content-Type");
  res.set_chunked_content_provider(
      content_type,
      [call](size_t, httplib::DataSink& sink) {
        std::unique_lock lock(call->mu);
        call->cv.wait(lock, [&] { return !call->chunks.empty() || call->upstream_done || call->stop; });
        if (call->stop) return false;
        while (!call->chunks.empty()) {
          // Everything that arrived meanwhile goes out in one write: bytes keep their order and SSE events
          // their boundaries, and a burst costs one wake-up and one syscall instead of one per read.
          std::string pending = std::move(call->chunks.front());
          call->chunks.pop_front();
          for (; !call->chunks.empty(); call->chunks.pop_front()) pending += call->chunks.front();
          call->queued_bytes = 0;
          call->cv.notify_all();
          lock.unlock();
          call->recorder.feed(pending);
          bool written = sink.write(pending.data(), pending.size());
          lock.lock();
          if (!written) {
            call->abort("client disconnected mid-stream");
            return false;
          }
        }
        if (!call->upstream_done) return true;
        // An upstream cut short is passed on as a stream cut short, not as a clean end.
        if (call->error != httplib::Error::Success) return false;
        sink.done();
        return true;
      },
      [this, call](bool success) {
        std::string failure;
        {
          std::lock_guard lock(call->mu);
          // The provider aborts on a failed write itself; a cut short before any write lands here.
          if (!success && !call->stop && !call->upstream_done) call->abort("client disconnected mid-stream");
          if (call->stop)
            failure = call->stop_reason;
          else if (call->error != httplib::Error::Success)
            failure = "upstream stream cut short: " + describe(call->error);
        }
        finish_call(call, failure);
      });
}

bool LlmProxy::wait_idle(const std::string& agent_span_id, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    bool busy = false;
    {
      std::lock_guard lock(calls_mu_);
      for (const auto& call : calls_) busy = busy || call->parent_span_id == agent_span_id;
    }
    if (!busy) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void LlmProxy::finish_call(const std::shared_ptr<ProxyCall>& call, const std::string& failure) {
  if (call->thread.joinable()) call->thread.join();
  call->recorder.finish(wall_now_ns(), failure);
  if (!failure.empty()) ++counters_.failed;
  trace::Span span = call->recorder.span(call->trace_id, call->span_id, call->parent_span_id, call->start_ns);
  const trace::PriceTable& prices = options_.prices ? *options_.prices : trace::PriceTable::builtin();
  if (auto usd = prices.cost(call->recorder.model(), span.usage)) {
    span.usage.cost_usd = *usd;
    span.attributes["harness.usage.priced_cost_usd"] = *usd;
    span.attributes["harness.price_table"] = prices.date();
  } else if (!span.usage.empty()) {
    span.attributes["harness.usage.unpriced"] = "no price for model '" + call->recorder.model() + "'";
  }
  store_.put_span(span);
  if (options_.ledger)
    options_.ledger->add_call(call->parent_span_id,
                              Spend{span.usage.input_tokens + span.usage.output_tokens, span.usage.cost_usd});
  std::lock_guard lock(calls_mu_);
  calls_.erase(call);
}

}  // namespace telemetry

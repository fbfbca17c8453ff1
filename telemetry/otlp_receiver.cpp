#include "telemetry/otlp_receiver.h"

#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "telemetry/telemetry_events.h"
#include "trace/otlp_json.h"
#include "trace/redact.h"

namespace fs = std::filesystem;

namespace telemetry {

// One agent's decoding state: created on its first document, so agents that send nothing leave no raw input.
struct OtlpAgentState {
  int64_t raw_id = 0;
  std::FILE* raw = nullptr;
  uint64_t raw_written = 0;
  bool raw_truncated = false;
  bool finished = false;  // the agent ended: its spans are settled, later documents are refused
  int64_t line = 0;  // documents so far: each is one line of otlp.jsonl, and its seq
  std::unique_ptr<trace::RawInputSink> sink;
  std::unique_ptr<trace::OtlpDocumentDecoder> decoder;
  ~OtlpAgentState() {
    if (raw) std::fclose(raw);
  }
};

namespace {

std::string content_type_problem(const std::string& content_type) {
  if (content_type.find("protobuf") != std::string::npos)
    return "OTLP protobuf bodies are not supported: set OTEL_EXPORTER_OTLP_PROTOCOL=http/json";
  if (content_type.find("json") == std::string::npos)
    return fmt::format("Content-Type '{}' is not OTLP JSON: send application/json "
                       "(OTEL_EXPORTER_OTLP_PROTOCOL=http/json)",
                       content_type);
  return "";
}

}  // namespace

OtlpReceiver::OtlpReceiver(trace::Store& store, AgentTokens& tokens, OtlpReceiverOptions options)
    : store_(store), tokens_(tokens), options_(std::move(options)) {
  auto& http = server_.http();
  http.set_payload_max_length(options_.max_body_bytes);
  http.Post("/v1/traces", [this](const httplib::Request& req, httplib::Response& res) { handle(Signal::traces, req, res); });
  http.Post("/v1/logs", [this](const httplib::Request& req, httplib::Response& res) { handle(Signal::logs, req, res); });
  http.Post("/v1/metrics", [this](const httplib::Request& req, httplib::Response& res) { handle(Signal::metrics, req, res); });
  // httplib answers oversized bodies (413) and unknown paths (404) itself, with an empty body, before any handler:
  // this is where they are recorded and given a clear text.
  http.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;  // one of our own refusals, already recorded
    auto entry = tokens_.find(req.get_header_value(kAgentTokenHeader));
    std::string span = entry ? entry->target.agent_span_id : options_.run_span_id;
    if (res.status == 413)
      reject(res, span, 413,
             fmt::format("body larger than the receiver's {}-byte limit (telemetry.max_body_mb)",
                         options_.max_body_bytes),
             req);
    else if (res.status != 404)
      reject(res, span, res.status, fmt::format("malformed HTTP request (HTTP {})", res.status), req);
    else
      reject(res, span, res.status,
             fmt::format("{} {}: the receiver takes POST /v1/traces, /v1/logs and /v1/metrics", req.method,
                         req.path),
             req);
  });
}

OtlpReceiver::~OtlpReceiver() { stop(); }

int OtlpReceiver::start() { return server_.start("OTLP receiver", options_.worker_threads); }
void OtlpReceiver::stop() { server_.stop(); }

std::map<std::string, std::string> OtlpReceiver::agent_env(const std::string& token) const {
  return {{"OTEL_EXPORTER_OTLP_ENDPOINT", endpoint()},
          {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"},
          {"OTEL_EXPORTER_OTLP_HEADERS", fmt::format("{}={}", kAgentTokenHeader, token)}};
}

void OtlpReceiver::reject(httplib::Response& res, const std::string& span_id, int status, const std::string& reason,
                          const httplib::Request& req) {
  Rejection r{"otlp", status, reason, req.path, 0};
  r.body_bytes = req.body.size();
  if (r.body_bytes == 0) r.body_bytes = req.get_header_value<uint64_t>("Content-Length");
  res.status = status;
  res.set_content(rejection_body(r), "application/json");
  ++counters_.rejected;
  record_rejection(store_, span_id, r);
}

void OtlpReceiver::handle(Signal signal, const httplib::Request& req, httplib::Response& res) {
  auto entry = tokens_.find(req.get_header_value(kAgentTokenHeader));
  if (!entry)
    return reject(res, options_.run_span_id, 401,
                  fmt::format("missing or unknown {} header: each agent sends with the token in its "
                              "OTEL_EXPORTER_OTLP_HEADERS",
                              kAgentTokenHeader),
                  req);
  std::string problem = content_type_problem(req.get_header_value("Content-Type"));
  if (!problem.empty()) return reject(res, entry->target.agent_span_id, 415, problem, req);
  if (signal == Signal::metrics) {  // accepted so exporters do not retry, but not decoded (no metrics model)
    res.set_content("{}", "application/json");
    return;
  }
  std::string body = req.body;
  decode(*entry, body, res);
  if (res.status != 200) reject(res, entry->target.agent_span_id, res.status, res.body, req);
}

void OtlpReceiver::decode(AgentTelemetryEntry& entry, std::string& body, httplib::Response& res) {
  // Redacted before anything is parsed or kept: the raw copy and the spans both come from the redacted text.
  trace::redact_in_place(body);
  trace::Json doc;
  try {
    doc = trace::Json::parse(body);
  } catch (const trace::Json::exception& e) {  // parse_error, and out_of_range for a number such as 1e999
    res.status = 400;
    res.body = fmt::format("malformed OTLP JSON: {}", e.what());
    return;
  }
  if (!doc.is_object()) {
    res.status = 400;
    res.body = "malformed OTLP JSON: the body must be an object (an Export*ServiceRequest)";
    return;
  }
  const TelemetryTarget& t = entry.target;
  std::lock_guard lock(entry.otlp_mu);
  if (!entry.otlp) {
    auto state = std::make_shared<OtlpAgentState>();
    std::string rel = (fs::path(t.agent_dir_rel) / "otlp.jsonl").string();
    fs::create_directories(fs::path(t.run_dir) / t.agent_dir_rel);
    trace::RawInput raw;
    raw.path = rel;
    raw.format = std::string(trace::to_string(trace::Format::otlp));
    raw.trace_id = t.trace_id;
    raw.parent_span_id = t.agent_span_id;
    raw.label = t.agent_id;
    state->raw_id = store_.add_raw_input(raw);
    state->raw = std::fopen((fs::path(t.run_dir) / rel).c_str(), "ab");
    state->sink = std::make_unique<trace::RawInputSink>(store_, state->raw_id);
    trace::DecodeContext ctx;
    ctx.sink = state->sink.get();
    ctx.trace_id = t.trace_id;
    ctx.parent_span_id = t.agent_span_id;
    ctx.scope = fmt::format("raw:{}", state->raw_id);  // as trace::rebuild derives it: rebuilt ids are the same
    ctx.label = t.agent_id;
    ctx.live_clock = true;
    state->decoder = std::make_unique<trace::OtlpDocumentDecoder>(ctx);
    entry.otlp = state;
  }
  OtlpAgentState& s = *entry.otlp;
  if (s.finished) {  // a request that found the token just before the agent ended
    res.status = 401;
    res.body = "the agent this token belonged to has ended";
    return;
  }
  std::string line = doc.dump(-1, ' ', false, trace::Json::error_handler_t::replace) + "\n";
  if (s.raw && s.raw_written + line.size() <= options_.raw_limit) {
    std::fwrite(line.data(), 1, line.size(), s.raw);
    std::fflush(s.raw);
    s.raw_written += line.size();
  } else if (!s.raw_truncated) {
    s.raw_truncated = true;
    record_rejection(store_, t.agent_span_id,
                     {"otlp", 200, fmt::format("otlp.jsonl reached its {}-byte limit: later documents are decoded "
                                               "but not kept", options_.raw_limit), "", line.size()});
  }
  trace::OtlpDocumentStats st = s.decoder->decode(doc, ++s.line);
  ++counters_.documents;
  counters_.spans += st.spans;
  counters_.events += st.events;
  std::string partial;
  for (const auto& p : st.problems) {
    trace::Event e;
    e.span_id = t.agent_span_id;
    e.seq = s.line;
    e.time_ns = wall_now_ns();
    e.type = "decode.error";
    e.payload = {{"line", s.line}, {"reason", p.reason}, {"sample", p.sample.substr(0, 200)}};
    s.sink->put_event(e);
    if (partial.empty()) partial = p.reason;
  }
  nlohmann::json reply = nlohmann::json::object();
  if (!partial.empty())
    reply["partialSuccess"] = {{"errorMessage", fmt::format("{} problem(s); first: {}", st.problems.size(), partial)}};
  res.status = 200;
  res.set_content(reply.dump(), "application/json");
}

void OtlpReceiver::finish_agent(AgentTelemetryEntry& entry) {
  std::lock_guard lock(entry.otlp_mu);
  if (!entry.otlp) return;
  entry.otlp->finished = true;
  trace::OtlpDocumentStats st = entry.otlp->decoder->finish();
  counters_.spans += st.spans;
  if (entry.otlp->raw) {
    std::fclose(entry.otlp->raw);
    entry.otlp->raw = nullptr;
  }
}

}  // namespace telemetry

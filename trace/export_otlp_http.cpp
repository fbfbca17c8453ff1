// POSTing OTLP/HTTP JSON batches (cpp-httplib). A batch is retried with exponential backoff on a connection
// failure, 429 or 5xx (the OTLP/HTTP retryable answers, honouring Retry-After up to 30 s); any other answer,
// or the last failed attempt, stops the export with an error naming the URL, the attempts and the last
// answer.
#include <fmt/format.h>
#include <httplib.h>

#include <chrono>
#include <thread>

#include "trace/export_otlp.h"
#include "trace/otlp_json.h"
#include "trace/json_parse.h"

namespace trace {
namespace {

struct Target {
  std::string origin;  // scheme://host[:port]
  std::string path;    // /v1/traces, or <base>/v1/traces
};

std::optional<Target> parse_endpoint(const std::string& endpoint) {
  size_t scheme = endpoint.find("://");
  if (scheme == std::string::npos) return std::nullopt;
  std::string s = endpoint.substr(0, scheme);
  if (s != "http" && s != "https") return std::nullopt;
  size_t slash = endpoint.find('/', scheme + 3);
  Target t{endpoint.substr(0, slash), slash == std::string::npos ? "" : endpoint.substr(slash)};
  if (t.origin.size() <= scheme + 3) return std::nullopt;
  while (!t.path.empty() && t.path.back() == '/') t.path.pop_back();
  if (!t.path.ends_with("/v1/traces")) t.path += "/v1/traces";
  return t;
}

std::string clipped(const std::string& s) { return s.size() > 300 ? s.substr(0, 300) + "…" : s; }

int64_t rejected_spans(const std::string& body) {
  Json j = trace::parse_untrusted_json(body);
  if (!j.is_object() || !j.contains("partialSuccess") || !j["partialSuccess"].is_object()) return 0;
  const Json& r = j["partialSuccess"].value("rejectedSpans", Json(0));
  return json_int64(r).value_or(0);
}

}  // namespace

OtlpExportResult export_otlp_http(Store& store, const std::string& endpoint,
                                  const OtlpExportOptions& options) {
  auto target = parse_endpoint(endpoint);
  if (!target) {
    OtlpExportResult r;
    r.error = fmt::format(
        "{}: not an OTLP/HTTP endpoint (expected http://host:port or https://host:port[/path])", endpoint);
    return r;
  }
  httplib::Client client(target->origin);
  client.set_connection_timeout(options.timeout_seconds, 0);
  client.set_read_timeout(options.timeout_seconds, 0);
  client.set_write_timeout(options.timeout_seconds, 0);
  const std::string url = target->origin + target->path;
  int64_t retries = 0, rejected = 0;
  std::string error;
  OtlpExportResult result = for_each_otlp_batch(store, options.batch_size, [&](const Json& doc) {
    const std::string body = doc.dump(-1, ' ', false, Json::error_handler_t::replace);
    int64_t backoff_ms = options.initial_backoff_ms;
    std::string last;
    for (int attempt = 1; attempt <= std::max(1, options.max_attempts); ++attempt) {
      if (attempt > 1) {
        ++retries;
        std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
        backoff_ms *= 2;
      }
      auto res = client.Post(target->path, body, "application/json");
      if (!res) {
        last = fmt::format("connection failed ({})", httplib::to_string(res.error()));
        continue;
      }
      if (res->status >= 200 && res->status < 300) {
        rejected += rejected_spans(res->body);
        return true;
      }
      last = fmt::format("HTTP {}: {}", res->status, clipped(res->body));
      if (res->status != 429 && res->status < 500) {
        error = fmt::format("POST {} was refused: {}", url, last);  // not retryable: the data itself is wrong
        return false;
      }
      if (res->has_header("Retry-After")) {
        int64_t seconds = std::atoll(res->get_header_value("Retry-After").c_str());
        if (seconds > 0) backoff_ms = std::max<int64_t>(backoff_ms, std::min<int64_t>(seconds, 30) * 1000);
      }
    }
    error = fmt::format("POST {} failed after {} attempts: {}", url, std::max(1, options.max_attempts), last);
    return false;
  });
  result.retries = retries;
  result.rejected_spans = rejected;
  result.error = error;
  return result;
}

}  // namespace trace

// OTLP/HTTP JSON export: the JSON of a span, a round trip through import, batching, POST with retries against
// a real cpp-httplib server on 127.0.0.1, and the `harness export` CLI.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "trace/export_otlp.h"
#include "trace/import.h"
#include "trace/otlp_json.h"

namespace fs = std::filesystem;
using namespace trace;

namespace {

fs::path scratch(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("harness-export-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(p);
  return p;
}

std::string fixture(const std::string& rel) { return std::string(HARNESS_FIXTURES) + "/" + rel; }

std::string export_text(Store& store, size_t batch = 512) {
  std::ostringstream out;
  OtlpExportOptions options;
  options.batch_size = batch;
  EXPECT_TRUE(export_otlp_json(store, out, options).ok());
  return out.str();
}

std::map<std::string, Span> spans_of(Store& store) {
  std::map<std::string, Span> out;
  store.for_each_span([&](const Span& s) { out[s.span_id] = s; });
  return out;
}

// (span, type, time, payload) of every event, sorted: what a round trip must keep.
std::vector<std::string> events_of(Store& store) {
  std::vector<std::string> out;
  store.for_each_event([&](const Event& e) {
    out.push_back(e.span_id + " " + e.type + " " + std::to_string(e.time_ns) + " " + e.payload.dump());
  });
  std::sort(out.begin(), out.end());
  return out;
}

// A real OTLP/HTTP receiver on a free loopback port: answers each POST with the next planned status.
struct Collector {
  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::mutex mu;
  std::vector<std::string> bodies;
  std::vector<std::string> paths;
  std::vector<int> plan;  // statuses to answer, in order; 200 once it runs out
  explicit Collector(std::vector<int> statuses) : plan(std::move(statuses)) {
    server.Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu);
      bodies.push_back(req.body);
      paths.push_back(req.path);
      int status = bodies.size() <= plan.size() ? plan[bodies.size() - 1] : 200;
      res.status = status;
      res.set_content(status == 200 ? "{}" : status == 503 ? "busy" : "bad request", "text/plain");
    });
    port = server.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server.listen_after_bind(); });
    while (!server.is_running()) std::this_thread::yield();
  }
  ~Collector() {
    server.stop();
    thread.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
};

}  // namespace

TEST(OtlpExport, SpanJsonCarriesHexIdsStringTimesAndGenAiAttributes) {
  Span s;
  s.trace_id = "0123456789abcdef0123456789abcdef";
  s.span_id = "00000000000000aa";
  s.parent_span_id = "00000000000000a0";
  s.kind = SpanKind::llm;
  s.name = "chat claude-sonnet-4-5";
  s.start_ns = 1700000000000000000;
  s.end_ns = 1700000001000000000;
  s.status = SpanStatus::error;
  s.attributes = {{"gen_ai.request.model", "claude-sonnet-4-5"}, {"error.message", "overloaded"}};
  s.usage = {100, 20, 80, 0, 0.5};
  Event e;
  e.time_ns = 1700000000500000000;
  e.type = "error";
  e.payload = {{"message", "overloaded"}, {"attempt", 2}};
  Json j = otlp_span_json(s, {e});
  EXPECT_EQ(j["traceId"], s.trace_id);
  EXPECT_EQ(j["spanId"], s.span_id);
  EXPECT_EQ(j["parentSpanId"], s.parent_span_id);
  EXPECT_EQ(j["startTimeUnixNano"], "1700000000000000000");
  EXPECT_EQ(j["endTimeUnixNano"], "1700000001000000000");
  EXPECT_EQ(j["kind"], 1);
  EXPECT_EQ(j["status"], Json({{"code", 2}, {"message", "overloaded"}}));
  Json attrs = from_key_values(j["attributes"]);
  EXPECT_EQ(attrs["openinference.span.kind"], "LLM");
  EXPECT_EQ(attrs["harness.span.kind"], "llm");
  EXPECT_EQ(attrs["gen_ai.operation.name"], "chat");
  EXPECT_EQ(attrs["gen_ai.usage.input_tokens"], 100);
  EXPECT_EQ(attrs["gen_ai.usage.cache_read.input_tokens"], 80);
  EXPECT_FALSE(attrs.contains("gen_ai.usage.cache_creation.input_tokens"));
  EXPECT_EQ(attrs["llm.token_count.total"], 120);
  EXPECT_EQ(attrs["llm.model_name"], "claude-sonnet-4-5");
  EXPECT_EQ(attrs["harness.usage.cost_usd"], 0.5);
  // int64 values travel as decimal strings, as the OTLP JSON mapping requires.
  EXPECT_EQ(j["events"][0]["attributes"][0], Json::parse(R"({"key":"attempt","value":{"intValue":"2"}})"));
  EXPECT_EQ(j["events"][0]["timeUnixNano"], "1700000000500000000");
}

// Import the OTLP and Codex fixtures, export, import the export: the same spans, events and tree; exporting
// the second store gives the same bytes as exporting the first (the mapping is a fixpoint).
TEST(OtlpExport, RoundTripThroughImportKeepsTheSpanTree) {
  fs::path first = scratch("rt1"), second = scratch("rt2");
  import_files({fixture("otlp-json/trace.json"), fixture("otlp-json/logs.json"),
                fixture("codex-exec-json/hive-mind_issue-2136_live-attempt-unauthenticated.stdout.ndjson"),
                fixture("codex-exec-json/agent-wrappers_resume.jsonl")},
               std::nullopt, first.string());
  auto store1 = open_trace_dir(first.string(), false);
  std::string text1 = export_text(*store1);
  fs::path file = first / "export.jsonl";
  std::ofstream(file) << text1;
  auto imported = import_files({file.string()}, std::nullopt, second.string());
  ASSERT_EQ(imported.size(), 1u);
  EXPECT_EQ(imported[0].format, Format::otlp);
  EXPECT_EQ(imported[0].stats.errors, 0);
  auto store2 = open_trace_dir(second.string(), false);
  auto a = spans_of(*store1), b = spans_of(*store2);
  ASSERT_EQ(a.size(), 5u);  // trace.json: 1 span; logs.json: none; each Codex file: a session and a turn
  ASSERT_EQ(b.size(), a.size());
  for (const auto& [id, s] : a) {
    ASSERT_TRUE(b.contains(id)) << id;
    const Span& t = b.at(id);
    EXPECT_EQ(t.trace_id, s.trace_id);
    EXPECT_EQ(t.parent_span_id, s.parent_span_id);
    EXPECT_EQ(t.session_id, s.session_id);
    EXPECT_EQ(t.kind, s.kind);
    EXPECT_EQ(t.name, s.name);
    EXPECT_EQ(t.start_ns, s.start_ns);
    EXPECT_EQ(t.end_ns, s.end_ns);
    EXPECT_EQ(t.status, s.status);
    EXPECT_EQ(t.usage.input_tokens, s.usage.input_tokens);
    EXPECT_EQ(t.usage.output_tokens, s.usage.output_tokens);
    EXPECT_EQ(t.usage.cache_read_tokens, s.usage.cache_read_tokens);
    for (const auto& [k, v] : s.attributes.items()) EXPECT_EQ(t.attributes[k], v) << id << " " << k;
  }
  EXPECT_EQ(events_of(*store2), events_of(*store1));
  EXPECT_EQ(export_text(*store2), text1);
  fs::remove_all(first);
  fs::remove_all(second);
}

TEST(OtlpExport, BatchesHoldAtMostBatchSizeSpans) {
  fs::path dir = scratch("batch");
  import_files({fixture("codex-exec-json/agent-wrappers_streaming.jsonl"),
                fixture("codex-exec-json/agent-wrappers_resume.jsonl")},
               std::nullopt, dir.string());
  auto store = open_trace_dir(dir.string(), false);
  std::istringstream lines(export_text(*store, 3));  // 4 spans (2 sessions, 2 turns) -> 3 + 1
  std::vector<size_t> sizes;
  for (std::string line; std::getline(lines, line);) {
    size_t n = 0;
    Json doc = Json::parse(line);
    for (const auto& rs : doc["resourceSpans"])
      for (const auto& ss : rs["scopeSpans"]) n += ss["spans"].size();
    sizes.push_back(n);
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{3, 1}));
  fs::remove_all(dir);
}

TEST(OtlpExport, PostRetriesA503AndDeliversTheSameDocument) {
  fs::path dir = scratch("post");
  import_files({fixture("codex-exec-json/agent-wrappers_streaming.jsonl")}, std::nullopt, dir.string());
  auto store = open_trace_dir(dir.string(), false);
  Collector collector({503});
  OtlpExportOptions options;
  options.initial_backoff_ms = 1;
  OtlpExportResult r = export_otlp_http(*store, collector.url(), options);
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.retries, 1);
  EXPECT_EQ(r.batches, 1);
  EXPECT_EQ(r.spans, 2);
  EXPECT_EQ(r.events, 3);
  ASSERT_EQ(collector.bodies.size(), 2u);
  EXPECT_EQ(collector.bodies[0], collector.bodies[1]);
  EXPECT_EQ(collector.bodies[1] + "\n", export_text(*store));
  fs::remove_all(dir);
}

TEST(OtlpExport, PostGivesUpWithAClearError) {
  fs::path dir = scratch("fail");
  import_files({fixture("codex-exec-json/agent-wrappers_streaming.jsonl")}, std::nullopt, dir.string());
  auto store = open_trace_dir(dir.string(), false);
  OtlpExportOptions options;
  options.initial_backoff_ms = 1;
  options.max_attempts = 2;
  {
    Collector busy({503, 503, 503});
    OtlpExportResult r = export_otlp_http(*store, busy.url(), options);
    EXPECT_EQ(r.error, "POST " + busy.url() + "/v1/traces failed after 2 attempts: HTTP 503: busy");
    EXPECT_EQ(r.spans, 0);
    EXPECT_EQ(busy.paths, (std::vector<std::string>{"/v1/traces", "/v1/traces"}));
  }
  {
    Collector refusing({400});
    OtlpExportResult r = export_otlp_http(*store, refusing.url() + "/base/", options);
    EXPECT_EQ(r.error, "POST " + refusing.url() + "/base/v1/traces was refused: HTTP 400: bad request");
    EXPECT_EQ(refusing.paths, std::vector<std::string>{"/base/v1/traces"});  // a 400 is not retried
  }
  int closed_port;
  {
    Collector gone({});
    closed_port = gone.port;
  }
  std::string url = "http://127.0.0.1:" + std::to_string(closed_port);
  OtlpExportResult r = export_otlp_http(*store, url, options);
  EXPECT_EQ(r.error, "POST " + url + "/v1/traces failed after 2 attempts: connection failed (Connection)");
  EXPECT_EQ(
      export_otlp_http(*store, "127.0.0.1:4318", options).error,
      "127.0.0.1:4318: not an OTLP/HTTP endpoint (expected http://host:port or https://host:port[/path])");
  fs::remove_all(dir);
}

TEST(OtlpExport, CliWritesAFileAndRejectsAMissingTarget) {
  fs::path dir = scratch("cli");
  import_files({fixture("codex-exec-json/agent-wrappers_resume.jsonl")}, std::nullopt, dir.string());
  fs::path out = dir / "out.jsonl";
  std::string cmd = std::string(HARNESS_BINARY) + " export " + dir.string() + " --format otlp-json -o " +
                    out.string() + " > " + (dir / "stdout").string() + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::ifstream in(out);
  std::string line;
  std::getline(in, line);
  Json doc = Json::parse(line);
  EXPECT_EQ(doc["resourceSpans"][0]["scopeSpans"][0]["spans"].size(), 2u);
  std::ifstream said(dir / "stdout");
  std::getline(said, line);
  EXPECT_EQ(line, "exported 2 spans, 3 events in 1 batches to " + out.string());
  std::string bad =
      std::string(HARNESS_BINARY) + " export " + dir.string() + " > " + (dir / "err").string() + " 2>&1";
  EXPECT_EQ(WEXITSTATUS(std::system(bad.c_str())), 2);
  std::ifstream err(dir / "err");
  std::getline(err, line);
  EXPECT_EQ(line, "harness: export: give --format otlp-json [-o FILE] or --otlp-endpoint URL");
  fs::remove_all(dir);
}

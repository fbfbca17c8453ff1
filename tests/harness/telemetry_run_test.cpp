// A real `harness run` with the OTLP receiver and the LLM proxy on: two agents (python scripts) export a span
// and make one streamed model call each through the proxy to an in-test upstream; each agent's span and llm span
// land under its own agent span, with the usage the upstream sent, and no key text is stored anywhere.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "loop_fixture.h"
#include "tests/telemetry/telemetry_test_util.h"
#include "trace/store.h"

namespace fs = std::filesystem;
using namespace telemetry::testing;

namespace {

const char* kAgentPy = R"PY(import json, os, sys, urllib.request
endpoint = os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"]
name, value = os.environ["OTEL_EXPORTER_OTLP_HEADERS"].split("=", 1)
trace_id = os.environ["TRACEPARENT"].split("-")[1]
span_id = "%016x" % (0xabc000 + int(os.environ["HARNESS_AGENT_ID"][-1]))
doc = {"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": trace_id, "spanId": span_id,
       "name": "agent work", "startTimeUnixNano": "1", "endTimeUnixNano": "2"}]}]}]}
req = urllib.request.Request(endpoint + "/v1/traces", data=json.dumps(doc).encode(),
                             headers={name: value, "Content-Type": "application/json"})
assert urllib.request.urlopen(req).status == 200
req = urllib.request.Request(os.environ["ANTHROPIC_BASE_URL"] + "/v1/messages",
                             data=json.dumps({"model": "claude-test", "stream": True}).encode(),
                             headers={"x-api-key": os.environ["ANTHROPIC_API_KEY"],
                                      "Authorization": "Bearer " + os.environ["ANTHROPIC_API_KEY"],
                                      "Content-Type": "application/json"})
body = urllib.request.urlopen(req).read().decode()
assert "message_stop" in body, body
print(json.dumps({"hv": 1, "type": "session.start", "session": "main", "agent": "py"}))
print(json.dumps({"hv": 1, "type": "session.end", "session": "main", "status": "ok"}))
)PY";

std::vector<std::string> stream() {
  return {sse("message_start", R"({"type":"message_start","message":{"model":"claude-test",)"
                               R"("usage":{"input_tokens":321,"output_tokens":1}}})"),
          sse("content_block_delta", R"({"type":"content_block_delta","index":0,)"
                                     R"("delta":{"type":"text_delta","text":"hi"}})"),
          sse("message_delta", R"({"type":"message_delta","delta":{"stop_reason":"end_turn"},)"
                               R"("usage":{"output_tokens":12}})"),
          sse("message_stop", R"({"type":"message_stop"})")};
}

TEST(TelemetryRun, AgentsTelemetryAndModelCallsLandUnderTheirOwnAgentSpans) {
  harness_test::LoopFixture f;
  ScriptedUpstream upstream;
  upstream.chunks = stream();
  std::ofstream(f.dir() + "/agent.py") << kAgentPy;
  std::string cfg = f.dir() + "/telemetry.yaml";
  std::ofstream(cfg) << "name: telemetry\n"
                        "target:\n  repo: repo\n  bug: state.txt says bug\n"
                        "verify:\n  command: ./verify.sh\n"
                        "generations: 1\npopulation: 2\nconcurrency: 2\n"
                        "runner:\n  command: [python3, \"" << f.dir() << "/agent.py\"]\n  format: jsonl\n"
                        "  env:\n    ANTHROPIC_BASE_URL: " << upstream.url() << "\n"
                        "    ANTHROPIC_API_KEY: \"${TEST_PROXY_KEY}\"\n"
                        "proxy:\n  enabled: true\n";
  std::string run = f.dir() + "/run";
  auto r = harness_test::run_shell("CI=true TEST_PROXY_KEY=sk-ant-api03-SECRETSECRETSECRET0123 " +
                                   std::string(HARNESS_BINARY) + " run " + cfg + " --run-dir " + run);
  ASSERT_EQ(r.exit_code, 1) << r.output;  // no fix, as the agents make none
  EXPECT_NE(r.output.find("LLM proxy on http://127.0.0.1:"), std::string::npos) << r.output;
  EXPECT_EQ(upstream.seen().size(), 2u);

  auto store = trace::Store::open(run + "/run.db", trace::Store::Mode::read_only);
  std::map<std::string, std::string> agent_of;  // agent span id -> agent id
  store->for_each_span([&](const trace::Span& s) { agent_of[s.span_id] = s.name; }, "kind = 'agent'");
  ASSERT_EQ(agent_of.size(), 2u);
  std::set<std::string> llm_parents, work_parents;
  store->for_each_span(
      [&](const trace::Span& s) {
        EXPECT_EQ(s.attributes["harness.source"], "proxy");
        EXPECT_EQ(s.usage.input_tokens, 321);
        EXPECT_EQ(s.usage.output_tokens, 12);
        EXPECT_EQ(s.status, trace::SpanStatus::ok);
        EXPECT_NE(s.end_ns, 0);
        llm_parents.insert(s.parent_span_id);
      },
      "kind = 'llm'");
  store->for_each_span(
      [&](const trace::Span& s) {
        ASSERT_TRUE(agent_of.count(s.parent_span_id));
        // The span id the script chose from its agent id (kept as exported): it landed under that agent and no
        // other.
        EXPECT_EQ(s.attributes["harness.otlp.span_id"].get<std::string>().back(), agent_of[s.parent_span_id].back());
        work_parents.insert(s.parent_span_id);
      },
      "name = 'agent work'");
  std::set<std::string> agents;
  for (const auto& [id, name] : agent_of) agents.insert(id);
  EXPECT_EQ(llm_parents, agents);
  EXPECT_EQ(work_parents, agents);
  store.reset();
  for (const auto& file : fs::recursive_directory_iterator(run)) {
    if (!file.is_regular_file()) continue;
    std::ifstream in(file.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find("SECRETSECRET"), std::string::npos) << file.path();
  }
}

}  // namespace

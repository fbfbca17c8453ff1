// Budgets enforced at the LLM proxy, before the spend, with a real `harness run`: an agent (a python script) makes
// ten model calls of 1,000 tokens each through the run's proxy to an in-test upstream, with
// budget.agent.tokens: 3500. The proxy forwards the calls while budget is left (the fourth overshoots by at most
// that one call), answers the next with an API-shaped 400 the agent stops on, and the agent is ended as
// killed_budget with the proxy-seen tokens on its record and in run.db; a price table entry from the config
// prices every call.
#include <gtest/gtest.h>

#include <fstream>

#include "loop_fixture.h"
#include "tests/telemetry/telemetry_test_util.h"
#include "trace/store.h"

using namespace telemetry::testing;

namespace {

// Stops at the first refusal, as the real CLIs do on a non-retryable 400; prints what it was told after a pause
// (a CLI takes a moment to render the error): over budget through the proxy, it is not killed before it can.
const char* kAgentPy = R"PY(import json, os, sys, time, urllib.request, urllib.error
for i in range(10):
    req = urllib.request.Request(os.environ["ANTHROPIC_BASE_URL"] + "/v1/messages",
                                 data=json.dumps({"model": "budget-model", "stream": True}).encode(),
                                 headers={"x-api-key": "k", "Content-Type": "application/json"})
    try:
        body = urllib.request.urlopen(req).read().decode()
    except urllib.error.HTTPError as e:
        time.sleep(0.5)
        print(json.dumps({"hv": 1, "type": "error", "session": "main",
                          "message": "refused %d %s %s" % (e.code, e.headers.get("x-should-retry"), e.read().decode())}))
        sys.exit(1)
    assert "message_stop" in body, body
)PY";

std::vector<std::string> stream() {
  return {sse("message_start", R"({"type":"message_start","message":{"model":"budget-model","id":"msg_1",)"
                               R"("usage":{"input_tokens":900,"output_tokens":1}}})"),
          sse("message_delta", R"({"type":"message_delta","delta":{"stop_reason":"end_turn"},)"
                               R"("usage":{"output_tokens":100}})"),
          sse("message_stop", R"({"type":"message_stop"})")};
}

TEST(ProxyBudget, AnAgentIsRefusedPastItsTokenBudgetAndEndedAsBudget) {
  harness_test::LoopFixture f;
  ScriptedUpstream upstream;
  upstream.chunks = stream();
  std::ofstream(f.dir() + "/agent.py") << kAgentPy;
  std::string cfg = f.dir() + "/budget.yaml";
  std::ofstream(cfg) << "name: budget\n"
                        "target:\n  repo: repo\n  bug: state.txt says bug\n"
                        "verify:\n  command: ./verify.sh\n"
                        "generations: 1\npopulation: 1\n"
                        "runner:\n  command: [python3, \"" << f.dir() << "/agent.py\"]\n  format: jsonl\n"
                        "  env:\n    ANTHROPIC_BASE_URL: " << upstream.url() << "\n"
                        "proxy:\n  enabled: true\n"
                        "budget:\n  agent: {tokens: 3500}\n"
                        "  prices:\n    budget-model: {input: 3, output: 15}\n";
  std::string run = f.dir() + "/run";
  auto r = f.harness("run " + cfg + " --run-dir " + run);
  ASSERT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(upstream.seen().size(), 4u) << "three calls leave 500 tokens, the fourth uses them up: never a fifth";

  auto a = f.status(run)["generations"][0]["agents"][0];
  EXPECT_EQ(a["outcome"], "killed_budget") << a.dump();
  EXPECT_NE(a["reason"].get<std::string>().find("this agent's budget of 3500 tokens (4000 used)"), std::string::npos)
      << a.dump();

  auto store = trace::Store::open(run + "/run.db", trace::Store::Mode::read_only);
  int64_t llm = 0, tokens = 0;
  double usd = 0;
  store->query("SELECT count(*), sum(input_tokens + output_tokens), sum(cost_usd) FROM spans WHERE kind = 'llm'", {},
               [&](const trace::Row& row) {
                 llm = row.int64(0);
                 tokens = row.int64(1);
                 usd = row.real(2);
               });
  EXPECT_EQ(llm, 4);
  EXPECT_EQ(tokens, 4000);
  EXPECT_NEAR(usd, 4 * (900 * 3 + 100 * 15) / 1e6, 1e-9) << "priced from the config's entry";
  std::vector<nlohmann::json> refused, errors;
  store->query("SELECT payload FROM events WHERE type = 'budget.refused'", {},
               [&](const trace::Row& row) { refused.push_back(nlohmann::json::parse(row.text(0))); });
  ASSERT_EQ(refused.size(), 1u) << "the agent stopped at the first refusal";
  EXPECT_EQ(refused[0]["scope"], "agent");
  EXPECT_EQ(refused[0]["tokens"], 4000);
  store->query("SELECT payload FROM events WHERE type = 'error'", {},
               [&](const trace::Row& row) { errors.push_back(nlohmann::json::parse(row.text(0))); });
  ASSERT_EQ(errors.size(), 1u);
  std::string told = errors[0].dump();
  EXPECT_NE(told.find("refused 400 false"), std::string::npos) << told;
  EXPECT_NE(told.find("invalid_request_error"), std::string::npos) << "Anthropic's error shape: " << told;
  int64_t record_tokens = 0;
  store->query("SELECT input_tokens + output_tokens FROM harness_agents", {},
               [&](const trace::Row& row) { record_tokens = row.int64(0); });
  EXPECT_EQ(record_tokens, 4000);
}

}  // namespace

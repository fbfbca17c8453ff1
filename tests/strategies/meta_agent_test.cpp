// The meta-agent: a valid plan is used (known names start from their preset), and every failure falls back to the
// policy's allocation with the reason. The command runner is a hand-written fake.
#include <gtest/gtest.h>

#include "strategies/meta_agent.h"

namespace strategies {
namespace {

Strategy named(const std::string& name, nlohmann::json params) {
  Strategy s;
  s.name = name;
  s.params = std::move(params);
  return s;
}

struct FakeRunner {
  CommandOutcome answer;
  std::string command_seen, input_seen;
  int calls = 0;
  CommandRunner runner() {
    return [this](const std::string& command, const std::string& input) {
      ++calls;
      command_seen = command;
      input_seen = input;
      return answer;
    };
  }
};

MetaAgentRequest request() {
  MetaAgentRequest r;
  r.command = "./meta.sh";
  r.generation = 3;
  r.slots = 3;
  r.digest = {{"generation", 2}};
  r.observations = nlohmann::json::array({{{"id", "O-0001"}}});
  r.known = {named("bisect", {{"approach", "bisect"}, {"budget_steps", 50}}), named("minimal-fix", {{"budget_steps", 30}})};
  r.stats = {{"bisect", 2, 0.5}};
  return r;
}

const std::vector<Strategy> kFallback = {named("minimal-fix", {{"budget_steps", 30}}),
                                         named("bisect", {{"approach", "bisect"}, {"budget_steps", 50}}),
                                         named("minimal-fix", {{"budget_steps", 30}})};

TEST(MetaAgent, UsesAValidPlanAndFillsMissingSlotsFromThePolicy) {
  FakeRunner fake;
  fake.answer.output =
      R"({"strategies":[{"name":"bisect","params":{"budget_steps":80},"model":"opus"},)"
      R"({"name":"lock-audit","params":{"approach":"audit every lock"}}]})";
  MetaPlan plan = plan_with_meta_agent(request(), fake.runner(), kFallback);
  EXPECT_EQ(plan.error, "");
  EXPECT_TRUE(plan.from_meta_agent);
  ASSERT_EQ(plan.strategies.size(), 3u);
  EXPECT_EQ(plan.strategies[0].name, "bisect");
  EXPECT_EQ(plan.strategies[0].params, (nlohmann::json{{"approach", "bisect"}, {"budget_steps", 80}}));
  EXPECT_EQ(plan.strategies[0].model, "opus");
  EXPECT_EQ(plan.strategies[1].name, "lock-audit");
  EXPECT_EQ(plan.strategies[1].params, (nlohmann::json{{"approach", "audit every lock"}}));
  EXPECT_EQ(plan.strategies[2], kFallback[2]);
  EXPECT_EQ(fake.command_seen, "./meta.sh");
  auto input = nlohmann::json::parse(fake.input_seen);
  EXPECT_EQ(input["protocol"], "harness.meta/1");
  EXPECT_EQ(input["generation"], 3);
  EXPECT_EQ(input["slots"], 3);
  EXPECT_EQ(input["digest"]["generation"], 2);
  EXPECT_EQ(input["observations"][0]["id"], "O-0001");
  EXPECT_EQ(input["strategies"][0]["name"], "bisect");
  EXPECT_EQ(input["strategies"][0]["trials"], 2);
  EXPECT_EQ(input["strategies"][0]["mean_score"], 0.25);
  EXPECT_FALSE(input["strategies"][1].contains("trials"));
}

TEST(MetaAgent, EveryFailureFallsBackToThePolicyWithTheReason) {
  struct Case {
    CommandOutcome answer;
    std::string error;
  };
  std::vector<Case> cases = {
      {{"", "exited with status 2: Traceback"}, "meta.command exited with status 2: Traceback"},
      {{"", "timed out after 120s (killed)"}, "meta.command timed out after 120s (killed)"},
      {{"I think you should use bisect", ""}, "meta.command output is not JSON: \"I think you should use bisect\""},
      {{"  Sure!\n\tHere  you go: {\n", ""}, "meta.command output is not JSON: \"Sure! Here you go: {\""},
      // Clipped at 80 bytes without splitting the two-byte "é" that would straddle the limit.
      {{std::string(79, 'x') + "\xc3\xa9 and more", ""}, "meta.command output is not JSON: \"" + std::string(79, 'x') + "\""},
      {{R"({"plan":[]})", ""}, "meta.command output: expected an object with a \"strategies\" array"},
      {{R"({"strategies":[]})", ""}, "meta.command output: 0 strategies for 3 slots; expected 1 to 3"},
      {{R"({"strategies":[{"name":"a","params":{}},{"name":"b","params":{}},{"name":"c","params":{}},)"
        R"({"name":"d","params":{}}]})",
        ""},
       "meta.command output: 4 strategies for 3 slots; expected 1 to 3"},
      {{R"({"strategies":[{"params":{}}]})", ""},
       "meta.command output: strategies[0].name: expected a strategy name (1-64 letters, digits, - _ . + ~)"},
      {{R"({"strategies":[{"name":"x y"}]})", ""},
       "meta.command output: strategies[0].name: expected a strategy name (1-64 letters, digits, - _ . + ~)"},
      {{R"({"strategies":[{"name":"bisect","params":[1]}]})", ""},
       "meta.command output: strategies[0].params: expected an object"},
      {{R"({"strategies":[{"name":"bisect","model":7}]})", ""}, "meta.command output: strategies[0].model: expected a string"},
      {{R"({"strategies":[{"name":"bisect"},{"name":"invented"}]})", ""},
       "meta.command output: strategies[1]: unknown strategy \"invented\" without params"},
  };
  for (const auto& c : cases) {
    FakeRunner fake;
    fake.answer = c.answer;
    MetaPlan plan = plan_with_meta_agent(request(), fake.runner(), kFallback);
    EXPECT_EQ(plan.error, c.error);
    EXPECT_FALSE(plan.from_meta_agent);
    EXPECT_EQ(plan.strategies, kFallback);
  }
}

TEST(MetaAgent, RunnerThatThrowsOrIsMissingFallsBack) {
  CommandRunner throws = [](const std::string&, const std::string&) -> CommandOutcome {
    throw std::runtime_error("fork failed");
  };
  MetaPlan plan = plan_with_meta_agent(request(), throws, kFallback);
  EXPECT_EQ(plan.error, "meta.command could not run: fork failed");
  EXPECT_EQ(plan.strategies, kFallback);
  EXPECT_EQ(plan_with_meta_agent(request(), nullptr, kFallback).error, "meta.command: no command runner");
  MetaAgentRequest none = request();
  none.command.clear();
  FakeRunner fake;
  EXPECT_EQ(plan_with_meta_agent(none, fake.runner(), kFallback).error, "meta.command is empty");
  EXPECT_EQ(fake.calls, 0);
}

}  // namespace
}  // namespace strategies

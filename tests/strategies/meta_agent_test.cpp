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
      {{R"({"strategies":[{"name":"bisect","model":7}]})", ""},
       "meta.command output: strategies[0].model: expected a model name (at most 128 characters, no spaces)"},
      {{R"({"strategies":[{"name":"bisect","model":"two words"}]})", ""},
       "meta.command output: strategies[0].model: expected a model name (at most 128 characters, no spaces)"},
      {{R"({"strategies":[{"name":"bisect","params":{"budget_steps":0}}]})", ""},
       "meta.command output: strategies[0].params.budget_steps: expected an integer from 1 to 10000, got 0"},
      {{R"({"strategies":[{"name":"new-one","based_on":"nothing-known","params":{"approach":"x"}}]})", ""},
       "meta.command output: strategies[0].based_on: expected one of the known strategies, got \"nothing-known\""},
      {{R"({"strategies":[{"name":"bisect","observations":["O-0002"]}]})", ""},
       "meta.command output: strategies[0].observations: unknown observation \"O-0002\" (expected one of the ids listed)"},
      {{R"({"strategies":[{"name":"bisect","why":3}]})", ""}, "meta.command output: strategies[0].why: expected a string"},
      {{R"({"strategies":[{"name":"bisect"},{"name":"invented"}]})", ""},
       "meta.command output: strategies[1]: new strategy \"invented\" without params (say at least what its agents "
       "must do)"},
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

TEST(MetaAgent, ANewStrategyStartsFromTheOneItIsBasedOnAndKeepsWhyAndWhichObservations) {
  FakeRunner fake;
  fake.answer.output =
      R"({"strategies":[{"name":"lock-audit","based_on":"bisect","params":{"instructions":"audit the locks"},)"
      R"("why":"  two agents\nsaw the race ","observations":["O-0001"]},{"name":"minimal-fix"}]})";
  MetaPlan plan = plan_with_meta_agent(request(), fake.runner(), kFallback);
  ASSERT_EQ(plan.error, "");
  ASSERT_EQ(plan.proposals.size(), 2u);
  EXPECT_EQ(plan.strategies[0].name, "lock-audit");
  EXPECT_EQ(plan.strategies[0].params,
            (nlohmann::json{{"approach", "bisect"}, {"budget_steps", 50}, {"instructions", "audit the locks"}}));
  EXPECT_TRUE(plan.proposals[0].is_new);
  EXPECT_EQ(plan.proposals[0].based_on, "bisect");
  EXPECT_EQ(plan.proposals[0].why, "two agents saw the race");
  EXPECT_EQ(plan.proposals[0].observations, std::vector<std::string>{"O-0001"});
  EXPECT_FALSE(plan.proposals[1].is_new);
  EXPECT_EQ(plan.attempts, 1);
}

// The presets' retry: a refused answer is asked again once with the reason and the answer in the input; the
// second refusal falls back. A user's command (retries 0) is asked once; a command failure is never retried.
TEST(MetaAgent, ARefusedAnswerIsAskedAgainWithTheReasonThenFallsBack) {
  std::vector<std::string> inputs;
  std::vector<std::string> answers = {R"({"strategies":[{"name":"x y"}]})", R"({"strategies":[{"name":"bisect"}]})"};
  CommandRunner runner = [&](const std::string&, const std::string& input) {
    inputs.push_back(input);
    return CommandOutcome{answers[std::min(inputs.size(), answers.size()) - 1], ""};
  };
  MetaAgentRequest r = request();
  r.retries = 1;
  r.label = "meta-agent codex";
  MetaPlan plan = plan_with_meta_agent(r, runner, kFallback);
  EXPECT_TRUE(plan.from_meta_agent);
  EXPECT_EQ(plan.attempts, 2);
  EXPECT_EQ(plan.retried_error,
            "meta-agent codex output: strategies[0].name: expected a strategy name (1-64 letters, digits, - _ . + ~)");
  ASSERT_EQ(inputs.size(), 2u);
  auto second = nlohmann::json::parse(inputs[1]);
  EXPECT_EQ(second["previous_error"], plan.retried_error);
  EXPECT_EQ(second["previous_answer"], answers[0]);
  EXPECT_FALSE(nlohmann::json::parse(inputs[0]).contains("previous_error"));

  answers = {answers[0]};
  inputs.clear();
  plan = plan_with_meta_agent(r, runner, kFallback);
  EXPECT_FALSE(plan.from_meta_agent);
  EXPECT_EQ(plan.attempts, 2);
  EXPECT_EQ(plan.strategies, kFallback);
  EXPECT_EQ(plan.error.rfind("meta-agent codex output: strategies[0].name", 0), 0u) << plan.error;

  inputs.clear();
  r.retries = 0;
  plan = plan_with_meta_agent(r, runner, kFallback);
  EXPECT_EQ(inputs.size(), 1u);
  EXPECT_EQ(plan.attempts, 1);

  r.retries = 1;
  int calls = 0;
  CommandRunner crashing = [&](const std::string&, const std::string&) {
    ++calls;
    return CommandOutcome{"", "exited with status 3"};
  };
  plan = plan_with_meta_agent(r, crashing, kFallback);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(plan.error, "meta-agent codex exited with status 3");
}

}  // namespace
}  // namespace strategies

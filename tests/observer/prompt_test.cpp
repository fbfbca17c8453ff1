// Prompt rendering: the shipped template with kainjow mustache, the observations block as the exact markdown
// lines, and a generation-2 prompt that carries generation 1's top important observation.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "observer/prompt_context.h"
#include "observer/rules.h"
#include "temp_dir.h"
#include "trace_builder.h"

namespace observer {
namespace {

std::string shipped_template() {
  std::ifstream in(std::string(HARNESS_SOURCE_DIR) + "/templates/agent_prompt.mustache");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Prompt, RendersEveryVariableVerbatim) {
  PromptInputs in;
  in.bug = "drain() returns while items < 0 && the worker runs";
  in.verify_command = "make test";
  in.generation = 2;
  in.generations = 5;
  in.agent_id = "g02-a03";
  in.strategy_name = "bisect";
  in.strategy_params = {{"approach", "bisect"}, {"budget_steps", 50}};
  in.model = "opus";
  in.partial_fixes = {"Fix changing src/q.c passed verify in only 2 of 5 repeats"};
  Observation o = make_observation(Kind::tool_error, "make failed: <stdin>:1: error", "g01-a01", 1, {{"g01-a01", "", 7}});
  o.id = "O-0001";
  in.observations = {o};
  in.total_observations = 9;
  std::string tmpl =
      "{{agent_id}} g{{generation}}/{{generations}} {{#has_model}}model={{model}}{{/has_model}}\n"
      "bug: {{bug}}\nverify: {{verify_command}}\nstrategy {{strategy.name}}:\n"
      "{{#strategy.params}}\n* {{key}}={{value}}\n{{/strategy.params}}\n"
      "{{#partial_fixes}}\npartial: {{text}}\n{{/partial_fixes}}\n"
      "{{observation_count}}/{{total_observations}}\n{{observations}}\n"
      "{{#observation_list}}\n{{id}} {{priority}} {{kind}} {{count}}\n{{/observation_list}}\n";
  EXPECT_EQ(render_prompt(tmpl, in),
            "g02-a03 g2/5 model=opus\n"
            "bug: drain() returns while items < 0 && the worker runs\nverify: make test\nstrategy bisect:\n"
            "* approach=bisect\n* budget_steps=50\n"
            "partial: Fix changing src/q.c passed verify in only 2 of 5 repeats\n"
            "1/9\n- [important] O-0001 (seen 1×, gen 1) make failed: <stdin>:1: error — evidence g01-a01#e7\n"
            "O-0001 important tool_error 1\n");
}

TEST(Prompt, BadTemplateIsReportedNotRendered) {
  EXPECT_EQ(prompt_template_error("{{#observations}}never closed"), "Unclosed section \"observations\" at 0");
  EXPECT_EQ(prompt_template_error(shipped_template()), "");
  EXPECT_THROW(render_prompt("{{#x}}", PromptInputs{}), PromptTemplateError);
}

TEST(Prompt, FirstGenerationPromptSaysSoAndHasNoObservationsSection) {
  PromptInputs in;
  in.bug = "test_drain fails one run in ten";
  in.verify_command = "pytest -q tests/test_queue.py";
  in.generation = 1;
  in.agent_id = "g01-a01";
  in.strategy_name = "reproduce-first";
  in.strategy_params = {{"triage", "failing-test-first"}};
  std::string prompt = render_prompt(shipped_template(), in);
  EXPECT_NE(prompt.find("You are agent g01-a01 in generation 1 of a fleet"), std::string::npos) << prompt;
  EXPECT_NE(prompt.find("## The bug\n\ntest_drain fails one run in ten\n"), std::string::npos) << prompt;
  EXPECT_NE(prompt.find("    pytest -q tests/test_queue.py\n"), std::string::npos) << prompt;
  EXPECT_NE(prompt.find("## Your strategy: reproduce-first\n\n- triage: failing-test-first\n"), std::string::npos)
      << prompt;
  EXPECT_NE(prompt.find("You are in the first generation"), std::string::npos) << prompt;
  EXPECT_NE(prompt.find("`Hypothesis:`"), std::string::npos);
  EXPECT_NE(prompt.find("`Root cause:`"), std::string::npos);
  EXPECT_EQ(prompt.find("What the agents before you observed"), std::string::npos);
  EXPECT_EQ(prompt.find("Partial fixes so far"), std::string::npos);
  EXPECT_EQ(prompt.find("{{"), std::string::npos);
}

// Generation 1 runs and fails; generation 2's prompt carries generation 1's top important observation.
TEST(Prompt, GenerationTwoPromptContainsGenerationOnesTopImportantObservation) {
  observer_test::TempDir dir;
  auto store = trace::Store::open(dir.file("run.db"));
  observer_test::TraceBuilder b(*store);
  ObservationSet set;
  std::vector<Observation> gen1;
  for (int a = 1; a <= 3; ++a) {
    std::string id = "g01-a0" + std::to_string(a);
    AgentOutcome o;
    o.agent_id = id;
    o.generation = 1;
    o.agent_span_id = b.agent(id);
    o.strategy = a == 1 ? "bisect" : "minimal-fix";
    b.tool("Bash", R"({"command":"pytest -q tests/test_queue.py"})", true,
           "E   AssertionError: drained " + std::to_string(a) + " of 4 items", "1");
    b.file("file.write", "src/queue.c");
    o.changed_files = {"src/queue.c"};
    o.verify = {true, false, 0, 3, "tests/test_queue.py:41: AssertionError: drained 3 of 4 items", ""};
    store->flush();
    auto found = extract_observations(*store, o);
    gen1.insert(gen1.end(), found.begin(), found.end());
  }
  set.add(1, gen1);
  Observation top = set.ranked().front();
  ASSERT_EQ(top.priority, Priority::important);
  EXPECT_EQ(top.count, 3);
  EXPECT_EQ(top.text, "Fix attempt changing src/queue.c failed verify: tests/test_queue.py:41: AssertionError: "
                      "drained 3 of 4 items");

  PromptInputs in;
  in.bug = "test_drain loses items";
  in.generation = 2;
  in.agent_id = "g02-a01";
  in.strategy_name = "bisect";
  in.observations = set.select_for_prompt(6000);
  in.total_observations = set.size();
  in.partial_fixes = partial_fix_texts(set);
  std::string prompt = render_prompt(shipped_template(), in);
  EXPECT_NE(prompt.find("## What the agents before you observed\n"), std::string::npos) << prompt;
  EXPECT_NE(prompt.find("\n" + render_line(top) + "\n"), std::string::npos) << prompt;
  EXPECT_NE(prompt.find(render_lines(in.observations)), std::string::npos) << prompt;
  EXPECT_EQ(prompt.find("You are in the first generation"), std::string::npos);
}

}  // namespace
}  // namespace observer

// The observer inside the generation loop, through the real binary: generation 1's findings reach generation 2's
// prompts, observations accumulate without duplicates, their evidence opens with `harness trace why`/`replay`, and
// a broken observer.command or meta.command (crash, garbage, wrong schema, hang) is recorded while the run goes on.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "loop_fixture.h"
#include "observer/observation_set.h"
#include "trace/store.h"

using harness_test::events_of;
using harness_test::LoopFixture;
using harness_test::read_file;

namespace {

TEST(ObserverLoop, FindingsReachTheNextGenerationAccumulateAndTheirEvidenceOpens) {
  LoopFixture f;
  auto cfg = f.write_config("generations: 2\npopulation: 2\nconcurrency: 2\n"
                            "strategies:\n  allocation: fixed\n  list: [{name: wrong}]\n");
  std::string run = f.dir() + "/run";
  auto r = f.harness("run " + cfg + " --run-dir " + run + " --seed 1");
  ASSERT_EQ(r.exit_code, 1) << r.output;  // no fix: every generation ran

  auto store = trace::Store::open(run + "/run.db", trace::Store::Mode::read_only);
  observer::ObservationSet set = observer::ObservationSet::load(*store);

  // Generation 1 started blind; generation 2's prompts carry generation 1's important findings, top one first.
  std::string gen1_prompt = read_file(run + "/gen-001/agent-01/prompt.md");
  EXPECT_NE(gen1_prompt.find("You are in the first generation"), std::string::npos) << gen1_prompt;
  EXPECT_EQ(gen1_prompt.find("[important]"), std::string::npos) << gen1_prompt;
  // Both agents of generation 1 failed the same way: a failed fix and a failed tool call, both important, seen
  // twice each when generation 2's prompts were written; the failed fix was found first, so it ranks first.
  const observer::Observation* failed_fix = set.find("O-0001");
  const observer::Observation* tool_error = set.find("O-0002");
  ASSERT_TRUE(failed_fix && tool_error) << set.render_markdown();
  EXPECT_EQ(failed_fix->text, "Fix attempt changing state.txt failed verify: FAIL: state is not fixed");
  EXPECT_EQ(failed_fix->priority, observer::Priority::important);
  EXPECT_EQ(tool_error->text, "bash ./verify.sh failed (exit 1): FAIL: state is bug");
  EXPECT_EQ(tool_error->priority, observer::Priority::important);
  for (int slot = 1; slot <= 2; ++slot) {
    std::string prompt = read_file(run + fmt::format("/gen-002/agent-{:02}/prompt.md", slot));
    size_t section = prompt.find("## What the agents before you observed");
    ASSERT_NE(section, std::string::npos) << prompt;
    // Generation 1's top important observation is the first line of the section.
    std::string top = "\n- [important] O-0001 (seen 2×, gen 1) " + failed_fix->text + " — evidence g01-a01#e";
    EXPECT_EQ(prompt.find("\n- [", section), prompt.find(top, section)) << prompt;
    EXPECT_NE(prompt.find(top, section), std::string::npos) << prompt;
    for (const auto& o : set.all()) {
      if (o.first_gen == 1 && o.priority == observer::Priority::important) {
        EXPECT_NE(prompt.find(o.id + " ("), std::string::npos) << o.id << " missing from\n" << prompt;
      }
    }
  }

  // The same finding from four agents over two generations is one observation with a count.
  EXPECT_EQ(tool_error->count, 4);
  EXPECT_EQ(tool_error->first_gen, 1);
  EXPECT_EQ(tool_error->last_gen, 2);
  EXPECT_EQ(tool_error->agents, (std::vector<std::string>{"g01-a01", "g01-a02", "g02-a01", "g02-a02"}));
  std::set<std::string> fingerprints;
  for (const auto& o : set.all()) EXPECT_TRUE(fingerprints.insert(o.fingerprint).second) << "duplicate: " << o.text;
  auto added2 = set.added_in(2);
  EXPECT_EQ(std::count(added2.begin(), added2.end(), tool_error->id), 0);
  std::string md = read_file(run + "/observations.md");
  for (const auto& o : set.all()) {
    std::regex line("\n- \\[[a-z]+\\] " + o.id + " ");
    EXPECT_EQ(std::distance(std::sregex_iterator(md.begin(), md.end(), line), std::sregex_iterator()), 1)
        << o.id << " in\n" << md;
  }

  // Every evidence label in observations.md is an event in run.db that `trace why` and `trace replay` open.
  std::regex label_re(R"((g\d+-a\d+)#e(\d+))");
  std::set<std::string> labels;
  for (std::sregex_iterator it(md.begin(), md.end(), label_re), end; it != end; ++it) labels.insert((*it)[0]);
  ASSERT_GE(labels.size(), 4u) << md;  // at least the tool error's four sightings
  for (const auto& label : labels) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(label, m, label_re));
    int64_t id = std::stoll(m[2]);
    auto event = store->event(id);
    ASSERT_TRUE(event) << label << " names no stored event";
    // The event lies in the named agent's subtree.
    std::string span = event->span_id, owner;
    for (int depth = 0; depth < 8 && !span.empty() && owner.empty(); ++depth) {
      auto s = store->span(span);
      ASSERT_TRUE(s) << span;
      if (s->kind == trace::SpanKind::agent) owner = s->name;
      span = s->parent_span_id;
    }
    EXPECT_EQ(owner, m[1].str()) << label;
    auto why = f.harness("trace why " + run + " " + label);
    EXPECT_EQ(why.exit_code, 0) << why.output;
    EXPECT_NE(why.output.find(fmt::format("#e{} {}", id, event->type)), std::string::npos) << why.output;
    auto session = store->span(event->span_id)->session_id;
    if (session.empty()) continue;  // an event on the agent span itself: no session timeline holds it
    auto replay = f.harness("trace replay " + run + " " + session);
    EXPECT_EQ(replay.exit_code, 0) << replay.output;
    EXPECT_NE(replay.output.find(fmt::format("#e{}", id)), std::string::npos) << label << "\n" << replay.output;
  }
}

struct BrokenCommand {
  const char* name;
  const char* command;
  const char* observer_error;
  const char* meta_error;
};

class BrokenHelperCommand : public ::testing::TestWithParam<BrokenCommand> {};

TEST_P(BrokenHelperCommand, IsRecordedAndTheRunGoesOn) {
  const BrokenCommand& c = GetParam();
  LoopFixture f;
  // The same broken command as LLM observer (after each generation) and meta-agent (before generation 2).
  std::string quoted = nlohmann::json(c.command).dump();
  auto cfg = f.write_config("generations: 2\npopulation: 1\n"
                            "strategies:\n  allocation: fixed\n  list: [{name: wrong}]\n  meta_command: " +
                            quoted + "\nobserver:\n  command: " + quoted + "\n  command_timeout: 1s\n");
  std::string run = f.dir() + "/run";
  auto r = f.harness("run " + cfg + " --run-dir " + run + " --seed 1");
  ASSERT_EQ(r.exit_code, 1) << r.output;  // completed without a fix, not failed
  auto s = f.status(run);
  EXPECT_EQ(s["status"], "completed");
  ASSERT_EQ(s["generations"].size(), 2u);
  EXPECT_EQ(s["generations"][1]["agents"].size(), 1u);
  EXPECT_EQ(s["generations"][1]["agents"][0]["strategy"], "wrong");  // the policy's choice

  auto observer_failures = events_of(run, "observer.command.failed");
  ASSERT_EQ(observer_failures.size(), 2u);  // after each generation
  for (const auto& e : observer_failures) EXPECT_EQ(e["error"], c.observer_error);
  auto meta_failures = events_of(run, "meta.failed");
  ASSERT_EQ(meta_failures.size(), 1u);  // planning generation 2
  EXPECT_EQ(meta_failures[0]["error"], c.meta_error);
  EXPECT_EQ(meta_failures[0]["generation"], 2);
  EXPECT_NE(r.output.find(std::string("observer.command failed: ") + c.observer_error), std::string::npos) << r.output;

  // The rules' observations stand on their own and still reach generation 2.
  EXPECT_NE(read_file(run + "/observations.md").find("[important]"), std::string::npos);
  EXPECT_NE(read_file(run + "/gen-002/agent-01/prompt.md").find("- [important] O-"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    ObserverLoop, BrokenHelperCommand,
    ::testing::Values(
        BrokenCommand{"Crash", "echo 'model down' >&2; exit 3", "observer.command exited with status 3: model down",
                      "meta.command exited with status 3: model down"},
        BrokenCommand{"Garbage", "echo 'Sure! Here you go: {'", "observer.command output is not JSON: \"Sure! Here you go: {\"",
                      "meta.command output is not JSON: \"Sure! Here you go: {\""},
        BrokenCommand{"WrongSchema", "echo '{\"obs\":[]}'",
                      "observer.command output: expected an object with an \"observations\" array",
                      "meta.command output: expected an object with a \"strategies\" array"},
        BrokenCommand{"Hang", "sleep 60", "observer.command timed out after 1s (killed)",
                      "meta.command timed out after 1s (killed)"}),
    [](const ::testing::TestParamInfo<BrokenCommand>& info) { return std::string(info.param.name); });

}  // namespace

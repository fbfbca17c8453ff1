// Observations within a generation (observer.incremental) through the real binary: an agent launched after others
// of its generation finished starts with what they showed; the generation's end does not count them twice; a
// strategy whose agents failed the same way twice gives its remaining slots to another (strategies.reallocate_after)
// and the move is saved, so a resume runs the moved slot as moved.
#include <gtest/gtest.h>

#include <map>

#include <fmt/format.h>

#include "loop_fixture.h"
#include "observer/observation_set.h"
#include "observer/observe_agent.h"
#include "trace/store.h"

using harness_test::event_count;
using harness_test::events_of;
using harness_test::LoopFixture;
using harness_test::read_file;

namespace {

std::string prompt_of(const std::string& run, int slot) {
  return read_file(run + fmt::format("/gen-001/agent-{:02}/prompt.md", slot));
}

const char* kFailedFix = "Fix attempt changing state.txt failed verify: FAIL: state is not fixed";

// Three agents that fail the same way, one at a time, in one generation.
std::string three_wrong(LoopFixture& f, const std::string& incremental) {
  return f.write_config("generations: 1\npopulation: 3\nconcurrency: 1\n"
                        "strategies:\n  allocation: fixed\n  list: [{name: wrong}]\n  reallocate_after: 0\n"
                        "observer:\n  incremental: " + incremental + "\n",
                        "harness-" + incremental + ".yaml");
}

TEST(IncrementalObserver, AgentsLaunchedLaterInAGenerationStartWithWhatTheEarlierOnesShowed) {
  LoopFixture f;
  std::string run = f.dir() + "/run";
  auto r = f.harness("run " + three_wrong(f, "true") + " --run-dir " + run + " --seed 1");
  ASSERT_EQ(r.exit_code, 1) << r.output;

  EXPECT_EQ(prompt_of(run, 1).find("[important]"), std::string::npos) << prompt_of(run, 1);
  // Agent 2 saw agent 1's failed fix; agent 3 saw it from both.
  EXPECT_NE(prompt_of(run, 2).find(fmt::format("- [important] O-0001 (seen 1×, gen 1) {} — evidence g01-a01#e", kFailedFix)),
            std::string::npos)
      << prompt_of(run, 2);
  EXPECT_NE(prompt_of(run, 3).find(fmt::format("- [important] O-0001 (seen 2×, gen 1) {} — evidence g01-a01#e", kFailedFix)),
            std::string::npos)
      << prompt_of(run, 3);
  EXPECT_NE(r.output.find("g01-a01 observed: "), std::string::npos) << r.output;

  // One event per agent: the first brought the findings, the others matched them.
  auto observed = events_of(run, "observer.agent_observed");
  ASSERT_EQ(observed.size(), 3u);
  EXPECT_EQ(observed[0]["agent"], "g01-a01");
  EXPECT_FALSE(observed[0]["new"].empty());
  EXPECT_TRUE(observed[2]["new"].empty());
  EXPECT_EQ(observed[2]["matched"][0], "O-0001");

  // The generation's end did not observe them again: three sightings, not six.
  auto store = trace::Store::open(run + "/run.db", trace::Store::Mode::read_only);
  auto set = observer::ObservationSet::load(*store);
  ASSERT_TRUE(set.find("O-0001"));
  EXPECT_EQ(set.find("O-0001")->text, kFailedFix);
  EXPECT_EQ(set.find("O-0001")->count, 3);
  EXPECT_EQ(set.find("O-0001")->agents, (std::vector<std::string>{"g01-a01", "g01-a02", "g01-a03"}));
  EXPECT_EQ(observer::observed_agents(*store, 1).size(), 3u);
  // The generation's summary counts what its agents brought one by one.
  EXPECT_NE(r.output.find(fmt::format("{} new observations", set.added_in(1).size())), std::string::npos) << r.output;
  EXPECT_EQ(f.status(run)["generations"][0]["observations_total"], (int)set.size());

  // Batched (observer.incremental: false): the same observations in the end, but agent 3 started blind.
  std::string batched = f.dir() + "/batched";
  r = f.harness("run " + three_wrong(f, "false") + " --run-dir " + batched + " --seed 1");
  ASSERT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(prompt_of(batched, 3).find("[important]"), std::string::npos) << prompt_of(batched, 3);
  EXPECT_TRUE(events_of(batched, "observer.agent_observed").empty());
  auto batched_store = trace::Store::open(batched + "/run.db", trace::Store::Mode::read_only);
  auto batched_set = observer::ObservationSet::load(*batched_store);
  ASSERT_EQ(batched_set.size(), set.size());
  for (size_t i = 0; i < set.size(); ++i) {
    EXPECT_EQ(batched_set.all()[i].fingerprint, set.all()[i].fingerprint);  // texts differ in timings only
    EXPECT_EQ(batched_set.all()[i].count, set.all()[i].count) << set.all()[i].text;
  }
}

// wrong, fixer, wrong, fixer, wrong, fixer one at a time: after the second wrong agent failed like the first,
// slot 5 runs fixer instead.
std::string alternating(LoopFixture& f, int reallocate_after) {
  return f.write_config(fmt::format("generations: 1\npopulation: 6\nconcurrency: 1\nstop:\n  after_fixes: 0\n"
                                    "strategies:\n  allocation: fixed\n  list: [{{name: wrong}}, {{name: fixer}}]\n"
                                    "  reallocate_after: {}\n",
                                    reallocate_after),
                        fmt::format("harness-{}.yaml", reallocate_after));
}

std::vector<std::string> strategies_of(const nlohmann::json& status) {
  std::vector<std::string> out;
  for (const auto& a : status["generations"][0]["agents"]) out.push_back(a["strategy"]);
  return out;
}

TEST(IncrementalObserver, AStrategyThatFailedTheSameWayTwiceGivesItsRemainingSlotsAway) {
  LoopFixture f;
  std::string run = f.dir() + "/run";
  auto r = f.harness("run " + alternating(f, 2) + " --run-dir " + run + " --seed 1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(strategies_of(f.status(run)),
            (std::vector<std::string>{"wrong", "fixer", "wrong", "fixer", "fixer", "fixer"}));
  auto steered = events_of(run, "allocation.steered");
  ASSERT_EQ(steered.size(), 1u);
  EXPECT_EQ(steered[0]["agent"], "g01-a05");
  EXPECT_EQ(steered[0]["from"], "wrong");
  EXPECT_EQ(steered[0]["to"], "fixer");
  EXPECT_EQ(steered[0]["failed_agents"], nlohmann::json({"g01-a01", "g01-a03"}));
  auto store = trace::Store::open(run + "/run.db", trace::Store::Mode::read_only);
  auto set = observer::ObservationSet::load(*store);
  const auto* shared = set.find(steered[0]["observation"].get<std::string>());
  ASSERT_TRUE(shared);
  EXPECT_EQ(shared->priority, observer::Priority::important);
  EXPECT_NE(r.output.find("g01-a05 moved from wrong to fixer: g01-a01 and g01-a03 failed the same way"),
            std::string::npos)
      << r.output;
  EXPECT_NE(read_file(run + "/gen-001/agent-05/prompt.md").find("## Your strategy: fixer"), std::string::npos);

  // Off: the allocation stands.
  std::string off = f.dir() + "/off";
  r = f.harness("run " + alternating(f, 0) + " --run-dir " + off + " --seed 1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(strategies_of(f.status(off)),
            (std::vector<std::string>{"wrong", "fixer", "wrong", "fixer", "wrong", "fixer"}));
  EXPECT_TRUE(events_of(off, "allocation.steered").empty());
}

// What must come out the same after a crash and resume: each slot's strategy and verify, and every observation
// (by fingerprint) with its count.
std::map<std::string, std::string> outcome_of_run(LoopFixture& f, const std::string& run) {
  std::map<std::string, std::string> out;
  for (const auto& a : f.status(run)["generations"][0]["agents"])
    out[a["id"].get<std::string>()] = a["strategy"].get<std::string>() + "/" + a["verify"].get<std::string>();
  auto store = trace::Store::open(run + "/run.db", trace::Store::Mode::read_only);
  auto set = observer::ObservationSet::load(*store);
  for (const auto& o : set.all())
    if (o.kind != observer::Kind::duration) out["obs " + o.fingerprint] = std::to_string(o.count);
  return out;
}

TEST(IncrementalObserver, ACrashedRunResumesWithItsObservationsAndMovesExactly) {
  LoopFixture f;
  std::string cfg = alternating(f, 2);
  std::string reference = f.dir() + "/reference";
  auto r = f.harness("run " + cfg + " --run-dir " + reference + " --seed 1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto expected = outcome_of_run(f, reference);
  int64_t total_events = event_count(reference + "/run.db");
  ASSERT_GT(total_events, 30);

  const int kPoints = 8;
  int resumed = 0;
  for (int i = 0; i < kPoints; ++i) {
    int64_t kill_at = 1 + (total_events - 2) * (i + 1) / (kPoints + 1);
    std::string run = f.dir() + "/crash" + std::to_string(i);
    bool killed = harness_test::run_killed_at_event({"run", cfg, "--run-dir", run, "--seed", "1", "--quiet"},
                                                    run + "/run.db", kill_at);
    if (!killed) continue;
    auto again = f.harness("resume " + run + " --quiet");
    ASSERT_EQ(again.exit_code, 0) << "kill point " << kill_at << ": " << again.output;
    ++resumed;
    EXPECT_EQ(outcome_of_run(f, run), expected) << "kill point " << kill_at;
    EXPECT_EQ(events_of(run, "allocation.steered").size(), 1u) << "kill point " << kill_at;
  }
  EXPECT_GE(resumed, 6);
}

}  // namespace

// Loops caught live in real agent processes (runner.on_loop): a looping agent is killed within N repeats and
// recorded as a loop with its evidence; an agent running one long honest command is not; warn only records.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "loop_fixture.h"
#include "trace/store.h"

using harness_test::LoopFixture;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct Detections {
  std::vector<nlohmann::json> payloads;
  int64_t tool_calls = 0;  // tool spans the agents' traces hold
};

Detections detections(const std::string& run_dir) {
  auto store = trace::Store::open(run_dir + "/run.db", trace::Store::Mode::read_only);
  Detections d;
  store->query("SELECT payload FROM events WHERE type='agent.loop_detected' ORDER BY id", {},
               [&](const trace::Row& r) { d.payloads.push_back(nlohmann::json::parse(r.text(0))); });
  store->query("SELECT COUNT(*) FROM spans WHERE kind='tool'", {}, [&](const trace::Row& r) { d.tool_calls = r.int64(0); });
  return d;
}

// A config of the fixture's runner with more runner keys (written into its runner section).
std::string config_with_runner_keys(LoopFixture& f, const std::string& strategy, const std::string& keys) {
  std::string cfg = f.write_config("generations: 1\npopulation: 1\nstrategies:\n  list: [{name: " + strategy + "}]\n");
  std::string text = read_file(cfg);
  text.insert(text.find("  idle_timeout: 5s\n"), keys);
  std::ofstream(cfg) << text;
  return cfg;
}

// observations.md lists "- [important] O-0001 (seen 2×, gen 1) <text> — evidence …": the text on an important line.
bool important_line_with(const std::string& observations, const std::string& text) {
  std::istringstream lines(observations);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("- [important] ", 0) == 0 && line.find(text) != std::string::npos) return true;
  return false;
}

// `harness run` of one agent of `strategy` into `run`.
harness_test::CommandResult run_one(LoopFixture& f, const std::string& strategy, const std::string& keys,
                                    const std::string& run) {
  return f.harness("run " + config_with_runner_keys(f, strategy, keys) + " --run-dir " + run);
}

nlohmann::json first_agent(LoopFixture& f, const std::string& run) {
  return f.status(run)["generations"][0]["agents"][0];
}

}  // namespace

TEST(LoopDetection, ALoopingAgentIsKilledWithinNRepeatsAndRecordedAsALoop) {
  LoopFixture f;
  std::string run = f.dir() + "/run";
  auto r = run_one(f, "looper", "  loop_repeats: 4\n", run);
  ASSERT_EQ(r.exit_code, 1) << r.output;
  auto a = first_agent(f, run);
  EXPECT_EQ(a["outcome"], "killed_loop") << r.output;
  EXPECT_NE(a["reason"].get<std::string>().find("4 times in a row"), std::string::npos) << a.dump();
  Detections d = detections(run);
  ASSERT_EQ(d.payloads.size(), 1u);
  EXPECT_EQ(d.payloads[0]["kind"], "repeat");
  EXPECT_EQ(d.payloads[0]["action"], "kill");
  EXPECT_EQ(d.payloads[0]["spans"].size(), 4u) << "its evidence: the four repeated calls";
  // The fixture's first check plus at most the four repeats and one more already printed: never all twenty.
  EXPECT_LE(d.tool_calls, 1 + 4 + 2) << "killed within N repeats";
  std::string observations = read_file(run + "/observations.md");
  EXPECT_TRUE(important_line_with(observations, "Agent was killed in a loop: `bash make test` failing, 4 times in a row"))
      << observations;
}

TEST(LoopDetection, OneLongHonestCommandIsNotALoop) {
  LoopFixture f;
  std::string run = f.dir() + "/run";
  auto r = run_one(f, "honest", "  loop_model_calls: 5\n", run);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  auto a = first_agent(f, run);
  EXPECT_EQ(a["outcome"], "completed") << r.output;
  EXPECT_EQ(a["verify"], "passed");
  EXPECT_TRUE(detections(run).payloads.empty());
}

TEST(LoopDetection, WarnRecordsTheLoopAndLetsTheAgentGoOn) {
  LoopFixture f;
  std::string run = f.dir() + "/run";
  auto r = run_one(f, "looper", "  on_loop: warn\n", run);
  EXPECT_EQ(r.exit_code, 0) << "the looper fixes the bug at the end when left alone: " << r.output;
  auto a = first_agent(f, run);
  EXPECT_EQ(a["outcome"], "completed");
  Detections d = detections(run);
  // Twenty repeats with N = 5: reported at the 5th, 10th, 15th and 20th, each as a warning.
  ASSERT_EQ(d.payloads.size(), 4u);
  for (const auto& p : d.payloads) EXPECT_EQ(p["action"], "warn");
  std::string observations = read_file(run + "/observations.md");
  EXPECT_TRUE(important_line_with(observations, "Agent was caught in a loop: `bash make test` failing, 5 times in a row"))
      << observations;
}

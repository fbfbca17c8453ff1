// SIGKILL the harness at 20+ points of a scripted run, resume each, and compare with an uninterrupted run:
// the same generations, the same completed agents (strategy, verify), no duplicates, nothing lost.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>

#include "loop_fixture.h"
#include "trace/store.h"

namespace fs = std::filesystem;
using harness_test::event_count;
using harness_test::LoopFixture;

namespace {

// generation -> slot -> "strategy/verify/outcome" of the completed attempt; fails on a duplicate completion.
std::map<int, std::map<int, std::string>> completed_agents(const nlohmann::json& status) {
  std::map<int, std::map<int, std::string>> out;
  for (const auto& g : status["generations"])
    for (const auto& a : g["agents"]) {
      EXPECT_EQ(a["status"], "completed") << a.dump();
      std::string id = a["id"];
      int slot = std::stoi(id.substr(id.find("-a") + 2));
      EXPECT_FALSE(out[g["number"].get<int>()].count(slot)) << "duplicate " << id;
      out[g["number"].get<int>()][slot] =
          a["strategy"].get<std::string>() + "/" + a["verify"].get<std::string>() + "/" + a["outcome"].get<std::string>();
    }
  return out;
}

}  // namespace

TEST(CrashResume, KilledAtManyPointsResumesToTheSameRun) {
  LoopFixture f;
  auto cfg = f.write_config(
      "generations: 3\npopulation: 3\nconcurrency: 2\nstop:\n  after_fixes: 0\n"
      "strategies:\n  allocation: round_robin\n  list: [{name: slow}, {name: wrong}, {name: fixer}]\n");
  std::string reference = f.dir() + "/reference";
  auto r = f.harness("run " + cfg + " --run-dir " + reference + " --seed 5");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto expected = completed_agents(f.status(reference));
  ASSERT_EQ(expected.size(), 3u);
  int64_t total_events = event_count(reference + "/run.db");
  ASSERT_GT(total_events, 40);

  const int kPoints = 22;
  int resumed_with_work = 0;
  for (int i = 0; i < kPoints; ++i) {
    int64_t kill_at = 1 + (total_events - 2) * i / kPoints;
    std::string run = f.dir() + "/crash" + std::to_string(i);
    bool killed = harness_test::run_killed_at_event({"run", cfg, "--run-dir", run, "--seed", "5", "--quiet"},
                                                    run + "/run.db", kill_at);
    if (!killed) continue;  // finished before the point: nothing to resume
    // run.db still says "running" (the harness died before recording an end); status knows no harness runs it.
    auto stopped = f.status(run);
    EXPECT_NE(stopped["status"], "running") << "kill point " << kill_at;
    if (stopped["status"] == "stopped") {
      EXPECT_NE(stopped.value("note", "").find("`harness resume "), std::string::npos) << stopped.dump();
    }
    auto resumed = f.harness("resume " + run + " --quiet");
    ASSERT_EQ(resumed.exit_code, 0) << "kill point " << kill_at << ": " << resumed.output;
    ++resumed_with_work;
    auto got = completed_agents(f.status(run));
    EXPECT_EQ(got, expected) << "kill point " << kill_at;
    // Only the kept workspaces (keep: winners) stay: none of an attempt the harness died under.
    std::set<std::string> kept, found;
    const auto final_status = f.status(run);
    for (const auto& g : final_status["generations"])
      for (const auto& a : g["agents"])
        if (a["verify"] == "passed") {
          std::string id = a["id"];
          kept.insert(a["attempt"] == 1 ? id : id + ".attempt" + std::to_string(a["attempt"].get<int>()));
        }
    if (fs::is_directory(run + "/workspaces"))
      for (const auto& entry : fs::directory_iterator(run + "/workspaces")) found.insert(entry.path().filename());
    EXPECT_EQ(found, kept) << "kill point " << kill_at;
    // The run's own records: one run.finalized, generations numbered 1..3 once each.
    auto store = trace::Store::open(run + "/run.db", trace::Store::Mode::read_only);
    store->query("SELECT COUNT(*), COUNT(DISTINCT number), MIN(number), MAX(number) FROM harness_generations", {},
                 [&](const trace::Row& r) {
                   EXPECT_EQ(r.int64(0), 3);
                   EXPECT_EQ(r.int64(1), 3);
                   EXPECT_EQ(r.int64(2), 1);
                   EXPECT_EQ(r.int64(3), 3);
                 });
  }
  EXPECT_GE(resumed_with_work, 20) << "at least 20 distinct kill points must have been exercised";
}

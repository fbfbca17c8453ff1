// The query verbs end to end through the built `harness` binary: output, JSON and exit codes (0 ok, 1 audit
// violations, 2 user errors: no store, unknown session or event, bad policy).
#include <gtest/gtest.h>

#include "query_fixture.h"

namespace trace {
namespace {

using testing::FleetStore;
using testing::run_harness;

TEST_F(FleetStore, CliTreeAndStats) {
  std::string out;
  EXPECT_EQ(run_harness("trace tree " + out_, out), 0);
  EXPECT_EQ(out, format_tree(build_tree(*store_)));
  EXPECT_EQ(run_harness("trace stats " + out_ + " --include-subagents --json", out, false), 0);
  Json j = Json::parse(out);
  EXPECT_EQ(j["tool_calls"], 9);
  EXPECT_EQ(j["tool_errors"], 2);
  EXPECT_EQ(j["cost_usd"], 0.0135);
  EXPECT_EQ(run_harness("trace stats " + out_ + " --session nobody", out), 2);
  EXPECT_EQ(out, "harness: no session matches 'nobody' (give a span id prefix shown by 'harness trace tree', or a "
                 "session.id)\n");
}

TEST_F(FleetStore, CliReplayAndWhy) {
  std::string out;
  EXPECT_EQ(run_harness("trace replay " + out_ + " reviewer", out), 0);
  EXPECT_NE(out.find("  +0.700s  #e35  · write  /etc/hosts\n"), std::string::npos) << out;
  EXPECT_EQ(run_harness("trace replay " + out_ + " worker --expand-subagents --json", out, false), 0);
  EXPECT_EQ(Json::parse(out)["sessions"][0]["lines"].size(), 23u);
  EXPECT_EQ(run_harness("trace why " + out_ + " '#e29'", out), 0);
  EXPECT_NE(out.find("← #e23 file.write config.py"), std::string::npos) << out;
  EXPECT_EQ(run_harness("trace why " + out_ + " 4000", out), 2);
  EXPECT_EQ(out, "harness: no event #e4000 in " + out_ + "/run.db (its events are #e1 to #e36)\n");
}

TEST_F(FleetStore, CliAuditExitCodes) {
  std::string out;
  testing::write_file(dir_ + "/ok.yaml", "files:\n  write:\n    deny: ['/boot/**']\n");
  EXPECT_EQ(run_harness("audit " + out_ + " --policy " + dir_ + "/ok.yaml", out), 0);
  EXPECT_NE(out.find("0 violations"), std::string::npos) << out;
  testing::write_file(dir_ + "/strict.json", R"({"files": {"write": {"deny": ["/etc/**"]}}})");
  EXPECT_EQ(run_harness("audit " + out_ + " --policy " + dir_ + "/strict.json --json", out, false), 1);
  EXPECT_EQ(Json::parse(out)["violations"], 1);
  testing::write_file(dir_ + "/bad.yaml", "files:\n  write:\n    deny: /etc/**\n");
  EXPECT_EQ(run_harness("audit " + out_ + " --policy " + dir_ + "/bad.yaml", out), 2);
  EXPECT_EQ(out, "harness: " + dir_ + "/bad.yaml:3:11: files.write.deny must be a list of patterns, e.g. [\"src/**\"]\n");
}

TEST(QueryCli, MissingStoreIsAUsageError) {
  std::string out;
  EXPECT_EQ(run_harness("trace tree /nonexistent/trace", out), 2);
  EXPECT_EQ(out, "harness: /nonexistent/trace: no run store here (missing /nonexistent/trace/run.db)\n");
}

TEST(QueryCli, AnEmptyStoreFileIsRefusedAndLeftAsItIs) {
  std::string dir = testing::temp_dir("empty-db");
  { std::ofstream(dir + "/run.db"); }  // 0 bytes: SQLite would take it for a new database and write a schema
  std::string out;
  EXPECT_EQ(run_harness("trace tree " + dir, out), 2);
  EXPECT_EQ(out, fmt::format("harness: {0}: {0}/run.db is empty (0 bytes), not a run store: a truncated copy?\n", dir));
  EXPECT_EQ(std::filesystem::file_size(dir + "/run.db"), 0u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace trace

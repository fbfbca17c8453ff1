// `harness trace search` end to end through the built binary: output, JSON, several dirs, the index kept
// between searches and in step with `trace rebuild`, and the exit code 2 with the exact message for a user's
// mistake.
#include <gtest/gtest.h>

#include "query_fixture.h"

namespace trace {
namespace {

using testing::FleetStore;
using testing::run_harness;

TEST_F(FleetStore, CliSearch) {
  store_.reset();  // the binary opens the store itself
  std::string out;
  EXPECT_EQ(run_harness("trace search " + out_ + " 'flaky OR pytest'", out, false), 0);
  EXPECT_EQ(out,
            " 1. worker#e8  message\n"
            "      Fix the «flaky» test\n"
            " 2. worker#e10  tool tool.call.started\n"
            "      Bash {\"command\":\"«pytest» -x tests/test_net.py\"}\n"
            " 3. planner#e2  message\n"
            "      Write a plan for the «flaky» test\n"
            "3 hits\n");
  // Kept: the second search indexes nothing and says nothing on stderr.
  EXPECT_EQ(run_harness("trace search " + out_ + " resolve --kind error", out), 0);
  EXPECT_EQ(out,
            " 1. worker#e19  tool tool.call.failed\n"
            "      Bash Could not «resolve» host\n"
            "1 hit\n");
  // Its command is on the started event, a tool hit, not an error.
  EXPECT_EQ(run_harness("trace search " + out_ + " curl --kind error", out), 0);
  EXPECT_EQ(out, "no hits for curl\n");
  EXPECT_EQ(run_harness("trace search " + out_ + " host --kind error --limit 1 --json", out, false), 0);
  Json j = Json::parse(out);
  ASSERT_EQ(j["hits"].size(), 1u);
  EXPECT_EQ(j["hits"][0]["label"], "worker#e19");
  EXPECT_EQ(j["hits"][0]["run_dir"], out_);
  EXPECT_EQ(j["hits"][0]["snippet"], "Bash Could not resolve «host»");
  EXPECT_EQ(j["query"], "host");
  // The label opens in `trace why`.
  EXPECT_EQ(run_harness("trace why " + out_ + " worker#e19", out), 0);
  EXPECT_EQ(out.rfind("event #e19 tool.call.failed", 0), 0u) << out;
}

TEST_F(FleetStore, CliSearchFirstTimeSaysWhatItIndexedAndRebuildDropsIt) {
  store_.reset();
  std::string out;
  EXPECT_EQ(run_harness("trace search " + out_ + " connect", out),
            0);  // stderr comes first: stdout is flushed at exit
  EXPECT_EQ(out.rfind(out_ + ": search index updated: 21 events, 0 llm spans, 0 observations in ", 0), 0u)
      << out;
  EXPECT_EQ(run_harness("trace search " + out_ + " connect", out),
            0);  // stderr comes first: stdout is flushed at exit
  EXPECT_EQ(out.find("search index"), std::string::npos) << out;
  EXPECT_EQ(run_harness("trace rebuild " + out_, out), 0);
  EXPECT_EQ(run_harness("trace search " + out_ + " connect", out),
            0);  // stderr comes first: stdout is flushed at exit
  EXPECT_EQ(out.rfind(out_ + ": search index updated: 21 events, 0 llm spans, 0 observations in ", 0), 0u)
      << out;
  EXPECT_EQ(run_harness("trace search " + out_ + " connect", out, false), 0);
  EXPECT_EQ(out,
            " 1. worker#e17  tool tool.call.completed\n"
            "      Read def «connect»(): ...\n"
            " 2. worker#e21  tool tool.call.completed\n"
            "      Task «connect»() has no timeout\n"
            "2 hits\n");
}

TEST_F(FleetStore, CliSearchSeveralDirs) {
  store_.reset();
  std::string second = dir_ + "/second";
  testing::write_file(
      dir_ + "/in/night2.jsonl",
      "{\"hv\":1,\"type\":\"session.start\",\"session\":\"night2\",\"ts\":\"2026-02-01T12:00:00.000Z\"}\n"
      "{\"hv\":1,\"type\":\"error\",\"session\":\"night2\",\"message\":\"rate limited again\","
      "\"ts\":\"2026-02-01T12:00:01.000Z\"}\n");
  std::string out;
  ASSERT_EQ(run_harness("import " + dir_ + "/in/night2.jsonl --out " + second, out), 0) << out;
  EXPECT_EQ(run_harness("trace search " + out_ + " " + second + " '\"rate limited\"'", out, false), 0);
  EXPECT_EQ(out, " 1. worker#e25  error  " + out_ +
                     "\n"
                     "      «rate limited» api\n"
                     " 2. night2#e2  error  " +
                     second +
                     "\n"
                     "      «rate limited» again\n"
                     "2 hits\n");
}

TEST_F(FleetStore, CliSearchUserErrors) {
  store_.reset();
  std::string out;
  EXPECT_EQ(run_harness("trace search " + out_ + " '\"unbalanced'", out), 2);
  EXPECT_EQ(
      out,
      "harness: bad search query '\"unbalanced': unterminated string (FTS5 syntax: words, \"a phrase\", "
      "AND, OR, NOT, prefix*, NEAR(a b, 5); quote a word that holds punctuation)\n");
  EXPECT_EQ(run_harness("trace search " + out_ + " /nonexistent/run flaky", out), 2);
  EXPECT_EQ(out, "harness: /nonexistent/run: no run store here (missing /nonexistent/run/run.db)\n");
  EXPECT_EQ(run_harness("trace search " + out_ + " flaky --kind files", out), 2);
  EXPECT_NE(out.find("--kind: files not in {tool,llm,error,message,observation}"), std::string::npos) << out;
  EXPECT_EQ(run_harness("trace search " + out_ + " nothing_like_this", out), 0);
  EXPECT_EQ(out, "no hits for nothing_like_this\n");
}

}  // namespace
}  // namespace trace

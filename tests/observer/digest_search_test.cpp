// The LLM observer's digest search: the words searched for a failure, and the hits it finds elsewhere in the run
// (another agent's failed tool call with the same error), the agent's own hits left out.
#include <gtest/gtest.h>

#include "observer/digest_search.h"
#include "temp_dir.h"
#include "trace/import.h"
#include "trace_builder.h"

namespace observer {
namespace {

TEST(DigestSearch, FailureQueryKeepsTheDistinctiveWords) {
  EXPECT_EQ(failure_query("FAILED: test_drain - AssertionError: queue not empty (exit 1)"),
            "AssertionError OR test_drain OR queue OR empty");
  EXPECT_EQ(failure_query("error 42: failed with exit code 2"), "");
  EXPECT_EQ(failure_query(""), "");
  EXPECT_EQ(failure_query("a b c ECONNREFUSED ECONNREFUSED 127.0.0.1:5440"), "ECONNREFUSED");
}

TEST(DigestSearch, FindsTheFailureInOtherAgentsNotInItsOwn) {
  observer_test::TempDir dir;
  auto store = trace::open_trace_dir(dir.path(), true);
  observer_test::TraceBuilder b(*store);
  b.agent("g01-a01");
  int64_t other = b.tool("Bash", "make test", true, "ECONNREFUSED while draining the queue");
  b.agent("g02-a01");
  b.tool("Bash", "make test", true, "ECONNREFUSED while draining the queue");
  b.agent("g01-a02");
  b.tool("Bash", "ls", false);
  store->flush();
  nlohmann::json digest = {
      {"agents",
       {{{"agent", "g02-a01"}, {"verify", {{"first_failure", "ECONNREFUSED in drain()"}}}},
        {{"agent", "g01-a02"}, {"events", {{{"type", "tool.call.failed"}, {"summary", "nothing-matches-this"}}}}},
        {{"agent", "g03-a09"}}}}};
  nlohmann::json hits = digest_search_hits(*store, digest);
  ASSERT_EQ(hits.size(), 1u) << hits.dump(2);
  EXPECT_EQ(hits[0]["agent"], "g02-a01");
  EXPECT_EQ(hits[0]["query"], "ECONNREFUSED OR drain");
  ASSERT_GE(hits[0]["hits"].size(), 1u);
  for (const auto& h : hits[0]["hits"]) EXPECT_NE(h["agent"], "g02-a01") << h.dump();
  EXPECT_EQ(hits[0]["hits"][0]["label"], "g01-a01#e" + std::to_string(other));
  EXPECT_NE(hits[0]["hits"][0]["snippet"].get<std::string>().find("«ECONNREFUSED»"), std::string::npos);
}

}  // namespace
}  // namespace observer

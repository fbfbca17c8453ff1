// The live loop detector: repeats, cycles and model calls without tools, and what must never count as a loop.
#include "observer/loop_detector.h"

#include <gtest/gtest.h>

namespace {

using observer::LoopDetector;
using observer::LoopSettings;

struct Feed {
  LoopDetector detector;
  int next = 0;
  std::vector<observer::LoopDetection> found;

  explicit Feed(LoopSettings s) : detector(s) {}

  // A tool call that opens, then ends with `status` and `result` (as the live decoders send it).
  void tool(const std::string& name, const std::string& args, bool failed = false, const std::string& result = "") {
    trace::Span s;
    s.span_id = "t" + std::to_string(next++);
    s.kind = trace::SpanKind::tool;
    s.name = name;
    s.attributes = {{"gen_ai.tool.name", name}, {"gen_ai.tool.call.arguments", args}};
    s.start_ns = 1;
    take(detector.on_span(s));
    s.end_ns = 2;
    s.status = failed ? trace::SpanStatus::error : trace::SpanStatus::ok;
    if (!result.empty()) s.attributes["gen_ai.tool.call.result"] = result;
    take(detector.on_span(s));
    take(detector.on_span(s));  // an upsert of the same finished span counts once
  }
  void model_call() {
    trace::Span s;
    s.span_id = "l" + std::to_string(next++);
    s.kind = trace::SpanKind::llm;
    s.start_ns = 1;
    s.end_ns = 2;
    take(detector.on_span(s));
  }
  void take(std::optional<observer::LoopDetection> d) {
    if (d) found.push_back(*d);
  }
};

TEST(LoopDetector, TheSameFailingCommandFiveTimesIsOneRepeat) {
  Feed f(LoopSettings{5, 3, 0});
  for (int i = 0; i < 4; ++i) f.tool("Bash", "{\"command\": \"make test\"}", true, "error after 0.31s (pid 4242)");
  EXPECT_TRUE(f.found.empty());
  // Digits in the result differ from run to run: still the same outcome.
  f.tool("Bash", "{\"command\":  \"make  test\"}", true, "error after 0.52s (pid 4250)");
  ASSERT_EQ(f.found.size(), 1u);
  EXPECT_EQ(f.found[0].kind, "repeat");
  EXPECT_EQ(f.found[0].repeats, 5);
  EXPECT_EQ(f.found[0].span_ids.size(), 5u);
  EXPECT_NE(f.found[0].summary.find("failing, 5 times in a row"), std::string::npos) << f.found[0].summary;
  // Reported once per N: four more are not yet another loop, the fifth is.
  for (int i = 0; i < 4; ++i) f.tool("Bash", "{\"command\": \"make test\"}", true, "error after 0.31s");
  EXPECT_EQ(f.found.size(), 1u);
  f.tool("Bash", "{\"command\": \"make test\"}", true, "error after 0.31s");
  EXPECT_EQ(f.found.size(), 2u);
}

TEST(LoopDetector, AnAlternatingCycleIsFound) {
  Feed f(LoopSettings{3, 3, 0});
  for (int i = 0; i < 3; ++i) {
    f.tool("Edit", "{\"file\": \"queue.c\"}");
    f.tool("Bash", "{\"command\": \"make test\"}", true, "1 failed");
  }
  ASSERT_EQ(f.found.size(), 1u);
  EXPECT_EQ(f.found[0].kind, "cycle");
  EXPECT_EQ(f.found[0].period, 2);
  EXPECT_NE(f.found[0].summary.find("then"), std::string::npos) << f.found[0].summary;
}

TEST(LoopDetector, ProgressIsNotALoop) {
  Feed f(LoopSettings{3, 3, 0});
  // The same command with a different outcome each time is an agent making progress.
  for (int i = 0; i < 10; ++i) f.tool("Bash", "{\"command\": \"make test\"}", true, std::string(i + 1, 'x'));
  // Different commands, each once.
  for (int i = 0; i < 10; ++i) f.tool("Read", "{\"file\": \"f" + std::string(i + 1, 'a') + ".c\"}");
  EXPECT_TRUE(f.found.empty());
}

TEST(LoopDetector, ModelCallsWithoutToolsCountOnlyWhileNoToolRuns) {
  Feed f(LoopSettings{0, 3, 4});
  for (int i = 0; i < 3; ++i) f.model_call();
  f.tool("Bash", "ls");  // progress: the count starts again
  for (int i = 0; i < 3; ++i) f.model_call();
  EXPECT_TRUE(f.found.empty());
  // A long tool call still running (a subagent, a build): the model calls made meanwhile do not count.
  trace::Span open;
  open.span_id = "long";
  open.kind = trace::SpanKind::tool;
  open.start_ns = 1;
  f.take(f.detector.on_span(open));
  for (int i = 0; i < 10; ++i) f.model_call();
  EXPECT_TRUE(f.found.empty());
  open.end_ns = 5;
  open.status = trace::SpanStatus::ok;
  f.take(f.detector.on_span(open));
  for (int i = 0; i < 4; ++i) f.model_call();
  ASSERT_EQ(f.found.size(), 1u);
  EXPECT_EQ(f.found[0].kind, "no_tool_progress");
  EXPECT_EQ(f.found[0].span_ids.size(), 4u);
}

TEST(LoopDetector, ZeroRepeatsTurnsItOff) {
  Feed f(LoopSettings{0, 3, 0});
  for (int i = 0; i < 50; ++i) f.tool("Bash", "make", true);
  for (int i = 0; i < 50; ++i) f.model_call();
  EXPECT_TRUE(f.found.empty());
}

}  // namespace

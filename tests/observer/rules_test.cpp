// The rules over one agent's trace plus its outcome: exact texts, priorities, counts and evidence.
#include <gtest/gtest.h>

#include "observer/rules.h"
#include "temp_dir.h"
#include "trace_builder.h"

namespace observer {
namespace {

using observer_test::TempDir;
using observer_test::TraceBuilder;

const char* kWs = "/runs/r1/workspaces/g01-a02";
const char* kPytest = R"({"command":"pytest -x tests/test_queue.py"})";
const char* kPytestOutput =
    "Exit code 1\n============ test session starts ============\n"
    "FAILED tests/test_queue.py::test_drain - AssertionError: queue not empty\n1 failed in 0.42s";

struct Fixture {
  TempDir dir;
  std::unique_ptr<trace::Store> store = trace::Store::open(dir.file("run.db"));
  TraceBuilder b{*store};
};

AgentOutcome failed_fix_outcome(const std::string& agent_span) {
  AgentOutcome o;
  o.agent_id = "g01-a02";
  o.generation = 1;
  o.agent_span_id = agent_span;
  o.strategy = "bisect";
  o.status = AgentStatus::completed;
  o.exit_description = "exit 0";
  o.verify = {true, false, 0, 3, "tests/test_queue.py:41: AssertionError: queue not empty", "..."};
  o.changed_files = {"src/queue.c"};
  o.tokens_in = 12000;
  o.tokens_out = 3400;
  o.cost_usd = 0.42;
  o.duration_ms = 252000;
  o.goal = "Find why test_drain fails intermittently";
  o.workspace = kWs;
  return o;
}

TEST(Rules, FailingAgentGivesEveryKindOfFindingWithExactTexts) {
  Fixture f;
  std::string agent = f.b.agent("g01-a02");
  int64_t fail1 = f.b.tool("Bash", kPytest, true, kPytestOutput, "1");
  int64_t fail2 = f.b.tool("Bash", kPytest, true, kPytestOutput, "1");
  int64_t fail3 = f.b.tool("Bash", kPytest, true, kPytestOutput, "1");
  f.b.tool("Read", R"({"file_path":"/runs/r1/workspaces/g01-a02/src/queue.c"})");
  f.b.file("file.read", "/runs/r1/workspaces/g01-a02/src/queue.c");
  int64_t read_worker = f.b.file("file.read", "/runs/r1/workspaces/g01-a02/src/worker.c");
  f.b.file("file.read", "/runs/r1/workspaces/g01-a02/src/worker.c");
  f.b.tool("Edit", R"({"file_path":"/runs/r1/workspaces/g01-a02/src/queue.c","old_string":"a","new_string":"b"})");
  int64_t write_queue = f.b.file("file.write", "/runs/r1/workspaces/g01-a02/src/queue.c");
  f.b.file("file.write", "/tmp/scratch.py");  // outside the workspace: not a repo edit
  f.b.message("Hypothesis: ignore me, I am the user", "user");
  int64_t thought = f.b.message(
      "Looking at the drain loop.\n**Hypothesis:** the drain loop exits before the worker flushes\n"
      "Root cause: flush() is called without the lock");
  f.b.llm(6000, 1700);
  f.b.llm(6000, 1700);
  std::string verify_span = f.b.verify(false);
  f.store->flush();

  std::vector<Observation> got = extract_observations(*f.store, failed_fix_outcome(agent));
  std::vector<std::pair<std::string, std::string>> texts;
  for (const auto& o : got) texts.emplace_back(std::string(to_string(o.priority)), o.text);
  std::vector<std::pair<std::string, std::string>> want = {
      {"important", "Fix attempt changing src/queue.c failed verify: tests/test_queue.py:41: AssertionError: queue "
                    "not empty"},
      {"important", "Bash `pytest -x tests/test_queue.py` failed (exit 1): FAILED tests/test_queue.py::test_drain - "
                    "AssertionError: queue not empty"},
      {"important", "Bash `pytest -x tests/test_queue.py` was repeated 3 times with the same arguments, failing "
                    "every time"},
      {"possible", "Hypothesis: the drain loop exits before the worker flushes"},
      {"possible", "Root cause: flush() is called without the lock"},
      {"possible", "Edited src/queue.c"},
      {"informational", "Dead end: read src/worker.c but did not change it; the agent made a fix that failed verify"},
      {"informational", "Goal under strategy bisect: Find why test_drain fails intermittently"},
      {"informational", "Strategy bisect used 12,000 input + 3,400 output tokens ($0.42) and made a fix that failed "
                        "verify"},
      {"informational", "Agent with strategy bisect ran 4m 12s (5 tool calls, 2 LLM calls) and made a fix that "
                        "failed verify"},
  };
  EXPECT_EQ(texts, want);
  ASSERT_EQ(got.size(), want.size());

  // The same tool error three times is one finding seen three times, with each failure as evidence.
  const Observation& tool_error = got[1];
  EXPECT_EQ(tool_error.kind, Kind::tool_error);
  EXPECT_EQ(tool_error.count, 3);
  ASSERT_EQ(tool_error.evidence.size(), 3u);
  EXPECT_EQ(tool_error.evidence[0].event_id, fail1);
  EXPECT_EQ(tool_error.evidence[1].event_id, fail2);
  EXPECT_EQ(tool_error.evidence[2].event_id, fail3);
  EXPECT_EQ(tool_error.evidence[0].label(), "g01-a02#e" + std::to_string(fail1));
  EXPECT_EQ(got[0].evidence.at(0).span_id, verify_span);
  EXPECT_EQ(got[0].evidence.at(0).event_id, f.store->event(got[0].evidence[0].event_id)->id);
  EXPECT_EQ(f.store->event(got[0].evidence[0].event_id)->type, "verify.failed");
  EXPECT_EQ(got[3].evidence.at(0).event_id, thought);
  EXPECT_EQ(got[5].evidence.at(0).event_id, write_queue);
  EXPECT_EQ(got[6].evidence.at(0).event_id, read_worker);
  for (const auto& o : got) {
    EXPECT_EQ(o.agents, std::vector<std::string>{"g01-a02"});
    EXPECT_EQ(o.first_gen, 1);
    EXPECT_EQ(o.last_gen, 1);
    EXPECT_EQ(o.fingerprint.size(), 16u);
  }
}

TEST(Rules, CrashStuckTimeoutAndLaunchFailureAreImportant) {
  Fixture f;
  std::string agent = f.b.agent("g02-a01");
  f.b.tool("Bash", R"({"command":"make test"})");
  int64_t killed = f.b.event(agent, "agent.killed", {{"reason", "idle"}});
  f.store->flush();
  AgentOutcome o;
  o.agent_id = "g02-a01";
  o.generation = 2;
  o.agent_span_id = agent;
  o.strategy = "minimal-fix";

  auto important = [&](AgentStatus status, const std::string& exit) {
    o.status = status;
    o.exit_description = exit;
    std::vector<Observation> got = extract_observations(*f.store, o);
    EXPECT_FALSE(got.empty());
    EXPECT_EQ(got[0].priority, Priority::important);
    return got[0];
  };
  Observation crash = important(AgentStatus::crashed, "signal 11 (Segmentation fault)");
  EXPECT_EQ(crash.kind, Kind::crash);
  EXPECT_EQ(crash.text,
            "Agent crashed (signal 11 (Segmentation fault)); its last call was Bash `make test`");
  EXPECT_EQ(crash.evidence.at(0).event_id, killed);
  Observation stuck = important(AgentStatus::killed_stuck, "no output for 300s");
  EXPECT_EQ(stuck.kind, Kind::stuck);
  EXPECT_EQ(stuck.text, "Agent was killed as stuck (no output for 300s); it stalled after Bash `make test`");
  Observation timeout = important(AgentStatus::killed_timeout, "wall clock 1800s");
  EXPECT_EQ(timeout.text, "Agent was killed at its wall-clock limit (wall clock 1800s); its last call was Bash `make test`");
  Observation launch = important(AgentStatus::launch_failed, "claude: not found in PATH");
  EXPECT_EQ(launch.text, "Agent failed to launch (claude: not found in PATH)");
  o.tokens_in = 200000;
  o.tokens_out = 5000;
  Observation budget = important(AgentStatus::killed_budget, "token budget 200000 reached");
  EXPECT_EQ(budget.kind, Kind::budget_exhausted);
  EXPECT_EQ(budget.text,
            "Agent exhausted its budget (token budget 200000 reached) after 200,000 input + 5,000 output tokens "
            "without a validated fix");
}

TEST(Rules, PartialFixRefactorAndReportedErrors) {
  Fixture f;
  std::string agent = f.b.agent("g03-a04");
  for (const char* file : {"src/a.c", "src/b.c", "src/c.c"}) {
    f.b.tool("Write", std::string(R"({"file_path":")") + kWs + "/" + file + R"("})");
    f.b.file("file.write", std::string(kWs) + "/" + file);
  }
  int64_t err = f.b.event(f.b.session(), "error", {{"message", "API Error: 529 overloaded_error (request id req_01)"}});
  f.store->flush();
  AgentOutcome o = failed_fix_outcome(agent);
  o.agent_id = "g03-a04";
  o.generation = 3;
  o.changed_files = {"src/a.c", "src/b.c", "src/c.c"};
  o.verify = {true, false, 2, 5, "", "ok\nok\nFAIL: test_flush (tests.test_io) ... AssertionError: 3 != 4\n"};
  o.goal.clear();
  std::vector<Observation> got = extract_observations(*f.store, o);
  auto find = [&](Kind kind) -> const Observation* {
    for (const auto& x : got)
      if (x.kind == kind) return &x;
    return nullptr;
  };
  ASSERT_NE(find(Kind::partial_fix), nullptr);
  EXPECT_EQ(find(Kind::partial_fix)->text,
            "Fix changing src/a.c, src/b.c, src/c.c passed verify in only 2 of 5 repeats; first failure: FAIL: "
            "test_flush (tests.test_io) ... AssertionError: 3 != 4");
  EXPECT_EQ(find(Kind::partial_fix)->priority, Priority::possible);
  EXPECT_EQ(find(Kind::failed_fix), nullptr);
  ASSERT_NE(find(Kind::refactor), nullptr);
  EXPECT_EQ(find(Kind::refactor)->text,
            "Refactor across 3 files (src/a.c, src/b.c, src/c.c); the agent produced a partial fix");
  ASSERT_NE(find(Kind::tool_error), nullptr);
  EXPECT_EQ(find(Kind::tool_error)->text, "Agent reported an error: API Error: 529 overloaded_error (request id req_01)");
  EXPECT_EQ(find(Kind::tool_error)->evidence.at(0).event_id, err);
  EXPECT_EQ(find(Kind::goal), nullptr);
  EXPECT_EQ(find(Kind::dead_end), nullptr);
}

TEST(Rules, ValidatedFixHasNoDeadEndsAndUnknownSpanGivesOutcomeOnly) {
  Fixture f;
  AgentOutcome o;
  o.agent_id = "g01-a01";
  o.generation = 1;
  o.agent_span_id = "feedfacefeedface";  // nothing stored under it
  o.strategy = "reproduce-first";
  o.verify = {true, true, 3, 3, "", ""};
  o.changed_files = {"src/q.c"};
  o.duration_ms = 850;
  std::vector<Observation> got = extract_observations(*f.store, o);
  std::vector<std::string> texts;
  for (const auto& x : got) texts.push_back(x.text);
  EXPECT_EQ(texts, (std::vector<std::string>{
                       "Edited src/q.c",
                       "Strategy reproduce-first used 0 input + 0 output tokens ($0.00) and produced a validated fix",
                       "Agent with strategy reproduce-first ran 850ms (0 tool calls, 0 LLM calls) and produced a "
                       "validated fix"}));
}

TEST(Rules, OddAttributeTypesDoNotThrow) {
  Fixture f;
  std::string agent = f.b.agent("g01-a03");
  trace::Span odd;
  odd.trace_id = "0123456789abcdef0123456789abcdef";
  odd.span_id = "00000000000000aa";
  odd.parent_span_id = f.b.session();
  odd.kind = trace::SpanKind::tool;
  odd.name = "Bash";
  odd.status = trace::SpanStatus::error;
  odd.attributes = {{"gen_ai.tool.name", 7}, {"gen_ai.tool.call.arguments", {{"command", {"ls", "-l"}}}},
                    {"error.message", {{"code", 2}}}};
  f.store->put_span(odd);
  f.b.event(f.b.session(), "message", {{"role", 5}, {"text", {1, 2}}});
  f.b.event(f.b.session(), "file.write", {{"path", 3}});
  f.store->flush();
  AgentOutcome o;
  o.agent_id = "g01-a03";
  o.agent_span_id = agent;
  std::vector<Observation> got = extract_observations(*f.store, o);
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got[0].text, R"(7 `ls -l` failed: {"code":2})");
}

}  // namespace
}  // namespace observer

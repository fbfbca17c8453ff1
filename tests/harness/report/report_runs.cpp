#include "report_runs.h"

#include "report_fixture.h"

namespace harness_test {

using harness::AgentOutcome;
using trace::SpanKind;

const char* const kFinishedRunWinnerTree =
    "agent g03-a01 13m20s\n"
    "└─ session claude-code 13m09s, 5.0k tokens\n"
    "   ├─ llm chat claude-sonnet-4 ×3, 3.3k tokens\n"
    "   ├─ tool Read `src/ledger.c` 1.0s\n"
    "   ├─ tool Bash `make test` 20.0s ✗ exit status 2\n"
    "   ├─ tool Task `find the lock` 1m00s\n"
    "   │  └─ subagent Explore 58.0s, 560 tokens\n"
    "   │     ├─ llm chat claude-haiku 5.0s, 560 tokens\n"
    "   │     └─ tool Grep `mutex` 1.0s\n"
    "   ├─ tool Edit `src/pool.c` 1.0s\n"
    "   └─ llm chat claude-sonnet-4 8.0s, 1.1k tokens\n";

std::vector<harness::ReportObservation> finished_run_observations() {
  return {
      {"O-0001", "important", "failed_fix", "Changing src/ledger.c alone does not pass test_transfer", 2, 1, 2,
       {"g01-a01#e12", "g02-a01#e40"}},
      {"O-0002", "important", "crash", "Assertion `pool->active == 0' failed after the retry | in pool.c", 1, 2, 2,
       {"g02-a02#e55"}},
      {"O-0003", "possible", "refactor", "Agents moved the lock into pool_submit()", 3, 1, 3, {"g01-a01#e13"}},
      {"O-0004", "informational", "tokens", "<script>alert(1)</script> sessions use 3k tokens", 1, 1, 1, {}},
      {"O-0005", "possible", "file_created", "tests/race_test.c created", 1, 2, 2, {"g02-a01#e41"}},
      {"O-0006", "informational", "dead_end", "grep for 'mutex' found nothing new", 1, 3, 3, {"g03-a03#e70"}},
  };
}

static void winner_trace(RunBuilder& run, const std::string& agent_span, int64_t a) {
  auto s = [&](int64_t sec) { return a + sec * kSecond; };
  std::string session = run.span(agent_span, SpanKind::session, "claude-code", s(1), s(790));
  for (int i = 0; i < 3; ++i)
    run.span(session, SpanKind::llm, "chat claude-sonnet-4", s(2 + 6 * i), s(7 + 6 * i), {}, {1000, 100, 0, 0, 0});
  run.span(session, SpanKind::tool, "Read", s(20), s(21), {{"gen_ai.tool.call.arguments", R"({"file_path":"src/ledger.c"})"}});
  run.span(session, SpanKind::tool, "Bash", s(22), s(42),
           {{"gen_ai.tool.call.arguments", R"({"command":"make test"})"}, {"error.message", "exit status 2"}}, {},
           trace::SpanStatus::error);
  std::string task = run.span(session, SpanKind::tool, "Task", s(43), s(103),
                              {{"gen_ai.tool.call.arguments", R"({"description":"find the lock","prompt":"Find it"})"}});
  std::string sub = run.span(task, SpanKind::subagent, "Explore", s(44), s(102));
  run.span(sub, SpanKind::llm, "chat claude-haiku", s(45), s(50), {}, {500, 60, 0, 0, 0});
  run.span(sub, SpanKind::tool, "Grep", s(51), s(52), {{"gen_ai.tool.call.arguments", R"({"pattern":"mutex"})"}});
  run.span(session, SpanKind::tool, "Edit", s(110), s(111), {{"gen_ai.tool.call.arguments", R"({"file_path":"src/pool.c"})"}});
  run.span(session, SpanKind::llm, "chat claude-sonnet-4", s(112), s(120), {}, {1000, 100, 0, 0, 0});
}

void fill_finished_run(const std::string& dir, bool observations_table) {
  RunBuilder run(dir, "ledger-20231114", kT0);
  run.config("name: ledger-race\ngenerations: 3\npopulation: 3\nverify:\n  command: make test\n  repeat: 3\n");
  const int64_t g1 = kT0, g2 = kT0 + 1000 * kSecond, g3 = kT0 + 2000 * kSecond;
  run.generation(1, "completed", g1, g1 + 1000 * kSecond, std::array<int, 3>{3, 3, 1});
  run.generation(2, "completed", g2, g2 + 1000 * kSecond, std::array<int, 3>{5, 2, 1});
  run.generation(3, "completed", g3, g3 + 1000 * kSecond, std::array<int, 3>{6, 1, 0});
  const std::string balance = "FAIL: test_transfer (balance mismatch)";

  auto a = make_agent(1, 1, "bisect", AgentOutcome::completed, g1, 600, 1000, 200, 0.10, "exit 0");
  a.verify = {true, 0, 3, balance};
  a.changed_files = {"src/ledger.c"};
  run.agent(a);
  run.agent(make_agent(1, 2, "trace-first", AgentOutcome::killed_stuck, g1, 300, 500, 50, 0.05,
                       "no output for 300s (idle timeout)"));
  run.agent(make_agent(1, 3, "minimal-patch", AgentOutcome::completed, g1, 400, 800, 100, 0.08, "exit 0"));

  a = make_agent(2, 1, "bisect", AgentOutcome::completed, g2, 700, 2000, 300, 0.20, "exit 0");
  a.verify = {true, 2, 3, balance};
  a.changed_files = {"src/ledger.c", "src/pool.c"};
  run.agent(a);
  a = make_agent(2, 2, "trace-first", AgentOutcome::crashed, g2, 500, 1500, 250, 0.15, "exit 1");
  a.verify = {true, 0, 3, "Assertion `pool->active == 0' failed"};
  a.changed_files = {"src/pool.c"};
  run.agent(a);
  run.agent(make_agent(2, 3, "minimal-patch", AgentOutcome::killed_budget, g2, 200, 3000, 400, 0.30,
                       "agent budget exceeded (3400 tokens, $0.3000)"));

  a = make_agent(3, 1, "bisect", AgentOutcome::completed, g3, 800, 2500, 500, 0.25, "exit 0");
  a.verify = {true, 3, 3, ""};
  a.changed_files = {"src/ledger.c", "src/pool.c"};
  std::string winner = run.agent(a,
                                 "diff --git a/src/pool.c b/src/pool.c\n--- a/src/pool.c\n+++ b/src/pool.c\n"
                                 "@@ -10,3 +10,4 @@ void pool_submit(struct pool *p)\n   lock(p);\n-  p->active++;\n"
                                 "+  if (!p->closing)\n+    p->active++;\n   unlock(p);\n");
  winner_trace(run, winner, g3);
  a = make_agent(3, 2, "trace-first", AgentOutcome::interrupted, g3, 100, 400, 40, 0.04, "harness stopped while it ran");
  a.status = harness::AttemptStatus::interrupted;
  run.agent(a);
  a = make_agent(3, 2, "trace-first", AgentOutcome::completed, g3 + 100 * kSecond, 850, 1200, 100, 0.12, "exit 0");
  a.attempt = 2;
  a.verify = {true, 3, 3, ""};
  a.changed_files = {"src/pool.c"};
  run.agent(a, "--- a/src/pool.c\n+++ b/src/pool.c\n");
  run.agent(make_agent(3, 3, "minimal-patch", AgentOutcome::killed_timeout, g3, 950, 100, 10, 0.01,
                       "ran longer than 950s (wall timeout)"));
  if (observations_table) run.observations_table(finished_run_observations());
  run.finish("completed", 0, kT0 + 3600 * kSecond, "2 validated fixes found");
}

std::vector<harness::ReportObservation> interrupted_run_observations() {
  return {
      {"O-0001", "important", "failed_fix", "a.c alone is not enough", 2, 1, 2, {"g01-a01#e3"}},
      {"O-0002", "possible", "file_created", "tests/extra.c created", 1, 1, 1, {}},
      {"O-0003", "important", "error", "b.c: use after free under verify", 1, 2, 2, {"g02-a01#e9"}},
  };
}

void fill_interrupted_run(const std::string& dir) {
  RunBuilder run(dir, "interrupted-run", kT0);
  run.config("generations: 4\nverify:\n  command: ./verify.sh\n  repeat: 2\n");
  run.generation(1, "completed", kT0, kT0 + 500 * kSecond, std::array<int, 3>{2, 2, 1});
  run.generation(2, "running", kT0 + 500 * kSecond, 0, std::nullopt);
  auto a = make_agent(1, 1, "bisect", AgentOutcome::completed, kT0, 100, 100, 10, 0.01, "exit 0");
  a.verify = {true, 0, 2, "FAIL: x"};
  a.changed_files = {"a.c"};
  run.agent(a);
  run.agent(make_agent(1, 2, "trace-first", AgentOutcome::completed, kT0, 120, 200, 20, 0.02, "exit 0"));
  a = make_agent(2, 1, "bisect", AgentOutcome::completed, kT0 + 500 * kSecond, 200, 300, 30, 0.03, "exit 0");
  a.verify = {true, 1, 2, "FAIL: y"};
  a.changed_files = {"a.c", "b.c"};
  run.agent(a);
  a = make_agent(2, 2, "trace-first", AgentOutcome::interrupted, kT0 + 500 * kSecond, 60, 50, 5, 0.005,
                 "interrupted (Ctrl-C / TERM)");
  a.status = harness::AttemptStatus::interrupted;
  run.agent(a);
  run.finish("interrupted", 130, 0, "");
}

}  // namespace harness_test

// The built-in example (examples/ledger): its target project really has two independent bugs that a hand-written
// patch fixes (and neither half alone does), prepare.sh makes its repository, and the demo agent prints the trace
// protocol cleanly and uses what its prompt's observations tell it. Runs g++ and the project's test for real.
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "example_fixture.h"
#include "trace/import.h"
#include "trace/store.h"

namespace {

const std::string kExample = std::string(HARNESS_SOURCE_DIR) + "/examples/ledger";

// The fix, known to this test only: the demo agent must find it by searching.
constexpr const char* kRacePatch = R"(--- a/src/ledger.cpp
+++ b/src/ledger.cpp
@@ -10,2 +10,3 @@
 bool Ledger::apply(int from, int to, int64_t amount) {
+  std::lock_guard<std::mutex> lock(mu_);
   int64_t from_balance = balances_[from];
)";
constexpr const char* kRetryPatch = R"(--- a/src/processor.cpp
+++ b/src/processor.cpp
@@ -62,10 +62,10 @@
 bool Processor::already_applied(const Attempt& attempt) const {
   std::lock_guard<std::mutex> lock(seen_mu_);
-  return seen_.count(attempt.request_id) > 0;
+  return seen_.count(attempt.transfer_id) > 0;
 }
 
 void Processor::record(const Attempt& attempt) {
   std::lock_guard<std::mutex> lock(seen_mu_);
-  seen_.insert(attempt.request_id);
+  seen_.insert(attempt.transfer_id);
   applied_log_.push_back(attempt.transfer_id);
 }
)";

using namespace example_test;

class ExampleProject : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { example_ = std::make_unique<ExampleRepo>("ledger"); }
  static void TearDownTestSuite() { example_.reset(); }

  void SetUp() override { ASSERT_EQ(example_->prepared().exit_code, 0) << example_->prepared().output; }

  fs::path workspace(const std::string& name) { return example_->workspace(name); }
  static void apply_patch(const fs::path& ws, const std::string& patch) { ExampleRepo::apply_patch(ws, patch); }
  static Shell make_test(const fs::path& ws) { return ExampleRepo::make_test(ws); }
  static Shell demo_agent(const fs::path& ws, const std::string& prompt, const std::string& strategy, int seed,
                          const std::string& extra = "") {
    return ExampleRepo::demo_agent(ws, prompt, strategy, seed, extra);
  }

  static const fs::path& root() { return example_->root(); }

  static inline std::unique_ptr<ExampleRepo> example_;
};

constexpr const char* kBug = "The ledger test fails. Verify with `make test`.\n";

TEST_F(ExampleProject, PrepareMakesOneDeterministicCommitAndKeepsAnUpToDateRepo) {
  Shell count = sh("git -C " + quote((root() / "repo").string()) + " rev-list --count HEAD");
  EXPECT_EQ(count.output, "1\n");
  Shell head = sh("git -C " + quote((root() / "repo").string()) + " rev-parse HEAD");
  Shell again = sh(kExample + "/prepare.sh " + quote((root() / "repo").string()));
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_EQ(again.output, (root() / "repo").string() + ": up to date at " + head.output);
  // Another folder gets the same commit: the base ref is reproducible.
  Shell other = sh(kExample + "/prepare.sh " + quote((root() / "repo2").string()));
  EXPECT_EQ(other.output, (root() / "repo2").string() + ": created at " + head.output);
  Shell clean = sh("git -C " + quote((root() / "repo").string()) + " status --porcelain");
  EXPECT_EQ(clean.output, "");
}

TEST_F(ExampleProject, PrepareRefusesAFolderItDidNotMake) {
  fs::create_directories(root() / "mine");
  write_file(root() / "mine" / "notes.txt", "keep me");
  Shell r = sh(kExample + "/prepare.sh " + quote((root() / "mine").string()));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.output, "prepare.sh: " + (root() / "mine").string() +
                          " exists and was not made by this script; not touching it\n");
  EXPECT_TRUE(fs::exists(root() / "mine" / "notes.txt"));
}

TEST_F(ExampleProject, BaseFailsBothChecks) {
  auto ws = workspace("base");
  Shell r = make_test(ws);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("FAIL conservation"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("FAIL exactly-once"), std::string::npos) << r.output;
}

TEST_F(ExampleProject, TheTwoPartFixPassesTenRepeatsInARow) {
  auto ws = workspace("fixed");
  apply_patch(ws, kRacePatch);
  apply_patch(ws, kRetryPatch);
  for (int i = 0; i < 10; ++i) {
    Shell r = make_test(ws);
    ASSERT_EQ(r.exit_code, 0) << "repeat " << i << ":\n" << r.output;
    EXPECT_NE(r.output.find("PASS conservation (12/12 rounds)"), std::string::npos);
    EXPECT_NE(r.output.find("PASS exactly-once (12/12 rounds)"), std::string::npos);
  }
}

TEST_F(ExampleProject, EachHalfOfTheFixAloneStillFails) {
  auto race_only = workspace("race-only");
  apply_patch(race_only, kRacePatch);
  auto retry_only = workspace("retry-only");
  apply_patch(retry_only, kRetryPatch);
  for (int i = 0; i < 3; ++i) {
    Shell r = make_test(race_only);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.output.find("PASS conservation"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("FAIL exactly-once"), std::string::npos) << r.output;
    Shell d = make_test(retry_only);
    EXPECT_NE(d.exit_code, 0);
    EXPECT_NE(d.output.find("FAIL conservation"), std::string::npos) << d.output;
    EXPECT_NE(d.output.find("PASS exactly-once"), std::string::npos) << d.output;
  }
}

TEST_F(ExampleProject, DemoAgentPrintsTheTraceProtocolWithoutDecodeErrors) {
  auto ws = workspace("agent-protocol");
  Shell r = demo_agent(ws, kBug, "reproduce-first", 5, "--param budget_steps=2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  write_file(root() / "agent-protocol.jsonl", r.output);
  auto imported = trace::import_files({(root() / "agent-protocol.jsonl").string()}, trace::Format::jsonl,
                                      (root() / "agent-protocol-trace").string());
  ASSERT_EQ(imported.size(), 1u);
  const auto& stats = imported[0].stats;
  EXPECT_EQ(stats.errors, 0);
  EXPECT_EQ(stats.sessions, 1);
  EXPECT_EQ(stats.ignored, 0);
  EXPECT_GT(stats.lines, 40);

  auto store = trace::Store::open((root() / "agent-protocol-trace" / "run.db").string());
  int bash_runs = 0, failed_bash = 0, reads = 0, llm_calls = 0;
  int64_t tokens = 0;
  store->for_each_span([&](const trace::Span& s) {
    if (s.name == "Bash") {
      ++bash_runs;
      if (s.status == trace::SpanStatus::error && s.attributes.value("process.exit.code", 0) == 2) ++failed_bash;
    }
    if (s.name == "Read") ++reads;
    if (s.kind == trace::SpanKind::llm) {
      ++llm_calls;
      tokens += s.usage.input_tokens + s.usage.output_tokens;
    }
  });
  // budget_steps=2: the baseline run and one edit, both failing (one edit fixes at most one of the two bugs).
  EXPECT_EQ(bash_runs, 2);
  EXPECT_EQ(failed_bash, 2);
  EXPECT_EQ(reads, 10);  // every source, doc and build file of the project
  EXPECT_GE(llm_calls, 4);
  EXPECT_GT(tokens, 1000);
  int session_ends = 0;
  store->for_each_event([&](const trace::Event& e) {
    if (e.type == "session.ended") ++session_ends;
  });
  EXPECT_EQ(session_ends, 1);
}

TEST_F(ExampleProject, DemoAgentSurvivesOddInput) {
  auto ws = workspace("agent-odd");
  std::string garbage = "\x01\xff\xfe [important] O-9 (seen ×, gens –) `@` ruled out @@ Root cause: `x@`\n- [\n";
  Shell odd = demo_agent(ws, garbage, "no-such-strategy", 0, "--param budget_steps=1 --param order=sideways");
  EXPECT_EQ(odd.exit_code, 0) << odd.output;
  EXPECT_NE(odd.output.find(R"("type":"session.end")"), std::string::npos);

  Shell missing = sh(std::string(HARNESS_DEMO_AGENT) + " --workspace " + quote((root() / "nowhere").string()) +
                     " --prompt " + quote((root() / "no-prompt.md").string()) + " 2>/dev/null");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.output.find("is not a directory"), std::string::npos) << missing.output;
  EXPECT_NE(missing.output.find(R"("reason":"no workspace")"), std::string::npos) << missing.output;

  Shell usage = sh(std::string(HARNESS_DEMO_AGENT) + " --seed banana --workspace .");
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_EQ(usage.output.substr(0, usage.output.find('\n')),
            "demo-agent: --seed wants a non-negative integer, got 'banana'");
}

// Observations as the observer writes them, naming what earlier agents found.
constexpr const char* kObservations = R"(The ledger test fails. Verify with `make test`.

## Observations from earlier generations
- [important] O-0001 (seen 4×, gens 1–1) `make test` failed: exit code 2 — evidence g1-a1#e12
- [possible] O-0002 (seen 1×, gens 1–1) Root cause: `lock@Ledger::apply` (Ledger::apply writes shared state without holding mu_) fixed check conservation. — evidence g1-a2#e40
- [possible] O-0003 (seen 1×, gens 1–1) Root cause: `dedup-key@transfer_id` (seen_ remembers attempt.request_id) fixed check exactly-once. — evidence g1-a3#e31
- [possible] O-0004 (seen 2×, gens 1–1) Hypothesis: ruled out `yield@Processor::worker_loop` (workers spin on the queue): did not help, still failing: conservation, exactly-once; reverted.
)";

TEST_F(ExampleProject, DemoAgentUsesObservationsToFixBothBugsInOneTestRun) {
  // One test run cannot fix two bugs by trying one edit at a time...
  auto blind = workspace("agent-blind");
  Shell b = demo_agent(blind, kBug, "minimal-fix", 7, "--param budget_steps=1");
  ASSERT_EQ(b.exit_code, 0);
  EXPECT_NE(b.output.find(R"("reason":"budget exhausted")"), std::string::npos);
  EXPECT_NE(make_test(blind).exit_code, 0);

  // ...but it can apply what the observations say helped, all at once.
  auto informed = workspace("agent-informed");
  Shell r = demo_agent(informed, kObservations, "minimal-fix", 7, "--param budget_steps=1");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find(R"("reason":"fixed")"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("Trying `yield@Processor::worker_loop`"), std::string::npos);
  Shell verify = make_test(informed);
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  Shell diff = sh("git -C " + quote(informed.string()) + " diff --stat");
  EXPECT_NE(diff.output.find("2 files changed"), std::string::npos) << diff.output;
}

TEST_F(ExampleProject, DemoAgentSkipsRuledOutEditsAndFindsTheRestWithinItsBudget) {
  // Only the race is known; the retry bug must be found among the edits not yet ruled out.
  std::string prompt = std::string(kBug) +
      "- [possible] O-0002 (seen 1×, gens 1–1) Root cause: `lock@Ledger::apply` (...) fixed check conservation.\n";
  for (const char* id : {"dedup-key@client_id", "no-retry@kMaxRetries", "raise@kRetryBackoffUs", "seq-cst@processor",
                         "notify-under-lock@work_queue", "lock@Processor::start", "lock@Ledger::open_account"})
    prompt += std::string("- [possible] O-0010 (seen 1×, gens 1–1) Hypothesis: ruled out `") + id +
              "` (...): did not help; reverted.\n";
  auto ws = workspace("agent-partial");
  Shell r = demo_agent(ws, prompt, "read-recent-changes", 11, "--param budget_steps=3");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find(R"("reason":"fixed")"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("Trying `dedup-key@client_id`"), std::string::npos);
  EXPECT_EQ(make_test(ws).exit_code, 0);
}

// Its test command is the prompt's verify command, not a command another agent's strategy or an observation
// quotes near the word "verify" (a bisect strategy's "run `git bisect` with the verify command").
TEST_F(ExampleProject, DemoAgentRunsTheVerifyCommandOfItsPromptNotOneAnObservationQuotes) {
  std::string prompt = std::string("The ledger test fails; your change is judged by the verify command.\n") +
      "\n## How a fix is verified\n\nA fix counts only when this command exits 0 on every repeat:\n\n"
      "    make test\n\n## What the agents before you observed\n\n"
      "- [informational] O-0003 (seen 1×, gen 1) Goal: strategy bisect: run `git bisect` with the verify command\n"
      "- instructions: use the history: run `git bisect` with the verify command\n";
  auto ws = workspace("agent-verify-command");
  Shell r = demo_agent(ws, prompt, "reproduce-first", 3, "--param budget_steps=1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(R"("input":{"command":"make test"})"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("git bisect\"}"), std::string::npos) << r.output;
}

}  // namespace

// The second built-in example (examples/cascade): its service really fails under load in two independent ways
// that a hand-written patch fixes (neither half alone does), and its fixed ports clash when two runs share a
// network. Runs g++ and the project's test for real, each in a network namespace of its own (bwrap, as the
// sandbox does), so that these tests never clash with each other or with another process of the host.
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "example_fixture.h"

namespace {

using namespace example_test;

// The fix, known to this test only: the demo agent must find it by searching.
constexpr const char* kDeadlinePatch = R"(--- a/src/config.h
+++ b/src/config.h
@@ -10,3 +10,3 @@
 
-constexpr int kGatewayTimeoutMs = 60;   // how long the gateway waits for the auth tier before answering TIMEOUT
+constexpr int kGatewayTimeoutMs = 600;  // how long the gateway waits for the auth tier before answering TIMEOUT
 constexpr int kAuthTimeoutMs = 2000;    // how long the auth tier waits for the store in all
)";
constexpr const char* kHedgePatch = R"(--- a/src/config.h
+++ b/src/config.h
@@ -12,3 +12,3 @@
 constexpr int kAuthTimeoutMs = 2000;    // how long the auth tier waits for the store in all
-constexpr int kAuthRetries = 2;         // extra copies the auth tier sends when the store is slow to answer
+constexpr int kAuthRetries = 0;         // extra copies the auth tier sends when the store is slow to answer
 constexpr int kAuthHedgeAfterMs = 15;   // how long the auth tier waits before sending the next copy
)";

class CascadeExample : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { example_ = std::make_unique<ExampleRepo>("cascade"); }
  static void TearDownTestSuite() { example_.reset(); }

  void SetUp() override {
    ASSERT_EQ(example_->prepared().exit_code, 0) << example_->prepared().output;
    if (sh("bwrap --dev-bind / / --unshare-net true").exit_code != 0)
      GTEST_SKIP() << "bwrap cannot make a network namespace here: the fixed ports would clash with the host";
  }

  // `command` in the workspace, inside a network namespace of its own (loopback only).
  static Shell in_own_network(const fs::path& ws, const std::string& command) {
    return sh("cd " + quote(ws.string()) + " && bwrap --dev-bind / / --unshare-net --die-with-parent sh -c " +
              quote(command));
  }
  static Shell make_test(const fs::path& ws) { return in_own_network(ws, "make -s test"); }

  static inline std::unique_ptr<ExampleRepo> example_;
};

TEST_F(CascadeExample, BaseFailsBothChecks) {
  auto ws = example_->workspace("base");
  Shell r = make_test(ws);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("FAIL deadline"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("FAIL exactly-once"), std::string::npos) << r.output;
}

TEST_F(CascadeExample, TheTwoPartFixPassesFiveRepeatsInARow) {
  auto ws = example_->workspace("fixed");
  ExampleRepo::apply_patch(ws, kDeadlinePatch);
  ExampleRepo::apply_patch(ws, kHedgePatch);
  for (int i = 0; i < 5; ++i) {
    Shell r = make_test(ws);
    ASSERT_EQ(r.exit_code, 0) << "repeat " << i << ":\n" << r.output;
    EXPECT_NE(r.output.find("PASS deadline (6/6 rounds)"), std::string::npos);
    EXPECT_NE(r.output.find("PASS exactly-once (6/6 rounds)"), std::string::npos);
  }
}

TEST_F(CascadeExample, EachHalfOfTheFixAloneStillFails) {
  auto deadline_only = example_->workspace("deadline-only");
  ExampleRepo::apply_patch(deadline_only, kDeadlinePatch);
  auto hedge_only = example_->workspace("hedge-only");
  ExampleRepo::apply_patch(hedge_only, kHedgePatch);
  for (int i = 0; i < 2; ++i) {
    Shell d = make_test(deadline_only);
    EXPECT_NE(d.exit_code, 0);
    EXPECT_NE(d.output.find("PASS deadline"), std::string::npos) << d.output;
    EXPECT_NE(d.output.find("FAIL exactly-once"), std::string::npos) << d.output;
    Shell h = make_test(hedge_only);
    EXPECT_NE(h.exit_code, 0);
    EXPECT_NE(h.output.find("FAIL deadline"), std::string::npos) << h.output;
    EXPECT_NE(h.output.find("PASS exactly-once"), std::string::npos) << h.output;
  }
}

// What two unsandboxed agents on one host do to each other: while one run's store holds its port, the other's
// test cannot start and fails every check, whatever its code.
TEST_F(CascadeExample, ARunSharingTheNetworkWithAnotherFailsOnTheTakenPort) {
  auto ws = example_->workspace("shared");
  ExampleRepo::apply_patch(ws, kDeadlinePatch);
  ExampleRepo::apply_patch(ws, kHedgePatch);
  Shell r = in_own_network(ws, "make -s build/cascade_test && python3 -c '"
                               "import socket, subprocess, sys\n"
                               "held = socket.socket(); held.bind((\"127.0.0.1\", 7403)); held.listen()\n"
                               "sys.exit(subprocess.call([\"./build/cascade_test\"]))'");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("FAIL setup: cannot listen on 127.0.0.1:7403: Address already in use"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("FAIL deadline (0/6 rounds); first failure: the service did not start"), std::string::npos);
  EXPECT_NE(r.output.find("FAIL exactly-once (0/6 rounds)"), std::string::npos);
}

// The demo agent finds both halves from the candidates it discovers, and uses what observations tell it.
TEST_F(CascadeExample, DemoAgentFixesBothHalvesWhenTheObservationsNameOne) {
  std::string prompt =
      "`make test` fails under load. Verify with `make test`.\n"
      "- [possible] O-0002 (seen 1×, gens 1–1) Root cause: `raise@kGatewayTimeoutMs` (...) fixed check deadline.\n";
  for (const char* id : {"raise@kAuthTimeoutMs", "raise@kClientBackoffMs", "seq-cst@services"})
    prompt += std::string("- [possible] O-0010 (seen 1×, gens 1–1) Hypothesis: ruled out `") + id +
              "` (...): did not help; reverted.\n";
  auto ws = example_->workspace("agent");
  write_file(example_->root() / "agent.prompt.md", prompt);
  Shell r = in_own_network(ws, std::string(HARNESS_DEMO_AGENT) + " --prompt " +
                                   quote((example_->root() / "agent.prompt.md").string()) +
                                   " --workspace . --strategy minimal-fix --seed 3 --param budget_steps=3 2>/dev/null");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(R"("reason":"fixed")"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("no-retry@kAuthRetries"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("Trying `raise@kAuthTimeoutMs`"), std::string::npos);
  EXPECT_EQ(make_test(ws).exit_code, 0);
}

}  // namespace

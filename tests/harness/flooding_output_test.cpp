// An agent and a verify command that flood stderr (issue 18: a 1 GiB stderr left a 1 GiB stderr.log, verify's a
// 1 GiB verify.log read whole for a 2,000-character tail, and neither was redacted). Through the real binary:
// both logs stay within limits.*, keep their first and last lines, say how much was cut, and hold no secret.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "loop_fixture.h"

namespace fs = std::filesystem;
using namespace harness_test;

namespace {

const char* kFlooder = R"SH(#!/bin/sh
echo "first agent line ANTHROPIC_API_KEY=sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAAAAAA" >&2
yes 'agent stderr flood xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' | head -c 12000000 >&2
echo "last agent line ghp_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U" >&2
echo '{"hv":1,"type":"session.start","session":"main","agent":"flooder"}'
echo fixed > state.txt
echo '{"hv":1,"type":"session.end","session":"main","status":"ok"}'
)SH";

TEST(FloodingOutput, StderrAndVerifyLogsAreBoundedKeepHeadAndTailAndAreRedacted) {
  LoopFixture f;
  std::string agent = f.dir() + "/flood.sh";
  std::ofstream(agent) << kFlooder;
  fs::permissions(agent, fs::perms::owner_all, fs::perm_options::add);
  std::string cfg = f.dir() + "/flood.yaml";
  std::ofstream(cfg) << "name: flood\n"
                        "target:\n  repo: repo\n  bug: state.txt says bug\n"
                        "verify:\n  command: \"yes 'verify flood yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy' | "
                        "head -c 12000000 >&2; echo 'verify last line sk-ant-api03-CCCCCCCCCCCCCCCCCCCCCCCC' >&2; "
                        "./verify.sh\"\n  protected: [verify.sh]\n  baseline: false\n"
                        "generations: 1\npopulation: 1\nconcurrency: 1\n"
                        "runner:\n  command: [\"" << agent << "\"]\n  format: jsonl\n"
                        "limits:\n  stderr_mb: 1\n  verify_log_mb: 1\n";
  std::string run = f.dir() + "/run";
  auto r = f.harness("run " + cfg + " --run-dir " + run);
  ASSERT_EQ(r.exit_code, 0) << r.output;

  std::string agent_dir = run + "/gen-001/agent-01";
  for (const char* name : {"stderr.log", "verify.log"}) {
    SCOPED_TRACE(name);
    std::string log = read_file(agent_dir + "/" + name);
    EXPECT_LE(log.size(), (1u << 20) + 200);  // the limit and the note saying what was cut
    EXPECT_GT(log.size(), (1u << 20) - 200);
    EXPECT_NE(log.find(" bytes cut here; limits."), std::string::npos);
    EXPECT_EQ(log.find("AAAAAAAAAAAAAAAAAAAA"), std::string::npos);
    EXPECT_EQ(log.find("BBBBBBBBBBBBBBBBBBBB"), std::string::npos);
    EXPECT_EQ(log.find("CCCCCCCCCCCCCCCCCCCC"), std::string::npos);
    EXPECT_EQ(log.find("dozjgNryP4J3jVmNHl0w5N"), std::string::npos);
  }
  std::string err = read_file(agent_dir + "/stderr.log");
  EXPECT_EQ(err.rfind("first agent line ANTHROPIC_API_KEY=[REDACTED:", 0), 0u) << err.substr(0, 200);
  EXPECT_NE(err.find("last agent line [REDACTED:github_token] [REDACTED:jwt]\n"), std::string::npos)
      << err.substr(err.size() - 300);
  std::string verify = read_file(agent_dir + "/verify.log");
  EXPECT_EQ(verify.rfind("== verify repeat 1/1", 0), 0u);
  EXPECT_NE(verify.find("verify last line [REDACTED:anthropic_key]"), std::string::npos);
  EXPECT_NE(verify.find("== repeat 1 exit 0"), std::string::npos);  // the tail holds the end
  auto cut = events_of(run, "log.truncated");
  ASSERT_EQ(cut.size(), 2u);
  EXPECT_EQ(cut[0]["file"], "stderr.log");
  EXPECT_EQ(cut[1]["file"], "verify.log");
}

}  // namespace

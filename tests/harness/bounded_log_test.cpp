// BoundedLog: head and tail kept with a note of what was cut, secrets redacted even when a line arrives in pieces,
// no file when nothing was written.
#include <gtest/gtest.h>

#include <filesystem>

#include "harness/bounded_log.h"
#include "loop_fixture.h"

namespace fs = std::filesystem;

namespace {

struct BoundedLogTest : ::testing::Test {
  std::string dir = [] {
    std::string pattern = (fs::temp_directory_path() / "bounded-log-XXXXXX").string();
    return std::string(::mkdtemp(pattern.data()));
  }();
  ~BoundedLogTest() override { fs::remove_all(dir); }
};

TEST_F(BoundedLogTest, KeepsHeadAndTailAndSaysHowMuchWasCut) {
  {
    harness::BoundedLog log(dir + "/x.log", 20, 20, "limits.test_mb");
    for (int i = 0; i < 100; ++i) log.write("line " + std::to_string(i) + "\n");
    EXPECT_EQ(log.bytes_seen(), 790u);
  }
  // Whole lines in the head (line 0 to 2: 21 bytes would not fit); the tail is the last 20 bytes from the first
  // whole line among them.
  EXPECT_EQ(harness_test::read_file(dir + "/x.log"),
            "line 0\nline 1\n"
            "\n[harness: 760 bytes cut here; limits.test_mb keeps the first 20 and the last 20 bytes]\n"
            "line 98\nline 99\n");
}

TEST_F(BoundedLogTest, RedactsSecretsSplitAcrossWritesAndWritesNothingUntilWritten) {
  harness::BoundedLog log(dir + "/y.log", 1 << 20, 1 << 20, "limits.test_mb");
  EXPECT_FALSE(fs::exists(dir + "/y.log"));
  log.write("key sk-ant-api03-AAAA");
  log.write("AAAAAAAAAAAAAAAA done\nand an unfinished one");
  log.close();
  EXPECT_EQ(harness_test::read_file(dir + "/y.log"), "key [REDACTED:anthropic_key] done\nand an unfinished one");
  EXPECT_EQ(log.bytes_cut(), 0u);
}

TEST_F(BoundedLogTest, APrivateKeyPrintedOverManyLinesIsBlankedToItsEnd) {
  harness::BoundedLog log(dir + "/k.log", 1 << 20, 1 << 20, "limits.test_mb");
  log.write("before\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nQyNTUxOQAAACDr\n"
            "-----END OPENSSH PRIVATE KEY-----\nafter\n");
  log.close();
  std::string text = harness_test::read_file(dir + "/k.log");
  EXPECT_EQ(text.find("b3BlbnNzaC1rZXktdjEAAAAA"), std::string::npos) << text;
  EXPECT_EQ(text.find("QyNTUxOQAAACDr"), std::string::npos) << text;
  EXPECT_EQ(text.rfind("before\n", 0), 0u);
  EXPECT_NE(text.find("\nafter\n"), std::string::npos);
}

}  // namespace

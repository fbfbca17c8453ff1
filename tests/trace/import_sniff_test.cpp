// `import --format auto` on files whose start is unusual: the sniffer reads at most 1 MiB looking for a first line
// and then answers (it used to spin forever once that budget was spent: a first line over 1 MiB, or over 1 MiB of
// blank lines before it).
#include <gtest/gtest.h>

#include <fstream>

#include "claude_test_util.h"
#include "trace/import.h"

namespace {

using claude_test::TempDir;

constexpr const char* kCannotTell =
    ": cannot tell its format from its first line; pass --format jsonl|claude-stream|claude-transcript|codex|otlp";

// The import's answer: the sniffed format's file count, or the error.
std::string import_auto(const std::string& file, const std::string& out) {
  try {
    return std::to_string(trace::import_files({file}, std::nullopt, out).size()) + " file(s)";
  } catch (const trace::ImportError& e) {
    return e.what();
  }
}

TEST(ImportSniff, AFirstLineOverOneMiBIsAnsweredNotSpunOn) {
  TempDir dir;
  std::string file = dir.path() + "/huge.jsonl";
  std::ofstream(file) << "{\"a\":\"" << std::string(2 << 20, 'x') << "\"}\n";
  EXPECT_EQ(import_auto(file, dir.path() + "/out"), file + kCannotTell);
}

TEST(ImportSniff, OverOneMiBOfBlankLinesIsAnsweredNotSpunOn) {
  TempDir dir;
  std::string file = dir.path() + "/blank.jsonl";
  std::ofstream(file) << std::string(2 << 20, '\n') << R"({"hv":1,"type":"session.start","session":"m"})" << "\n";
  EXPECT_EQ(import_auto(file, dir.path() + "/out"), file + kCannotTell);
}

TEST(ImportSniff, AShortFirstLineAfterAFewBlankLinesIsSniffed) {
  TempDir dir;
  std::string file = dir.path() + "/ok.jsonl";
  std::ofstream(file) << "\n\n" << R"({"hv":1,"type":"session.start","session":"m"})" << "\n";
  EXPECT_EQ(import_auto(file, dir.path() + "/out"), "1 file(s)");
}

}  // namespace

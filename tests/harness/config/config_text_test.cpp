// The config loader's text helpers: durations, shell splitting, ${ENV} expansion, suggestions, SHA-256.
#include <gtest/gtest.h>

#include "harness/config/config_text.h"
#include "harness/config/sha256.h"

namespace harness {
namespace {

TEST(Duration, ParsesNumbersAndUnits) {
  EXPECT_EQ(parse_duration("90"), 90);
  EXPECT_EQ(parse_duration("2.5"), 2.5);
  EXPECT_EQ(parse_duration("90s"), 90);
  EXPECT_EQ(parse_duration("15m"), 900);
  EXPECT_EQ(parse_duration("2h"), 7200);
  EXPECT_EQ(parse_duration("1d"), 86400);
  EXPECT_EQ(parse_duration("500ms"), 0.5);
  EXPECT_EQ(parse_duration("1h30m"), 5400);
  EXPECT_EQ(parse_duration("1h 30m 15s"), 5415);
  EXPECT_EQ(parse_duration("1.5h"), 5400);
  EXPECT_EQ(parse_duration("0"), 0);
}

TEST(Duration, RejectsMalformed) {
  for (const char* bad : {"", " ", "5 minutes", "-5m", "m", "1h30", "30 1h", "1w", "1..5s", "abc", "1e3s", "nan"})
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
}

TEST(Duration, FormatsShortestExactForm) {
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(90), "1m30s");
  EXPECT_EQ(format_duration(900), "15m");
  EXPECT_EQ(format_duration(5400), "1h30m");
  EXPECT_EQ(format_duration(90000), "1d1h");
  EXPECT_EQ(format_duration(0.5), "500ms");
  EXPECT_EQ(format_duration(1.5), "1.5s");
}

TEST(ShellSplit, SplitsLikeAShell) {
  using V = std::vector<std::string>;
  EXPECT_EQ(shell_split("claude -p  --model x").value(), (V{"claude", "-p", "--model", "x"}));
  EXPECT_EQ(shell_split("sh -c 'echo {workspace} && ls'").value(), (V{"sh", "-c", "echo {workspace} && ls"}));
  EXPECT_EQ(shell_split(R"(a "b c" d\ e "x\"y" 'it''s' "$HOME")").value(),
            (V{"a", "b c", "d e", "x\"y", "its", "$HOME"}));
  EXPECT_EQ(shell_split(R"("" '')").value(), (V{"", ""}));
  EXPECT_EQ(shell_split("   ").value(), V{});
}

TEST(ShellSplit, ReportsUnclosedQuotes) {
  EXPECT_EQ(shell_split("a 'b").error(), "unclosed single quote");
  EXPECT_EQ(shell_split("a \"b").error(), "unclosed double quote");
  EXPECT_EQ(shell_split("a b\\").error(), "trailing backslash");
}

TEST(ExpandEnv, ExpandsSetUnsetAndDefaults) {
  EnvLookup env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "TOKEN") return "s3cret";
    if (name == "EMPTY") return "";
    return std::nullopt;
  };
  EXPECT_EQ(expand_env("Bearer ${TOKEN}!", env).text, "Bearer s3cret!");
  EXPECT_EQ(expand_env("${MISSING:-fallback}", env).text, "fallback");
  EXPECT_EQ(expand_env("${EMPTY:-fallback}", env).text, "fallback");
  EXPECT_EQ(expand_env("${EMPTY}", env).text, "");
  EXPECT_EQ(expand_env("${MISSING:-}", env).text, "");
  EXPECT_EQ(expand_env("$HOME and $${TOKEN} stay", env).text, "$HOME and ${TOKEN} stay");

  ExpandResult unset = expand_env("x ${MISSING} y", env);
  EXPECT_EQ(unset.problem, ExpandResult::Problem::kUnset);
  EXPECT_EQ(unset.variable, "MISSING");
  EXPECT_EQ(unset.reference, "${MISSING}");

  for (const char* bad : {"${", "${TOKEN", "${}", "${1X}", "${A B}", "${A:x}"}) {
    ExpandResult r = expand_env(bad, env);
    EXPECT_EQ(r.problem, ExpandResult::Problem::kMalformed) << bad;
  }
  EXPECT_EQ(expand_env("${A:x}", env).reference, "${A:x}");
}

TEST(DidYouMean, SuggestsCloseNamesOnly) {
  std::vector<std::string> keys = {"repo", "base_ref", "bug", "bug_file"};
  EXPECT_EQ(did_you_mean("rpo", keys), "repo");
  EXPECT_EQ(did_you_mean("bugfile", keys), "bug_file");
  EXPECT_EQ(did_you_mean("Repo", keys), "repo");
  EXPECT_EQ(did_you_mean("colour", keys), std::nullopt);
  EXPECT_EQ(did_you_mean("claude", {"claude-code", "codex", "demo"}), "claude-code");
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

TEST(Sha256, MatchesTheStandardVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // 55 and 56 bytes: the padding fits in one block, then just does not.
  EXPECT_EQ(sha256_hex(std::string(55, 'a')), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  EXPECT_EQ(sha256_hex(std::string(56, 'a')), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
}

}  // namespace
}  // namespace harness

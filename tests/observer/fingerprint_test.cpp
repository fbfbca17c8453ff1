// Fingerprint normalisation: what varies between runs is replaced, what names the finding is kept.
#include <gtest/gtest.h>

#include "observer/fingerprint.h"

namespace observer {
namespace {

TEST(Fingerprint, NormalisesNumbersButKeepsNamesWithDigits) {
  EXPECT_EQ(normalise_for_fingerprint("Expected 42 but got 3.14 (12,345 items) in python3 test_x0"),
            "expected <n> but got <n> (<n> items) in python3 test_x0");
}

TEST(Fingerprint, NormalisesTempPathsAndWorkspaceRoots) {
  EXPECT_EQ(normalise_for_fingerprint("open /tmp/pytest-of-root/pytest-12/test_a0/data.db: locked"),
            "open <tmp>: locked");
  EXPECT_EQ(normalise_for_fingerprint("cat /var/folders/x1/T/abc.txt"), "cat <tmp>");
  EXPECT_EQ(normalise_for_fingerprint("/home/u/runs/r-1/workspaces/g01-a02/src/queue.c:41:7: error: x"),
            "<ws>/src/queue.c:<n>:<n>: error: x");
  EXPECT_EQ(normalise_for_fingerprint("/srv/runs/other/workspaces/g09-a11/src/queue.c:12:3: error: x"),
            "<ws>/src/queue.c:<n>:<n>: error: x");
}

TEST(Fingerprint, NormalisesIdsUuidsAndAgentIds) {
  EXPECT_EQ(normalise_for_fingerprint("agent g02-a03 at 0x7ffd12ab, commit 3f9c2e1d0b7a"),
            "agent <agent> at <hex>, commit <hex>");
  EXPECT_EQ(normalise_for_fingerprint("request 123e4567-e89b-12d3-a456-426614174000 failed"),
            "request <uuid> failed");
  // Words made only of hex letters are words ("deadbeef" stays), and so are short hex-looking names.
  EXPECT_EQ(normalise_for_fingerprint("deadbeef cafe"), "deadbeef cafe");
}

TEST(Fingerprint, NormalisesTimestampsAndDurations) {
  EXPECT_EQ(normalise_for_fingerprint("at 2024-05-01T10:00:00.123Z and 2024-05-01 10:00:00+02:00"),
            "at <time> and <time>");
  EXPECT_EQ(normalise_for_fingerprint("[10:00:03.250] took 250ms then 1.5 s then 3 minutes"),
            "[<time>] took <dur> then <dur> then <dur>");
  // A bare h:mm is a line:col pair as often as a time; it stays numbers.
  EXPECT_EQ(normalise_for_fingerprint("x.py:12:30"), "x.py:<n>:<n>");
}

TEST(Fingerprint, CollapsesWhitespaceAndCase) {
  EXPECT_EQ(normalise_for_fingerprint("  AssertionError:\n\tqueue   EMPTY  "), "assertionerror: queue empty");
}

TEST(Fingerprint, SameFindingFromDifferentRunsHashesTheSame) {
  std::string a = fingerprint(Kind::tool_error,
                              "Bash `pytest -x /tmp/t1/test_q.py` failed (exit 1): test_q.py:41: AssertionError "
                              "after 3.2s at 2024-05-01T10:00:00Z");
  std::string b = fingerprint(Kind::tool_error,
                              "Bash `pytest -x /tmp/zz9/test_q.py` failed (exit 2): test_q.py:97: AssertionError "
                              "after 11s at 2025-01-09T23:59:59Z");
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.size(), 16u);
  // The kind is part of the fingerprint, and so is the text that names the finding.
  EXPECT_NE(a, fingerprint(Kind::retry_storm, "Bash `pytest -x /tmp/t1/test_q.py` failed (exit 1): test_q.py:41: "
                                              "AssertionError after 3.2s at 2024-05-01T10:00:00Z"));
  EXPECT_NE(fingerprint(Kind::tool_error, "Read src/a.c failed"), fingerprint(Kind::tool_error, "Read src/b.c failed"));
}

TEST(Fingerprint, KnownValueIsStable) {
  // FNV-1a 64 of "tool_error\n" + "x <n>": computed independently with a few lines of Python.
  EXPECT_EQ(fingerprint(Kind::tool_error, "X 7"), fingerprint(Kind::tool_error, "x 12"));
  EXPECT_EQ(fingerprint(Kind::tool_error, "X 7"), "aa4f4c136736b3aa");
}

}  // namespace
}  // namespace observer

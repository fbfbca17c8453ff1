// Untrusted JSON is refused when nested past kMaxJsonDepth, before nlohmann builds a value whose copies and walks
// would recurse once per level (issue 18: 20,000 levels overflowed a server thread's stack).
#include <gtest/gtest.h>

#include "trace/json_parse.h"

using namespace trace;

namespace {

std::string nested(int levels) { return std::string(levels, '[') + std::string(levels, ']'); }

TEST(JsonNestingDepth, CountsArraysAndObjectsButNotBracketsInStrings) {
  EXPECT_EQ(json_nesting_depth("1"), 0);
  EXPECT_EQ(json_nesting_depth(R"({"a": [1, {"b": []}]})"), 4);
  EXPECT_EQ(json_nesting_depth(R"(["[[[[", "\"[[[", "\\", [] ])"), 2);  // escaped quotes and a final backslash
  EXPECT_EQ(json_nesting_depth(nested(256)), 256);
  EXPECT_EQ(json_nesting_depth(nested(100000), 256), 257);  // stops at the limit
  EXPECT_EQ(json_nesting_depth("[[[\"unterminated"), 3);  // malformed text is scanned as far as it goes
}

TEST(ParseUntrustedJson, RefusesDeepNestingAndMalformedTextWithAReason) {
  Json out;
  EXPECT_EQ(parse_untrusted_json(nested(256), out), "");
  EXPECT_TRUE(out.is_array());
  EXPECT_EQ(parse_untrusted_json(nested(20000), out), "nested deeper than 256 levels");
  EXPECT_TRUE(out.is_discarded());
  EXPECT_TRUE(parse_untrusted_json(nested(257)).is_discarded());
  EXPECT_NE(parse_untrusted_json("{\"a\": \"\xff\"}", out).find("UTF-8"), std::string::npos);
  EXPECT_TRUE(parse_untrusted_json("{\"a\": ").is_discarded());
  EXPECT_EQ(parse_untrusted_json(R"({"a": [1, 2]})")["a"][1], 2);
}

}  // namespace

// json_text: the store's fast JSON writer produces exactly what nlohmann's dump() does for valid input, and valid
// JSON (U+FFFD in place of bad bytes) for invalid UTF-8.
#include "trace/json_text.h"

#include <gtest/gtest.h>

namespace trace {
namespace {

TEST(JsonText, SameTextAsDumpForValidInput) {
  Json values[] = {
      Json::object(),
      Json::array(),
      {{"b", 1}, {"a", {1, 2.5, -3, true, false, nullptr}}, {"c", "x"}},
      {{"text", "quote \" backslash \\ slash / tab \t newline \n cr \r bell \x07 del \x7f"}},
      {{"unicode", "caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80 \xEF\xBF\xBF"}},
      {{"big", uint64_t{18446744073709551615ULL}}, {"neg", int64_t{-9223372036854775807LL}}, {"f", 0.1 + 0.2}},
      {{"nested", {{"deeper", {{"k", std::string(5000, 'x')}}}}}},
      "\b\f\x01\x1f",
  };
  for (const Json& v : values) EXPECT_EQ(json_text(v), v.dump(-1, ' ', false, Json::error_handler_t::replace));
}

TEST(JsonText, InvalidUtf8BecomesReplacementCharacters) {
  Json v = {{"bad", std::string("a\xFF" "b\xC3" "c\xED\xA0\x80" "d")}};  // stray byte, cut sequence, surrogate
  std::string text = json_text(v);
  EXPECT_EQ(text, "{\"bad\":\"a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "d\"}");
  EXPECT_FALSE(Json::parse(text, nullptr, false).is_discarded());
}

}  // namespace
}  // namespace trace

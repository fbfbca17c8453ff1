// JsonDoc/JsonView: the line reader of the Claude decoders. Structure must be checked strictly (a bad line is
// a decode error), strings unescaped exactly, and the views must agree with nlohmann's reading of the same
// text.
#include "trace/json_view.h"

#include <gtest/gtest.h>

using trace::JsonDoc;
using trace::JsonView;

TEST(JsonView, ReadsFieldsArraysAndNumbers) {
  JsonDoc doc;
  ASSERT_TRUE(
      doc.parse(R"( {"type":"assistant","n":12345678901234,"f":1.5,"e":1e3,"neg":-7,"ok":true,"no":false,
                            "nil":null,"list":[1,"two",{"three":3}],"empty":{},"none":[]} )"));
  JsonView j = doc.root();
  EXPECT_TRUE(j.is_object());
  EXPECT_EQ(j.size(), 11u);
  EXPECT_EQ(j["type"].str(), "assistant");
  EXPECT_EQ(j["n"].int64(), 12345678901234);
  EXPECT_EQ(j["f"].int64(), 1);
  EXPECT_DOUBLE_EQ(j["f"].number(), 1.5);
  EXPECT_EQ(j["e"].int64(), 1000);
  EXPECT_EQ(j["neg"].int64(), -7);
  EXPECT_TRUE(j["ok"].boolean());
  EXPECT_FALSE(j["no"].boolean());
  EXPECT_FALSE(static_cast<bool>(j["nil"]));  // null reads as absent
  EXPECT_FALSE(static_cast<bool>(j["missing"]));
  EXPECT_EQ(j["missing"]["deeper"].str(), "");  // chained lookups on absent values stay harmless
  EXPECT_EQ(j["type"].int64(), 0);              // wrong types read as empty, never throw
  std::vector<std::string> seen;
  for (JsonView v : j["list"]) seen.push_back(std::string(v.raw()));
  EXPECT_EQ(seen, (std::vector<std::string>{"1", "\"two\"", "{\"three\":3}"}));
  EXPECT_EQ(j["empty"].size(), 0u);
  EXPECT_EQ(j["none"].begin() != j["none"].end(), false);
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(std::string(it.key()));
  EXPECT_EQ(keys.front(), "type");
  EXPECT_EQ(keys.back(), "none");
  // The same value as nlohmann reads it.
  EXPECT_EQ(j.to_json(), trace::Json::parse(std::string(j.raw())));
}

TEST(JsonView, UnescapesStrings) {
  JsonDoc doc;
  ASSERT_TRUE(doc.parse(R"({"s":"a\"b\\c\/d\ne\tf\u00e9\ud83d\ude00\ud800x","plain":"no escapes"})"));
  EXPECT_EQ(doc.root()["s"].str(),
            "a\"b\\c/d\ne\tf\xC3\xA9\xF0\x9F\x98\x80\xEF\xBF\xBDx");  // lone surrogate: U+FFFD
  EXPECT_EQ(doc.root()["plain"].str(), "no escapes");
  EXPECT_EQ(doc.root()["s"].str(3), "a\"b");      // a limit unescapes only a prefix
  ASSERT_TRUE(doc.parse(R"({"k\u0065y":"v"})"));  // escaped member names match their unescaped form
  EXPECT_EQ(doc.root()["key"].str(), "v");
}

TEST(JsonView, RefusesMalformedText) {
  JsonDoc doc;
  struct Case {
    std::string text, error;
  };
  std::string deep(300, '[');
  for (const Case& c :
       {Case{"", "unexpected end at byte 0"}, Case{"{", "expected a member name at byte 1"},
        Case{R"({"a":})", "unexpected character at byte 5"}, Case{"[1,]", "unexpected character at byte 3"},
        Case{R"({"a" 1})", "expected ':' at byte 5"},
        Case{R"({"a":1 "b":2})", "expected ',' or '}' at byte 7"},
        Case{"[1 2]", "expected ',' or ']' at byte 3"}, Case{"tru", "invalid literal at byte 0"},
        Case{"1 2", "unexpected text after the JSON value at byte 2"},
        Case{R"("open)", "unterminated string at byte 0"},
        Case{R"({"a":"b\"})", "unterminated string at byte 5"}, Case{"-", "invalid number at byte 1"},
        Case{deep, "nesting too deep at byte 257"}}) {
    EXPECT_FALSE(doc.parse(c.text)) << c.text;
    EXPECT_EQ(doc.error(), c.error) << c.text;
    EXPECT_FALSE(static_cast<bool>(doc.root()));
  }
  // The doc is reusable after a failure.
  ASSERT_TRUE(doc.parse(R"({"a":"\\"})"));
  EXPECT_EQ(doc.root()["a"].str(), "\\");
}

// The generic JSONL protocol decoder: exact spans/events for a small stream, and no throw on any wrongly typed field.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "trace/import.h"
#include "trace/store_internal.h"
#include "trace/time_parse.h"

namespace fs = std::filesystem;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/harness-jsonl-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

int64_t count(trace::Store& store, const std::string& sql) {
  trace::Statement st(trace::internal::db(store), sql);
  st.step();
  return st.int64(0);
}

std::vector<trace::ImportedFile> import_text(const TempDir& dir, const std::string& text) {
  std::ofstream(dir.path + "/in.jsonl") << text;
  return trace::import_files({dir.path + "/in.jsonl"}, trace::Format::jsonl, dir.path + "/out");
}

}  // namespace

TEST(JsonlDecoder, SubagentNestsUnderTheToolCallThatSpawnedIt) {
  TempDir dir;
  auto files = import_text(dir, R"({"hv":1,"type":"session.start","session":"s1","agent":"a","ts":1700000000000}
{"hv":1,"type":"tool.start","session":"s1","id":"t1","tool":"Task","input":"look"}
{"hv":1,"type":"tool.start","session":"s1","id":"t2","tool":"Task","input":"look too"}
{"hv":1,"type":"session.start","session":"s2","parent_session":"s1","parent_tool":"t2"}
{"hv":1,"type":"tool.start","session":"s2","id":"t1","tool":"Read","input":"x.c"}
{"hv":1,"type":"tool.end","session":"s2","id":"t1","status":"error","error":"no such file"}
{"hv":1,"type":"file.read","session":"s2","path":"y.c"}
{"hv":1,"type":"session.end","session":"s2"}
{"hv":1,"type":"tool.end","session":"s1","id":"t2","status":"ok"}
{"hv":1,"type":"tool.end","session":"s1","id":"t1","status":"ok"}
{"hv":1,"type":"llm.call","session":"s1","model":"m","input_tokens":10,"output_tokens":5,"cache_read_tokens":3,"cost_usd":0.25}
{"hv":1,"type":"session.end","session":"s1"}
)");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].stats.errors, 0);
  EXPECT_EQ(files[0].stats.decoded, 12);
  auto store = trace::open_trace_dir(dir.path + "/out", false);
  // The subagent hangs under t2 (the second Task call), not t1: calls are matched by id, never by name.
  trace::Statement st(trace::internal::db(*store),
                      "SELECT p.kind, json_extract(p.attributes, '$.\"gen_ai.tool.call.id\"') FROM spans c "
                      "JOIN spans p ON p.span_id = c.parent_span_id WHERE c.kind = 'subagent'");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.text(0), "tool");
  EXPECT_EQ(st.text(1), "t2");
  EXPECT_EQ(count(*store, "SELECT COUNT(*) FROM spans WHERE kind='tool'"), 3);
  EXPECT_EQ(count(*store, "SELECT COUNT(*) FROM spans WHERE kind='tool' AND status='error'"), 1);
  EXPECT_EQ(count(*store, "SELECT SUM(input_tokens) + SUM(output_tokens) + SUM(cache_read_tokens) FROM spans"), 18);
  EXPECT_EQ(count(*store, "SELECT COUNT(*) FROM events WHERE type='file.read'"), 1);
}

TEST(JsonlDecoder, WronglyTypedFieldsNeverThrow) {
  TempDir dir;
  std::string text;
  // Every field the decoder reads, with a type it does not expect.
  for (const char* type : {"session.start", "session.end", "llm.call", "tool.start", "tool.end", "subagent.spawn",
                           "file.read", "file.write", "message", "error"}) {
    for (const char* bad : {"5", "null", "[1,2]", "{\"a\":1}", "true", "1e308", "-1", "18446744073709551615"}) {
      text += std::string(R"({"hv":1,"type":")") + type + R"(","session":)" + bad + R"(,"id":)" + bad +
              R"(,"tool":)" + bad + R"(,"status":)" + bad + R"(,"agent":)" + bad + R"(,"name":)" + bad +
              R"(,"model":)" + bad + R"(,"input_tokens":)" + bad + R"(,"duration_ms":)" + bad +
              R"(,"cost_usd":)" + bad + R"(,"text":)" + bad + R"(,"message":)" + bad + R"(,"role":)" + bad +
              R"(,"path":)" + bad + R"(,"ts":)" + bad + R"(,"parent_tool":)" + bad + R"(,"parent_session":)" + bad +
              R"(,"child_session":)" + bad + "}\n";
    }
  }
  std::vector<trace::ImportedFile> files;
  ASSERT_NO_THROW(files = import_text(dir, text));
  EXPECT_EQ(files[0].stats.lines, 80);
  // file.read/file.write without a string path are the only lines refused (2 types × 8 values); and three
  // llm.call costs (1e308, -1, 2^64) are not counted, each said by a decode error.
  EXPECT_EQ(files[0].stats.errors, 16 + 3);
}

// Found by the malformed-input corpus (tests/trace/corpus_test.cpp): a field nested 100k deep crashed the import
// (the store's serializer recursed once per level); such a line is refused with its reason, the rest decoded.
TEST(JsonlDecoder, LineNestedTooDeepIsADecodeErrorNotACrash) {
  TempDir dir;
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  std::string text = R"({"hv":1,"type":"session.start","session":"s1"})" "\n"
                     R"({"hv":1,"type":"tool.start","session":"s1","id":)" + deep + R"(,"tool":"bash"})" "\n"
                     R"({"hv":1,"type":"message","session":"s1","text":"still here"})" "\n";
  auto files = import_text(dir, text);
  EXPECT_EQ(files[0].stats.errors, 1);
  EXPECT_EQ(files[0].stats.decoded, 2);
  auto store = trace::open_trace_dir(dir.path + "/out", false);
  EXPECT_EQ(count(*store, "SELECT count(*) FROM events WHERE type = 'decode.error' AND "
                          "json_extract(payload, '$.reason') = 'JSON nests deeper than 256 levels'"),
            1);
}

// Times before 1970, NaN or past int64 nanoseconds are no time (casting them was undefined; a time near INT64_MIN
// overflowed the llm span's start under UBSan): the line gets the fallback time.
TEST(JsonlDecoder, TimesOutOfRangeAreNoTime) {
  for (const char* ts : {"-1", "-1e30", "1e300", "9.3e18"}) EXPECT_FALSE(trace::json_time_ns(trace::Json::parse(ts))) << ts;
  EXPECT_EQ(trace::json_time_ns(trace::Json(1.5)), 1'500'000'000);
  EXPECT_EQ(trace::json_time_ns(trace::Json(1'700'000'000'000)), 1'700'000'000'000'000'000);
}

// cost_usd -1 and 1e308 were believed, and the run's total read "cost $inf" (issue 18).
TEST(JsonlDecoder, ImplausibleCostsAreNotCountedAndSaySo) {
  TempDir dir;
  auto files = import_text(dir, R"({"hv":1,"type":"session.start","session":"s"}
{"hv":1,"type":"llm.call","session":"s","model":"m","input_tokens":10,"cost_usd":-1}
{"hv":1,"type":"llm.call","session":"s","model":"m","input_tokens":10,"cost_usd":1e308}
{"hv":1,"type":"llm.call","session":"s","model":"m","input_tokens":10,"cost_usd":0.25}
)");
  ASSERT_EQ(files.size(), 1u);
  auto store = trace::Store::open(dir.path + "/out/run.db", trace::Store::Mode::read_only);
  trace::Statement st(trace::internal::db(*store), "SELECT sum(cost_usd), count(*) FROM spans WHERE kind = 'llm'");
  ASSERT_TRUE(st.step());
  EXPECT_DOUBLE_EQ(st.real(0), 0.25);
  EXPECT_EQ(st.int64(1), 3);
  EXPECT_EQ(count(*store, "SELECT count(*) FROM events WHERE type = 'decode.error' AND "
                          "json_extract(payload, '$.reason') LIKE 'cost_usd % is not a dollar figure%'"),
            2);
}

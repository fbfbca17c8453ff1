// Decoding what the real Claude Code 2.1.330 wrote (tests/trace/data/claude-2.1.330/, captured by the e2e tests
// against the scripted model server): a foreground Agent subagent whose last message stream-json omits, and the
// subagent transcript that replaces the stream's partial subagent when imported under the Agent call.
#include <gtest/gtest.h>

#include "claude_test_util.h"
#include "trace/import.h"
#include "trace/store_internal.h"

using claude_test::query_int;
using claude_test::TempDir;

namespace {

const std::string kData = std::string(HARNESS_SOURCE_DIR) + "/tests/trace/data/claude-2.1.330/";

std::string query_text(trace::Store& store, const std::string& sql) {
  trace::Statement st(trace::internal::db(store), sql);
  return st.step() ? st.text(0) : "";
}

TEST(ClaudeRealCli, StreamMirrorsTheSubagentWithoutItsLastMessage) {
  TempDir dir;
  auto files = trace::import_files({kData + "stream-subagent.jsonl"}, trace::Format::claude_stream, dir.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].stats.errors, 0);
  auto store = trace::open_trace_dir(dir.path(), false);
  std::string sub = query_text(*store, "SELECT span_id FROM spans WHERE kind='subagent'");
  ASSERT_FALSE(sub.empty());
  EXPECT_EQ(query_text(*store, "SELECT json_extract(attributes,'$.\"claude.from_stream\"') FROM spans WHERE kind='subagent'"), "1");
  EXPECT_EQ(query_text(*store, "SELECT name FROM spans WHERE span_id=(SELECT parent_span_id FROM spans WHERE kind='subagent')"),
            "Agent");
  // The script served the subagent three messages (500/10, 550/11, 600/8 tokens); the stream shows two, with
  // provisional output counts.
  EXPECT_EQ(query_int(*store, "SELECT count(*) FROM spans WHERE kind='llm' AND session_id=?", {sub}), 2);
  EXPECT_EQ(query_int(*store, "SELECT sum(input_tokens) FROM spans WHERE kind='llm' AND session_id=?", {sub}), 1050);
  EXPECT_EQ(query_int(*store, "SELECT count(*) FROM spans WHERE kind='tool' AND session_id=? AND status='error'", {sub}), 1);
  EXPECT_EQ(query_text(*store, "SELECT json_extract(attributes,'$.\"claude.agent_id\"') FROM spans WHERE name='Agent'"),
            "a8ca76915dba3289f");
  // result.usage covers the main thread only (2700 in, 25+5 out): its llm spans show 1+1 output tokens.
  EXPECT_EQ(query_int(*store, "SELECT output_tokens FROM spans WHERE kind='session'"), 28);
  EXPECT_EQ(query_int(*store, "SELECT input_tokens FROM spans WHERE kind='session'"), 0);
}

// The edit/test/edit/test session of e2e 1: five messages served 1200+1300+1400+1500+1600 input, 40+25+55+20+12
// output, 4600 cache-read and 300 cache-write tokens. Each stream line repeats message_start's provisional
// output_tokens (1); the result line's totals make up the rest on the session span.
TEST(ClaudeRealCli, ProvisionalOutputTokensAreMadeUpFromTheResult) {
  TempDir dir;
  auto files = trace::import_files({kData + "stream-edit.jsonl"}, trace::Format::claude_stream, dir.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].stats.errors, 0);
  auto store = trace::open_trace_dir(dir.path(), false);
  EXPECT_EQ(query_int(*store, "SELECT count(*) FROM spans WHERE kind='llm'"), 5);
  EXPECT_EQ(query_int(*store, "SELECT sum(input_tokens) FROM spans WHERE kind='llm'"), 7000);
  EXPECT_EQ(query_int(*store, "SELECT sum(output_tokens) FROM spans WHERE kind='llm'"), 5);
  EXPECT_EQ(query_int(*store, "SELECT output_tokens FROM spans WHERE kind='session'"), 147);
  EXPECT_EQ(query_int(*store, "SELECT input_tokens + cache_read_tokens + cache_creation_tokens FROM spans WHERE kind='session'"), 0);
  EXPECT_EQ(query_int(*store, "SELECT json_extract(attributes,'$.\"claude.usage_unattributed\".output_tokens') FROM spans WHERE kind='session'"), 147);
  EXPECT_EQ(query_int(*store, "SELECT sum(output_tokens) FROM spans"), 152);
  EXPECT_EQ(query_int(*store, "SELECT sum(cache_read_tokens) FROM spans"), 4600);
  EXPECT_EQ(query_int(*store, "SELECT sum(cache_creation_tokens) FROM spans"), 300);
  EXPECT_EQ(query_int(*store, "SELECT count(*) FROM spans WHERE kind='tool' AND status='error'"), 1);
}

TEST(ClaudeRealCli, SubagentTranscriptReplacesTheStreamMirror) {
  TempDir dir;
  auto files = trace::import_files({kData + "stream-subagent.jsonl"}, trace::Format::claude_stream, dir.path());
  ASSERT_EQ(files.size(), 1u);
  auto store = trace::open_trace_dir(dir.path(), false);
  std::string call = query_text(*store, "SELECT span_id FROM spans WHERE name='Agent'");
  auto more = trace::import_one_with_companions(*store, dir.path(), trace::trace_id_of(*store),
                                                kData + "subagents/agent-a8ca76915dba3289f.jsonl",
                                                trace::Format::claude_transcript, call);
  ASSERT_EQ(more.size(), 1u);
  EXPECT_EQ(more[0].stats.errors, 0);  // 2.1.330's attachment and api-request lines are ignored, not errors
  EXPECT_EQ(more[0].stats.ignored, 11);
  EXPECT_EQ(query_int(*store, "SELECT count(*) FROM spans WHERE kind='subagent'"), 1);
  std::string sub = query_text(*store, "SELECT span_id FROM spans WHERE kind='subagent'");
  EXPECT_EQ(query_text(*store, "SELECT parent_span_id FROM spans WHERE kind='subagent'"), call);
  EXPECT_EQ(query_int(*store, "SELECT count(*) FROM spans WHERE kind='llm' AND session_id=?", {sub}), 3);
  EXPECT_EQ(query_int(*store, "SELECT sum(input_tokens) FROM spans WHERE kind='llm' AND session_id=?", {sub}), 1650);
  EXPECT_EQ(query_int(*store, "SELECT sum(output_tokens) FROM spans WHERE kind='llm' AND session_id=?", {sub}), 29);
  EXPECT_EQ(query_int(*store, "SELECT count(*) FROM spans WHERE kind='tool' AND session_id=?", {sub}), 2);
  // Nothing of the mirror is left behind: no span points at a deleted parent.
  EXPECT_EQ(query_int(*store, "SELECT count(*) FROM spans s WHERE parent_span_id<>'' AND NOT EXISTS "
                              "(SELECT 1 FROM spans p WHERE p.span_id=s.parent_span_id) AND kind<>'session'"),
            0);
  // A rebuild decodes the stream, then the transcript, and ends with the same tree.
  int64_t spans_before = query_int(*store, "SELECT count(*) FROM spans");
  store.reset();
  trace::rebuild(dir.path());
  auto again = trace::open_trace_dir(dir.path(), false);
  EXPECT_EQ(query_int(*again, "SELECT count(*) FROM spans"), spans_before);
  EXPECT_EQ(query_int(*again, "SELECT count(*) FROM spans WHERE kind='subagent'"), 1);
}

}  // namespace

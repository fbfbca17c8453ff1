// Claude Code transcript decoding on the real files in fixtures/claude-transcripts. Every expected figure was
// derived from the fixture with jq, independently of the decoder; the commands are in the comments, with
//   TOOLS  = jq -r 'select(.type=="assistant") | .message.content[] | select(.type=="tool_use") | .id' F |
//   sort -u | wc -l ERRORS = jq -c 'select(.type=="user") | .message.content[]? | select(.type=="tool_result"
//   and .is_error==true)' F | wc -l MSGS   = jq -r 'select(.type=="assistant") | .message.id' F | sort -u |
//   wc -l TOKENS = jq -s -c '[.[] | select(.type=="assistant")] | group_by(.message.id) |
//   map(.[-1].message.usage) |
//            [(map(.input_tokens)|add), (map(.output_tokens)|add), (map(.cache_read_input_tokens)|add),
//             (map(.cache_creation_input_tokens)|add)]' F          (the last line of each message.id, once)
//   IGNORED = jq -r 'select(.type=="file-history-snapshot" or .type=="summary" or .type=="queue-operation" or
//             (.type=="progress" and .data.type!="agent_progress")) | .type' F | wc -l
#include <gtest/gtest.h>

#include "claude_test_util.h"
#include "trace/time_parse.h"
#include "trace/store_internal.h"

using namespace claude_test;

namespace {

const std::string kSession = "claude-transcripts/ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl";

std::string tool_span(trace::Store& s, const std::string& call_id) {
  return query_text(s,
                    "SELECT span_id FROM spans WHERE kind='tool' AND "
                    "json_extract(attributes, '$.\"gen_ai.tool.call.id\"') = ?",
                    {call_id});
}

struct Figures {
  int64_t tools, errors, llm, in, out, cache_read, cache_creation;
};

// Tool calls, tool errors, llm spans and tokens of the spans whose session is `session` (all spans if empty).
Figures figures(trace::Store& s, const std::string& session = "") {
  std::string where = session.empty() ? "1" : "session_id='" + session + "'";
  return {query_int(s, "SELECT count(*) FROM spans WHERE kind='tool' AND " + where),
          query_int(s, "SELECT count(*) FROM spans WHERE kind='tool' AND status='error' AND " + where),
          query_int(s, "SELECT count(*) FROM spans WHERE kind='llm' AND " + where),
          query_int(s, "SELECT total(input_tokens) FROM spans WHERE " + where),
          query_int(s, "SELECT total(output_tokens) FROM spans WHERE " + where),
          query_int(s, "SELECT total(cache_read_tokens) FROM spans WHERE " + where),
          query_int(s, "SELECT total(cache_creation_tokens) FROM spans WHERE " + where)};
}

void expect_figures(const Figures& got, const Figures& want) {
  EXPECT_EQ(got.tools, want.tools);
  EXPECT_EQ(got.errors, want.errors);
  EXPECT_EQ(got.llm, want.llm);
  EXPECT_EQ(got.in, want.in);
  EXPECT_EQ(got.out, want.out);
  EXPECT_EQ(got.cache_read, want.cache_read);
  EXPECT_EQ(got.cache_creation, want.cache_creation);
}

// The ae4a77f8 session with its two subagent transcripts, as `harness import` brings them in.
void expect_session_with_subagents(trace::Store& s) {
  std::string main = query_text(s, "SELECT span_id FROM spans WHERE kind='session'");
  // F = the session file: TOOLS 242, ERRORS 12, MSGS 217, TOKENS [242,49467,16553628,237121]
  expect_figures(figures(s, main), {242, 12, 217, 242, 49467, 16553628, 237121});
  // The Task call toolu_01Hf8v1Za7y4af8VUwSR4CXU spawned agent aac57f5:
  // jq -c 'select(.toolUseResult.agentId) | [.message.content[0].tool_use_id, .toolUseResult.agentId]' F
  std::string task = tool_span(s, "toolu_01Hf8v1Za7y4af8VUwSR4CXU");
  EXPECT_EQ(query_text(s, "SELECT name FROM spans WHERE span_id=?", {task}), "Task");
  EXPECT_EQ(
      query_text(s, "SELECT json_extract(attributes, '$.\"claude.agent_id\"') FROM spans WHERE span_id=?",
                 {task}),
      "aac57f5");
  EXPECT_EQ(query_int(s, "SELECT count(*) FROM spans WHERE kind='subagent' AND parent_span_id=?", {task}), 1);
  std::string sub =
      query_text(s, "SELECT span_id FROM spans WHERE kind='subagent' AND parent_span_id=?", {task});
  // F = subagents/agent-aac57f5.jsonl: TOOLS 12, ERRORS 0, MSGS 3, TOKENS [2408,7,29274,18814]; its tool
  // calls nest under the subagent, which nests under the Task call.
  expect_figures(figures(s, sub), {12, 0, 3, 2408, 7, 29274, 18814});
  EXPECT_EQ(query_int(s, "SELECT count(*) FROM spans WHERE kind='tool' AND parent_span_id=?", {sub}), 12);
  // The 25 agent_progress lines of the session mirrored a subset of that transcript; the transcript replaced
  // them.
  EXPECT_EQ(
      query_int(s, "SELECT count(*) FROM spans WHERE json_extract(attributes, '$.\"claude.from_progress\"')"),
      0);
  // subagents/agent-acompact-946d2b.jsonl (the compaction helper, no tool call spawned it) hangs under the
  // session: MSGS 1, TOKENS [3,8,17842,121689]
  std::string compact = query_text(s,
                                   "SELECT span_id FROM spans WHERE kind='subagent' AND "
                                   "json_extract(attributes, '$.\"claude.agent_id\"') = 'acompact-946d2b'");
  EXPECT_EQ(query_text(s, "SELECT parent_span_id FROM spans WHERE span_id=?", {compact}), main);
  expect_figures(figures(s, compact), {0, 0, 1, 3, 8, 17842, 121689});
  // Everything once: the three files' figures add up, nothing counted twice.
  expect_figures(figures(s), {254, 12, 221, 2653, 49482, 16600744, 377624});
  EXPECT_EQ(query_int(s, "SELECT count(*) FROM spans WHERE kind IN ('session', 'subagent')"), 3);
  // Compaction: jq -c 'select(.subtype=="compact_boundary") | .compactMetadata' F -> {"trigger":"manual",
  // "preTokens":142431}; jq 'select(.isCompactSummary==true)' F -> one summary line.
  EXPECT_EQ(
      query_text(s,
                 "SELECT json_extract(payload, '$.trigger') || ' ' || json_extract(payload, '$.pre_tokens') "
                 "FROM events WHERE type='session.compacted'"),
      "manual 142431");
  EXPECT_EQ(
      query_int(s, "SELECT count(*) FROM events WHERE type='session.compact_summary' AND span_id=?", {main}),
      1);
  // File touches: jq -r 'select(.type=="assistant") | .message.content[] | select(.type=="tool_use") | .name'
  // F | sort | uniq -c -> Read 37, Glob 5, Grep 1 (reads), Edit 67, Write 6 (writes).
  EXPECT_EQ(
      query_int(s,
                "SELECT count(*) FROM events WHERE type='file.read' AND json_extract(payload, '$.session')=?",
                {main}),
      43);
  EXPECT_EQ(
      query_int(
          s, "SELECT count(*) FROM events WHERE type='file.write' AND json_extract(payload, '$.session')=?",
          {main}),
      73);
}

}  // namespace

TEST(ClaudeTranscript, SessionWithSubagentsFolder) {
  TempDir dir;
  auto files = trace::import_files({fixture(kSession)}, std::nullopt, dir.path());
  ASSERT_EQ(files.size(), 3u);  // the session and its subagents/ folder
  EXPECT_EQ(files[0].format, trace::Format::claude_transcript);
  // wc -l; IGNORED: 26 file-history-snapshot + 1447 hook_progress + 225 bash_progress
  EXPECT_EQ(files[0].stats.lines, 2385);
  EXPECT_EQ(files[0].stats.ignored, 1698);
  EXPECT_EQ(files[0].stats.errors, 0);
  EXPECT_EQ(files[1].stats.lines, 40);  // agent-aac57f5.jsonl, 12 of them hook_progress
  EXPECT_EQ(files[1].stats.ignored, 12);
  EXPECT_EQ(files[2].stats.lines, 2);  // agent-acompact-946d2b.jsonl
  for (const auto& f : files) EXPECT_EQ(f.stats.errors, 0) << f.path;
  auto store = trace::open_trace_dir(dir.path(), false);
  expect_session_with_subagents(*store);
  // jq -r '.timestamp // empty' subagents/agent-aac57f5.jsonl | sort | sed -n '1p;$p'
  std::string sub = query_text(*store,
                               "SELECT span_id FROM spans WHERE kind='subagent' AND "
                               "json_extract(attributes, '$.\"claude.agent_id\"') = 'aac57f5'");
  EXPECT_EQ(query_int(*store, "SELECT start_ns FROM spans WHERE span_id=?", {sub}),
            *trace::parse_iso8601_ns("2026-02-12T14:12:32.522Z"));
  EXPECT_EQ(query_int(*store, "SELECT end_ns FROM spans WHERE span_id=?", {sub}),
            *trace::parse_iso8601_ns("2026-02-12T14:13:05.048Z"));
}

TEST(ClaudeTranscript, RebuildYieldsTheSameTree) {
  TempDir dir;
  trace::import_files({fixture(kSession)}, std::nullopt, dir.path());
  std::string before;
  {
    auto store = trace::open_trace_dir(dir.path(), false);
    before = query_text(*store,
                        "SELECT group_concat(span_id || kind || parent_span_id || status, ',') FROM "
                        "(SELECT * FROM spans ORDER BY span_id)");
  }
  auto files = trace::rebuild(dir.path());
  ASSERT_EQ(files.size(), 3u);
  auto store = trace::open_trace_dir(dir.path(), false);
  expect_session_with_subagents(*store);
  EXPECT_EQ(query_text(*store,
                       "SELECT group_concat(span_id || kind || parent_span_id || status, ',') FROM "
                       "(SELECT * FROM spans ORDER BY span_id)"),
            before);
}

TEST(ClaudeTranscript, SubagentKnownOnlyFromAgentProgressLines) {
  TempDir dir;
  auto files = trace::import_files({fixture("claude-transcripts/subagent.jsonl")}, std::nullopt, dir.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].stats.errors, 0);
  EXPECT_EQ(files[0].stats.ignored, 28);  // IGNORED: 3 file-history-snapshot + 25 hook_progress
  auto store = trace::open_trace_dir(dir.path(), false);
  trace::Store& s = *store;
  std::string main = query_text(s, "SELECT span_id FROM spans WHERE kind='session'");
  // F = subagent.jsonl: TOOLS 16, ERRORS 0, MSGS 12, TOKENS [1576,1586,427286,25842]
  expect_figures(figures(s, main), {16, 0, 12, 1576, 1586, 427286, 25842});
  // jq -c 'select(.data.type=="agent_progress") | [.parentToolUseID, .data.agentId]' F | sort -u
  //   -> ["toolu_01Cz2Pnv7qNcnK1ZiocxWhQX","afb92ff"]; the Task input names subagent_type "Plan".
  std::string task = tool_span(s, "toolu_01Cz2Pnv7qNcnK1ZiocxWhQX");
  EXPECT_EQ(
      query_text(s, "SELECT json_extract(attributes, '$.\"claude.agent_id\"') FROM spans WHERE span_id=?",
                 {task}),
      "afb92ff");
  std::string sub =
      query_text(s, "SELECT span_id FROM spans WHERE kind='subagent' AND parent_span_id=?", {task});
  EXPECT_EQ(query_text(s, "SELECT name FROM spans WHERE span_id=?", {sub}), "Plan");
  // The subagent's mirrored messages:
  //   jq -s -c '[.[] | select(.data.type=="agent_progress") | .data.message | select(.type=="assistant") |
  //     .message] | group_by(.id) | map(.[-1].usage) | [length, (map(.input_tokens)|add), ...]' ->
  //     [5,24,7,95343,14285]
  //   tool_use ids in them: 9; tool_results with is_error true: 3
  expect_figures(figures(s, sub), {9, 3, 5, 24, 7, 95343, 14285});
  EXPECT_EQ(query_text(s, "SELECT status FROM spans WHERE span_id=?", {sub}),
            "ok");  // the Task call succeeded
}

TEST(ClaudeTranscript, ShortAndToolHeavy) {
  TempDir dir;
  auto files = trace::import_files(
      {fixture("claude-transcripts/short.jsonl"), fixture("claude-transcripts/tool_heavy.jsonl")},
      std::nullopt, dir.path());
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].stats.ignored, 4);  // IGNORED: 1 file-history-snapshot + 3 hook_progress
  EXPECT_EQ(files[1].stats.ignored,
            15);  // IGNORED: 3 file-history-snapshot + 10 hook_progress + 2 queue-operation
  auto store = trace::open_trace_dir(dir.path(), false);
  trace::Store& s = *store;
  std::string short_session = query_text(s,
                                         "SELECT span_id FROM spans WHERE kind='session' AND "
                                         "json_extract(attributes, '$.\"harness.agent\"') = 'short.jsonl'");
  std::string heavy_session =
      query_text(s,
                 "SELECT span_id FROM spans WHERE kind='session' AND "
                 "json_extract(attributes, '$.\"harness.agent\"') = 'tool_heavy.jsonl'");
  // short.jsonl: TOOLS 2, ERRORS 2 (both rejected by the user), MSGS 1, TOKENS [3,13,11515,13835]
  expect_figures(figures(s, short_session), {2, 2, 1, 3, 13, 11515, 13835});
  // jq -c 'select(.toolUseResult == "User rejected tool use")' short.jsonl | wc -l -> 2
  EXPECT_EQ(query_int(s,
                      "SELECT count(*) FROM spans WHERE session_id=? AND "
                      "json_extract(attributes, '$.\"claude.rejected\"')",
                      {short_session}),
            2);
  // tool_heavy.jsonl: TOOLS 6, ERRORS 0, MSGS 4, TOKENS [54,212,88231,17696]
  expect_figures(figures(s, heavy_session), {6, 0, 4, 54, 212, 88231, 17696});
}

TEST(ClaudeTranscript, SubagentTranscriptAloneIsASubagentSession) {
  TempDir dir;
  trace::import_files(
      {fixture("claude-transcripts/ae4a77f8-aedd-4bc1-888f-c94edc91af04/subagents/agent-aac57f5.jsonl")},
      std::nullopt, dir.path());
  auto store = trace::open_trace_dir(dir.path(), false);
  EXPECT_EQ(query_int(*store, "SELECT count(*) FROM spans WHERE kind='subagent' AND parent_span_id=''"), 1);
  EXPECT_EQ(query_int(*store, "SELECT count(*) FROM spans WHERE kind='session'"), 0);
  expect_figures(figures(*store), {12, 0, 3, 2408, 7, 29274, 18814});
}

TEST(ClaudeTranscript, BadLinesInTheMiddleAreCountedAndDecodingGoesOn) {
  TempDir dir;
  auto lines = read_lines(fixture("claude-transcripts/short.jsonl"));
  std::vector<std::string> bad = {
      R"([1,2,3])",
      R"({"parentUuid":null,"sessionId":"x"})",
      R"({"type":"user","message":{"role":"user","content":{"oops":1}}})",
      R"({"type":"progress","data":[]})",
      R"({"type":"progress","data":{"type":"agent_progress"}})",
      R"({"type":"assistant","message":{"id":"msg_x","content":[{"type":"text","text":"cut)",
      R"({"type":"custom-thing"})",
  };
  lines.insert(lines.begin() + 7, bad.begin(), bad.end());
  auto files = trace::import_files({dir.write("bad.jsonl", lines)}, trace::Format::claude_transcript,
                                   dir.path() + "/out");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].stats.lines, 22);
  EXPECT_EQ(files[0].stats.errors, 7);
  auto store = trace::open_trace_dir(dir.path() + "/out", false);
  expect_figures(figures(*store, query_text(*store, "SELECT span_id FROM spans WHERE kind='session'")),
                 {2, 2, 1, 3, 13, 11515, 13835});
  std::vector<std::string> reasons;
  trace::Statement st(trace::internal::db(*store),
                      "SELECT json_extract(payload, '$.line'), json_extract(payload, '$.reason') "
                      "FROM events WHERE type='decode.error' ORDER BY id");
  while (st.step()) reasons.push_back(std::to_string(st.int64(0)) + ": " + st.text(1));
  EXPECT_EQ(reasons, (std::vector<std::string>{
                         "8: not a JSON object",
                         "9: missing string field 'type'",
                         "10: 'message.content' is neither a string nor an array",
                         "11: 'data' is not an object",
                         "12: agent_progress without 'data.agentId' or 'parentToolUseID'",
                         "13: invalid JSON: unterminated string at byte 77",  // its opening quote
                         "14: unknown type 'custom-thing'",
                     }));
}

// Claude Code stream-json decoding on the real captures in fixtures/claude-stream-json and
// claude-result-json. Every expected figure was derived from the fixture with jq, independently of the
// decoder (command in comments; F =
// fixtures/claude-stream-json/hive-mind_issue-2301_background-disabled.jsonl).
#include <gtest/gtest.h>

#include "claude_test_util.h"
#include "trace/decoder.h"
#include "trace/store_internal.h"
#include "trace/time_parse.h"

using namespace claude_test;

namespace {

const std::string kStream = "claude-stream-json/hive-mind_issue-2301_background-disabled.jsonl";
const std::string kAgentCall =
    "toolu_01R3V73DFfTi25FhdGuHcnsR";  // the Agent tool_use that spawns the subagent

int64_t at(const std::string& iso) { return *trace::parse_iso8601_ns(iso); }

// Span id of the tool span for a tool_use id.
std::string tool_span(trace::Store& s, const std::string& call_id) {
  return query_text(s,
                    "SELECT span_id FROM spans WHERE kind='tool' AND "
                    "json_extract(attributes, '$.\"gen_ai.tool.call.id\"') = ?",
                    {call_id});
}

// Figures every import of F must show, whatever else the file holds.
void expect_stream_figures(trace::Store& s) {
  // jq -s '[.[] | select(.type=="system" and .subtype=="init")] | length' F  -> 1 session;
  // jq -r '.parent_tool_use_id // empty' F | sort -u                          -> 1 subagent
  // (toolu_01R3V73...)
  EXPECT_EQ(query_int(s, "SELECT count(*) FROM spans WHERE kind='session'"), 1);
  EXPECT_EQ(query_int(s, "SELECT count(*) FROM spans WHERE kind='subagent'"), 1);
  std::string main = query_text(s, "SELECT span_id FROM spans WHERE kind='session'");
  std::string sub = query_text(s, "SELECT span_id FROM spans WHERE kind='subagent'");
  // The subagent hangs under the Agent call that spawned it, and its own spans point at it as their session.
  std::string agent_call = tool_span(s, kAgentCall);
  EXPECT_EQ(query_text(s, "SELECT parent_span_id FROM spans WHERE span_id=?", {sub}), agent_call);
  EXPECT_EQ(query_text(s, "SELECT name FROM spans WHERE span_id=?", {agent_call}), "Agent");
  EXPECT_EQ(query_text(s, "SELECT session_id FROM spans WHERE span_id=?", {agent_call}), main);
  // jq -c 'select(.type=="assistant") | [.parent_tool_use_id, (.message.content[] | select(.type=="tool_use")
  // |
  //   .name)]' F  -> main: Agent, Bash; subagent: Bash. No tool_result has is_error true.
  EXPECT_EQ(query_int(s, "SELECT count(*) FROM spans WHERE kind='tool'"), 3);
  EXPECT_EQ(query_int(s, "SELECT count(*) FROM spans WHERE kind='tool' AND session_id=?", {main}), 2);
  EXPECT_EQ(
      query_int(s, "SELECT count(*) FROM spans WHERE kind='tool' AND session_id=? AND name='Bash'", {sub}),
      1);
  EXPECT_EQ(query_text(s, "SELECT parent_span_id FROM spans WHERE span_id=?",
                       {tool_span(s, "toolu_0162qQiwMQf5heSbeFKjnaUk")}),
            sub);
  EXPECT_EQ(query_int(s, "SELECT count(*) FROM spans WHERE kind='tool' AND status='error'"), 0);
  // jq -r 'select(.type=="assistant") | .message.id' F | sort -u | wc -l  -> 3 messages (2 main, 1 subagent)
  EXPECT_EQ(query_int(s, "SELECT count(*) FROM spans WHERE kind='llm'"), 3);
  EXPECT_EQ(query_int(s, "SELECT count(*) FROM spans WHERE kind='llm' AND session_id=?", {sub}), 1);
  // Tokens once per message.id (the lines of one message repeat the same usage):
  // jq -s 'group_by(.message.id)[] | select(.[0].type=="assistant") | .[-1].message.usage' F, summed:
  // input 10+10+8=28, output 4+4+1=9, cache_read 12920+0+18583=31503, cache_creation 5663+11815+677=18155.
  // Summed per line instead (jq '[.[]|select(.type=="assistant")|.message.usage.output_tokens]|add') output
  // is 18.
  EXPECT_EQ(query_int(s, "SELECT sum(input_tokens) FROM spans"), 28);
  EXPECT_EQ(query_int(s, "SELECT sum(output_tokens) FROM spans"), 9);
  EXPECT_EQ(query_int(s, "SELECT sum(cache_read_tokens) FROM spans"), 31503);
  EXPECT_EQ(query_int(s, "SELECT sum(cache_creation_tokens) FROM spans"), 18155);
  EXPECT_EQ(query_real(s, "SELECT sum(cost_usd) FROM spans WHERE kind='llm'"), 0.0);
}

}  // namespace

TEST(ClaudeStream, RealCaptureWithAgentSubagent) {
  TempDir dir;
  auto files = trace::import_files({fixture(kStream)}, std::nullopt, dir.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].format, trace::Format::claude_stream);
  // wc -l F -> 20; ignored: 4 system/thinking_tokens + 1 rate_limit_event
  // (jq -r '.type + "/" + (.subtype // "")' F | sort | uniq -c).
  EXPECT_EQ(files[0].stats.lines, 20);
  EXPECT_EQ(files[0].stats.errors, 0);
  EXPECT_EQ(files[0].stats.ignored, 5);
  EXPECT_EQ(files[0].stats.decoded, 15);
  auto store = trace::open_trace_dir(dir.path(), false);
  trace::Store& s = *store;
  expect_stream_figures(s);

  std::string main = query_text(s, "SELECT span_id FROM spans WHERE kind='session'");
  std::string sub = query_text(s, "SELECT span_id FROM spans WHERE kind='subagent'");
  auto attr = [&](const std::string& span, const std::string& key) {
    return query_text(s, "SELECT json_extract(attributes, '$.\"" + key + "\"') FROM spans WHERE span_id=?",
                      {span});
  };
  // head -1 F | jq '.session_id, .model, .claude_code_version, .cwd, (.tools | length)'
  EXPECT_EQ(attr(main, "session.id"), "ca3f590f-059e-42c6-bafd-2ab265637b66");
  EXPECT_EQ(attr(main, "gen_ai.request.model"), "claude-haiku-4-5-20251001");
  EXPECT_EQ(attr(main, "claude.version"), "2.1.284");
  EXPECT_EQ(attr(main, "claude.cwd"), "/tmp/bgexp");
  EXPECT_EQ(attr(main, "claude.tools_count"), "59");
  // The capture has no result line: the session is left unfinished, without cost.
  EXPECT_EQ(attr(main, "harness.unfinished"), "1");
  EXPECT_EQ(query_real(s, "SELECT cost_usd FROM spans WHERE span_id=?", {main}), 0.0);
  // jq -r '.timestamp // empty' F | sed -n '1p;$p'
  EXPECT_EQ(query_int(s, "SELECT start_ns FROM spans WHERE span_id=?", {main}),
            at("2026-09-29T06:31:48.772Z"));
  EXPECT_EQ(query_int(s, "SELECT end_ns FROM spans WHERE span_id=?", {main}), at("2026-09-29T06:32:16.201Z"));
  // The subagent starts with its first line (the prompt) and ends with the Agent call's result:
  // jq -r 'select(.type=="user") | .timestamp + " " + (.message.content[0].tool_use_id // "text")' F
  EXPECT_EQ(query_int(s, "SELECT start_ns FROM spans WHERE span_id=?", {sub}),
            at("2026-09-29T06:31:49.604Z"));
  EXPECT_EQ(query_int(s, "SELECT end_ns FROM spans WHERE span_id=?", {sub}), at("2026-09-29T06:32:14.951Z"));
  EXPECT_EQ(query_text(s, "SELECT status FROM spans WHERE span_id=?", {sub}), "ok");
  std::string agent_call = tool_span(s, kAgentCall);
  // jq 'select(.tool_use_result.agentId) | .tool_use_result.agentId' F
  EXPECT_EQ(attr(agent_call, "claude.agent_id"), "a305aa2f0079d6198");
  EXPECT_EQ(attr(agent_call, "claude.subagent_type"), "general-purpose");
  EXPECT_EQ(query_text(s,
                       "SELECT json_extract(payload, '$.child_session') FROM events "
                       "WHERE type='subagent.spawned' AND span_id=?",
                       {agent_call}),
            sub);
  // task_started, task_progress, task_notification name the Agent call; task_updated only its task id.
  EXPECT_EQ(
      query_int(s, "SELECT count(*) FROM events WHERE type LIKE 'claude.task_%' AND span_id=?", {agent_call}),
      4);
  // Messages: the subagent's prompt (user) and the final "END" (assistant); empty thinking is not a message.
  EXPECT_EQ(
      query_text(s, "SELECT json_extract(payload, '$.text') FROM events WHERE type='message' AND span_id=?",
                 {sub}),
      "Run the bash command: sleep 20; echo agent-done\n\nReport the output of this command.");
  EXPECT_EQ(
      query_text(s, "SELECT json_extract(payload, '$.text') FROM events WHERE type='message' AND span_id=?",
                 {main}),
      "END");
  EXPECT_EQ(query_int(s, "SELECT count(*) FROM events WHERE type='tool.call.completed'"), 3);
  EXPECT_EQ(
      query_int(s, "SELECT json_extract(attributes, '$.\"process.exit.code\"') FROM spans WHERE span_id=?",
                {tool_span(s, "toolu_01KHJAprDEpuEwszTQZQ96B1")}),
      0);
}

TEST(ClaudeStream, ResultJsonAloneCarriesCostAndModelUsage) {
  // T0: jq '.total_cost_usd, ([.modelUsage[].costUSD]|add), ([.modelUsage[].inputTokens]|add),
  //   ([.modelUsage[].outputTokens]|add), ([.modelUsage[].cacheReadInputTokens]|add),
  //   ([.modelUsage[].cacheCreationInputTokens]|add), .num_turns, .duration_ms'
  //   -> 0.1351093, 0.1351093, 3803, 847, 112686, 23106, 6, 29039
  // T4 (three models): -> 0.1684904, 1343, 1192, 96202, 28088, 5, 32873
  struct Expect {
    std::string file;
    double cost;
    int64_t in, out, cache_read, cache_creation, turns, duration_ms;
  };
  for (const Expect& e :
       {Expect{"T0_00_run_01.result.json", 0.1351093, 3803, 847, 112686, 23106, 6, 29039},
        Expect{"T4_01_run_01.result.json", 0.1684904, 1343, 1192, 96202, 28088, 5, 32873}}) {
    SCOPED_TRACE(e.file);
    TempDir dir;
    auto files = trace::import_files({fixture("claude-result-json/" + e.file)}, std::nullopt, dir.path());
    ASSERT_EQ(files.size(), 1u);
    EXPECT_EQ(files[0].format, trace::Format::claude_stream);
    EXPECT_EQ(files[0].stats.errors, 0);
    auto store = trace::open_trace_dir(dir.path(), false);
    trace::Store& s = *store;
    EXPECT_EQ(query_int(s, "SELECT count(*) FROM spans"), 1);
    EXPECT_DOUBLE_EQ(query_real(s, "SELECT cost_usd FROM spans WHERE kind='session'"), e.cost);
    EXPECT_EQ(query_int(s, "SELECT input_tokens FROM spans"), e.in);
    EXPECT_EQ(query_int(s, "SELECT output_tokens FROM spans"), e.out);
    EXPECT_EQ(query_int(s, "SELECT cache_read_tokens FROM spans"), e.cache_read);
    EXPECT_EQ(query_int(s, "SELECT cache_creation_tokens FROM spans"), e.cache_creation);
    EXPECT_EQ(query_int(s, "SELECT json_extract(attributes, '$.\"harness.result.num_turns\"') FROM spans"),
              e.turns);
    EXPECT_EQ(query_int(s, "SELECT (end_ns - start_ns) / 1000000 FROM spans"), e.duration_ms);
    EXPECT_EQ(query_text(s, "SELECT status FROM spans"), "ok");
  }
}

TEST(ClaudeStream, ResultAfterMessagesPutsCostOnTheSessionOnly) {
  TempDir dir;
  auto lines = read_lines(fixture(kStream));
  lines.push_back(read_lines(fixture("claude-result-json/T0_00_run_01.result.json")).at(0));
  trace::import_files({dir.write("with-result.jsonl", lines)}, trace::Format::claude_stream,
                      dir.path() + "/out");
  auto store = trace::open_trace_dir(dir.path() + "/out", false);
  trace::Store& s = *store;
  expect_stream_figures(s);  // llm spans keep their own tokens; the result's totals do not replace them
  // Cost stated once by the source: on the session, never on llm spans, so a sum over spans is the stated
  // total.
  EXPECT_DOUBLE_EQ(query_real(s, "SELECT sum(cost_usd) FROM spans"), 0.1351093);
  EXPECT_DOUBLE_EQ(query_real(s, "SELECT cost_usd FROM spans WHERE kind='session'"), 0.1351093);
  EXPECT_EQ(query_int(s, "SELECT input_tokens + output_tokens FROM spans WHERE kind='session'"), 0);
  EXPECT_EQ(query_text(s, "SELECT status FROM spans WHERE kind='session'"), "ok");
  EXPECT_EQ(query_int(s,
                      "SELECT json_extract(attributes, '$.\"harness.unfinished\"') IS NULL FROM spans "
                      "WHERE kind='session'"),
            1);
  // jq '.modelUsage | to_entries[] | "\(.key) \(.value.costUSD)"' T0_00_run_01.result.json
  EXPECT_DOUBLE_EQ(
      query_real(s,
                 "SELECT json_extract(attributes, '$.\"harness.result.modelUsage\".\"claude-sonnet-4-5-"
                 "20250929\".costUSD') FROM spans WHERE kind='session'"),
      0.13038029999999998);
}

TEST(ClaudeStream, ParallelCallsOfOneToolAreMatchedById) {
  TempDir dir;
  // Two Read calls of one message, on two lines repeating the message's usage (output grows 7 -> 9); their
  // results come back in the opposite order, the second call failing.
  std::vector<std::string> lines = {
      R"({"type":"system","subtype":"init","session_id":"s1","model":"m","cwd":"/w","tools":["Read"]})",
      R"({"type":"assistant","timestamp":"2026-01-01T00:00:01Z","session_id":"s1","parent_tool_use_id":null,"message":{"id":"m1","model":"m","content":[{"type":"tool_use","id":"r1","name":"Read","input":{"file_path":"/w/a.txt"}}],"usage":{"input_tokens":5,"output_tokens":7}}})",
      R"({"type":"assistant","timestamp":"2026-01-01T00:00:02Z","session_id":"s1","parent_tool_use_id":null,"message":{"id":"m1","model":"m","content":[{"type":"tool_use","id":"r2","name":"Read","input":{"file_path":"/w/b.txt"}}],"usage":{"input_tokens":5,"output_tokens":9}}})",
      R"({"type":"user","timestamp":"2026-01-01T00:00:03Z","session_id":"s1","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"r2","is_error":true,"content":"<tool_use_error>File does not exist.</tool_use_error>"}]}})",
      R"({"type":"user","timestamp":"2026-01-01T00:00:04Z","session_id":"s1","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"r1","content":"contents of a"}]}})",
      R"({"type":"result","subtype":"success","is_error":false,"duration_ms":4000,"total_cost_usd":0.5,"session_id":"s1","permission_denials":[{"tool_name":"Write","tool_use_id":"w9","tool_input":{"file_path":"/etc/passwd"}}]})",
  };
  auto files = trace::import_files({dir.write("parallel.jsonl", lines)}, trace::Format::claude_stream,
                                   dir.path() + "/out");
  EXPECT_EQ(files[0].stats.errors, 0);
  auto store = trace::open_trace_dir(dir.path() + "/out", false);
  trace::Store& s = *store;
  std::string r1 = tool_span(s, "r1"), r2 = tool_span(s, "r2");
  EXPECT_EQ(query_text(s, "SELECT status FROM spans WHERE span_id=?", {r1}), "ok");
  EXPECT_EQ(
      query_text(
          s, "SELECT json_extract(attributes, '$.\"gen_ai.tool.call.result\"') FROM spans WHERE span_id=?",
          {r1}),
      "contents of a");
  EXPECT_EQ(query_text(s, "SELECT status FROM spans WHERE span_id=?", {r2}), "error");
  EXPECT_EQ(query_text(s, "SELECT json_extract(attributes, '$.\"error.message\"') FROM spans WHERE span_id=?",
                       {r2}),
            "<tool_use_error>File does not exist.</tool_use_error>");
  EXPECT_EQ(query_int(s, "SELECT end_ns FROM spans WHERE span_id=?", {r1}), at("2026-01-01T00:00:04Z"));
  EXPECT_EQ(query_int(s, "SELECT end_ns FROM spans WHERE span_id=?", {r2}), at("2026-01-01T00:00:03Z"));
  EXPECT_EQ(
      query_text(s, "SELECT json_extract(payload, '$.path') FROM events WHERE type='file.read' AND span_id=?",
                 {r1}),
      "/w/a.txt");
  EXPECT_EQ(
      query_text(s, "SELECT json_extract(payload, '$.path') FROM events WHERE type='file.read' AND span_id=?",
                 {r2}),
      "/w/b.txt");
  // One llm span for message m1, with the last (max) usage: 9 output tokens, not 7 + 9.
  EXPECT_EQ(query_int(s, "SELECT count(*) FROM spans WHERE kind='llm'"), 1);
  EXPECT_EQ(query_int(s, "SELECT output_tokens FROM spans WHERE kind='llm'"), 9);
  EXPECT_EQ(query_int(s, "SELECT input_tokens FROM spans WHERE kind='llm'"), 5);
  EXPECT_EQ(
      query_text(
          s,
          "SELECT json_extract(payload, '$.tool') || ' ' || json_extract(payload, '$.input') FROM events "
          "WHERE type='permission.denied'"),
      R"(Write {"file_path":"/etc/passwd"})");
  EXPECT_DOUBLE_EQ(query_real(s, "SELECT sum(cost_usd) FROM spans"), 0.5);
}

TEST(ClaudeStream, CaptureStartedLateAndFailedResult) {
  TempDir dir;
  // The capture misses the Agent call (and init): its subagent hangs under the session, never under a span
  // that does not exist; a result without its call is kept as a span of its own; an error result fails the
  // session.
  std::vector<std::string> lines = {
      R"({"type":"assistant","timestamp":"2026-01-01T00:00:01Z","session_id":"s2","parent_tool_use_id":"toolu_gone","message":{"id":"m1","model":"m","content":[{"type":"text","text":"working"}],"usage":{"input_tokens":1,"output_tokens":2}}})",
      R"({"type":"user","timestamp":"2026-01-01T00:00:02Z","session_id":"s2","parent_tool_use_id":null,"message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_gone","content":"done"}]}})",
      R"({"type":"result","subtype":"error_max_turns","is_error":true,"duration_ms":2000,"total_cost_usd":0.01,"session_id":"s2","num_turns":3})",
  };
  auto files = trace::import_files({dir.write("late.jsonl", lines)}, trace::Format::claude_stream,
                                   dir.path() + "/out");
  EXPECT_EQ(files[0].stats.errors, 0);
  auto store = trace::open_trace_dir(dir.path() + "/out", false);
  trace::Store& s = *store;
  std::string main = query_text(s, "SELECT span_id FROM spans WHERE kind='session'");
  EXPECT_EQ(query_text(s, "SELECT parent_span_id FROM spans WHERE kind='subagent'"), main);
  EXPECT_EQ(query_int(s,
                      "SELECT count(*) FROM spans WHERE kind='llm' AND session_id IN "
                      "(SELECT span_id FROM spans WHERE kind='subagent')"),
            1);
  EXPECT_EQ(
      query_text(
          s,
          "SELECT name || ' ' || status || ' ' || json_extract(attributes, '$.\"harness.call_not_seen\"') "
          "FROM spans WHERE kind='tool'"),
      "unknown ok 1");
  EXPECT_EQ(query_text(s, "SELECT status FROM spans WHERE span_id=?", {main}), "error");
  EXPECT_EQ(query_text(s, "SELECT json_extract(payload, '$.kind') FROM events WHERE type='error'"),
            "error_max_turns");
  EXPECT_DOUBLE_EQ(query_real(s, "SELECT sum(cost_usd) FROM spans"), 0.01);
  EXPECT_EQ(query_int(s, "SELECT start_ns FROM spans WHERE span_id=?", {main}), at("2026-01-01T00:00:01Z"));
}

TEST(ClaudeStream, BadLinesInTheMiddleAreCountedAndDecodingGoesOn) {
  TempDir dir;
  auto lines = read_lines(fixture(kStream));
  std::vector<std::string> bad = {
      "this is not json",
      R"({"type":"assistant","message":"oops"})",
      R"({"type":42})",
      R"({"type":"bogus_type"})",
      R"({"type":"assistant","message":{"id":"x","content":[)",
      R"({"type":"user","message":{"role":"user","content":17}})",
      std::string("\x01\x02\xff\xfe binary"),
  };
  lines.insert(lines.begin() + 10, bad.begin(), bad.end());
  auto files =
      trace::import_files({dir.write("bad.jsonl", lines)}, trace::Format::claude_stream, dir.path() + "/out");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].stats.lines, 27);
  EXPECT_EQ(files[0].stats.errors, 7);
  EXPECT_EQ(files[0].stats.ignored, 5);
  auto store = trace::open_trace_dir(dir.path() + "/out", false);
  trace::Store& s = *store;
  expect_stream_figures(s);  // everything around the bad lines decoded as before
  std::vector<std::string> reasons;
  trace::Statement st(trace::internal::db(s),
                      "SELECT json_extract(payload, '$.line'), json_extract(payload, '$.reason') FROM events "
                      "WHERE type='decode.error' ORDER BY id");
  while (st.step()) reasons.push_back(std::to_string(st.int64(0)) + ": " + st.text(1));
  EXPECT_EQ(reasons, (std::vector<std::string>{
                         "11: invalid JSON: invalid literal at byte 0",  // 't' starts no literal but "true"
                         "12: 'message' is not an object",
                         "13: missing string field 'type'",
                         "14: unknown type 'bogus_type'",
                         "15: invalid JSON: unexpected end at byte 51",  // the line's length
                         "16: 'message.content' is neither a string nor an array",
                         "17: invalid JSON: unexpected character at byte 0",
                     }));
}

TEST(ClaudeStream, SniffsEveryClaudeFixture) {
  auto first = [](const std::string& rel) { return read_lines(fixture(rel)).at(0); };
  EXPECT_EQ(trace::sniff_format(first(kStream), kStream), trace::Format::claude_stream);
  for (const char* f : {"T0_00_run_01", "T1_01_run_01", "T2_01_run_01", "T3_01_run_01", "T4_01_run_01",
                        "T5_01_run_01", "T6_01_run_01"}) {
    std::string rel = std::string("claude-result-json/") + f + ".result.json";
    EXPECT_EQ(trace::sniff_format(first(rel), rel), trace::Format::claude_stream) << rel;
  }
  for (const char* rel :
       {"claude-transcripts/ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl",
        "claude-transcripts/ae4a77f8-aedd-4bc1-888f-c94edc91af04/subagents/agent-aac57f5.jsonl",
        "claude-transcripts/ae4a77f8-aedd-4bc1-888f-c94edc91af04/subagents/agent-acompact-946d2b.jsonl",
        "claude-transcripts/subagent.jsonl", "claude-transcripts/short.jsonl",
        "claude-transcripts/tool_heavy.jsonl"})
    EXPECT_EQ(trace::sniff_format(first(rel), rel), trace::Format::claude_transcript) << rel;
}

// Codex `exec --json` decoding on the real fixtures and on hand-written streams of every item type, plus
// format sniffing of every fixture file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "trace/decoder.h"
#include "trace/import.h"

namespace fs = std::filesystem;
using namespace trace;

namespace {

// Keeps the last write of each span (put_span is an upsert) and every event, in order.
struct CodexSink : SpanSink {
  std::map<std::string, Span> spans;
  std::vector<Event> events;
  void put_span(const Span& s) override { spans[s.span_id] = s; }
  int64_t put_event(const Event& e) override {
    events.push_back(e);
    return static_cast<int64_t>(events.size());
  }
  std::vector<Span> of_kind(SpanKind k) const {
    std::vector<Span> out;
    for (const auto& [id, s] : spans)
      if (s.kind == k) out.push_back(s);
    return out;
  }
  std::vector<Event> of_type(const std::string& type) const {
    std::vector<Event> out;
    for (const auto& e : events)
      if (e.type == type) out.push_back(e);
    return out;
  }
};

DecodeContext codex_ctx(SpanSink* sink) {
  DecodeContext ctx;
  ctx.sink = sink;
  ctx.trace_id = "0123456789abcdef0123456789abcdef";
  ctx.scope = "test";
  ctx.label = "codex-test";
  ctx.clock_fallback_ns = 1'700'000'000'000'000'000;
  return ctx;
}

DecodeStats decode_lines(Decoder& d, const std::vector<std::string>& lines) {
  int64_t n = 0;
  for (const auto& l : lines) d.feed(l, ++n);
  d.finish();
  return d.stats();
}

DecodeStats decode_fixture(const std::string& name, CodexSink& sink) {
  auto d = make_decoder(Format::codex, codex_ctx(&sink));
  std::ifstream in(std::string(HARNESS_FIXTURES) + "/codex-exec-json/" + name);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) lines.push_back(l);
  return decode_lines(*d, lines);
}

}  // namespace

// Figures read off the fixture by eye: its turn.completed line is
// {"usage":{"input_tokens":7499,"cached_input_tokens":0,"output_tokens":111}}; one reasoning and one
// agent_message item.
TEST(CodexDecoder, StreamingFixtureGivesOneSessionOneTurnAndItsUsage) {
  CodexSink sink;
  DecodeStats st = decode_fixture("agent-wrappers_streaming.jsonl", sink);
  EXPECT_EQ(st.lines, 5);
  EXPECT_EQ(st.errors, 0);
  EXPECT_EQ(st.sessions, 1);
  auto sessions = sink.of_kind(SpanKind::session);
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].name, "codex");
  EXPECT_EQ(sessions[0].attributes["session.id"], "019ab7c5-3c6c-7dd3-8e6e-cec2a5a49a62");
  EXPECT_EQ(sessions[0].attributes["harness.agent"], "codex-test");
  EXPECT_EQ(sessions[0].status, SpanStatus::ok);
  auto turns = sink.of_kind(SpanKind::llm);
  ASSERT_EQ(turns.size(), 1u);
  EXPECT_EQ(turns[0].parent_span_id, sessions[0].span_id);
  EXPECT_EQ(turns[0].session_id, sessions[0].span_id);
  EXPECT_EQ(turns[0].usage.input_tokens, 7499);
  EXPECT_EQ(turns[0].usage.cache_read_tokens, 0);
  EXPECT_EQ(turns[0].usage.output_tokens, 111);
  EXPECT_EQ(turns[0].attributes["gen_ai.usage.input_tokens"], 7499);
  EXPECT_EQ(turns[0].status, SpanStatus::ok);
  auto reasoning = sink.of_type("reasoning");
  ASSERT_EQ(reasoning.size(), 1u);
  EXPECT_EQ(reasoning[0].payload["text"], "**Summarizing repository hygiene status**");
  EXPECT_EQ(reasoning[0].span_id, turns[0].span_id);
  auto messages = sink.of_type("message");
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].payload["role"], "assistant");
  EXPECT_TRUE(messages[0].payload["text"].get<std::string>().starts_with("- Unable to check hygiene"));
  EXPECT_EQ(messages[0].seq, 4);
  EXPECT_TRUE(sink.of_kind(SpanKind::tool).empty());
}

// turn.completed of this fixture: input_tokens 7569, cached_input_tokens 7040, output_tokens 109.
TEST(CodexDecoder, ResumedThreadCountsCachedInputAsCacheRead) {
  CodexSink sink;
  DecodeStats st = decode_fixture("agent-wrappers_resume.jsonl", sink);
  EXPECT_EQ(st.errors, 0);
  auto turns = sink.of_kind(SpanKind::llm);
  ASSERT_EQ(turns.size(), 1u);
  // Codex's input_tokens include the cached ones; the columns are disjoint: 7569 - 7040.
  EXPECT_EQ(turns[0].usage.input_tokens, 529);
  EXPECT_EQ(turns[0].usage.cache_read_tokens, 7040);
  EXPECT_EQ(turns[0].usage.output_tokens, 109);
  EXPECT_EQ(turns[0].attributes["gen_ai.usage.cache_read.input_tokens"], 7040);
}

// Counted with grep on the fixture: 10 lines start {"type":"error" (stream errors), 1 item of type "error",
// 1 turn.failed: 12 error events; the turn fails with the message of turn.failed.
TEST(CodexDecoder, UnauthenticatedAttemptRecordsEveryErrorAndFailsTheSession) {
  CodexSink sink;
  DecodeStats st = decode_fixture("hive-mind_issue-2136_live-attempt-unauthenticated.stdout.ndjson", sink);
  EXPECT_EQ(st.lines, 14);
  EXPECT_EQ(st.errors, 0);
  auto errors = sink.of_type("error");
  ASSERT_EQ(errors.size(), 12u);
  int stream = 0, item = 0, turn = 0;
  for (const auto& e : errors) {
    stream += e.payload["source"] == "stream";
    item += e.payload["source"] == "item";
    turn += e.payload["source"] == "turn.failed";
  }
  EXPECT_EQ(stream, 10);
  EXPECT_EQ(item, 1);
  EXPECT_EQ(turn, 1);
  EXPECT_TRUE(errors[0].payload["message"].get<std::string>().starts_with(
      "Reconnecting... 2/5 (unexpected status 401"));
  auto sessions = sink.of_kind(SpanKind::session);
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].status, SpanStatus::error);
  auto turns = sink.of_kind(SpanKind::llm);
  ASSERT_EQ(turns.size(), 1u);
  EXPECT_EQ(turns[0].status, SpanStatus::error);
  EXPECT_TRUE(turns[0].attributes["error.message"].get<std::string>().starts_with("unexpected status 401"));
  EXPECT_TRUE(turns[0].usage.empty());
}

TEST(CodexDecoder, ToolItemsBecomeToolSpansWithOutcomeAndFileWrites) {
  CodexSink sink;
  auto d = make_decoder(Format::codex, codex_ctx(&sink));
  DecodeStats st = decode_lines(
      *d,
      {
          R"({"type":"thread.started","thread_id":"t-1"})",
          R"({"type":"turn.started"})",
          R"({"type":"item.started","item":{"id":"item_0","type":"command_execution","command":"bash -lc 'make test'","aggregated_output":"","exit_code":null,"status":"in_progress"}})",
          R"({"type":"item.updated","item":{"id":"item_0","type":"command_execution","command":"bash -lc 'make test'","aggregated_output":"running\n","exit_code":null,"status":"in_progress"}})",
          R"({"type":"item.completed","item":{"id":"item_0","type":"command_execution","command":"bash -lc 'make test'","aggregated_output":"running\nFAIL\n","exit_code":2,"status":"failed"}})",
          R"({"type":"item.completed","item":{"id":"item_1","type":"command_execution","command":"ls","aggregated_output":"a\n","exit_code":0,"status":"completed"}})",
          R"({"type":"item.completed","item":{"id":"item_2","type":"file_change","changes":[{"path":"src/a.c","kind":"update"},{"path":"src/b.c","kind":"add"}],"status":"completed"}})",
          R"({"type":"item.started","item":{"id":"item_3","type":"mcp_tool_call","server":"docs","tool":"search","arguments":{"q":"x"},"status":"in_progress"}})",
          R"({"type":"item.completed","item":{"id":"item_3","type":"mcp_tool_call","server":"docs","tool":"search","arguments":{"q":"x"},"error":{"message":"server gone"},"status":"failed"}})",
          R"({"type":"item.completed","item":{"id":"item_4","type":"web_search","query":"tsan race"}})",
          R"({"type":"item.updated","item":{"id":"item_5","type":"todo_list","items":[{"text":"repro","completed":true},{"text":"fix","completed":false}]}})",
          R"({"type":"item.completed","item":{"id":"item_6","type":"agent_message","text":"done"}})",
          R"({"type":"turn.completed","usage":{"input_tokens":10,"cached_input_tokens":4,"output_tokens":3}})",
      });
  EXPECT_EQ(st.errors, 0);
  auto tools = sink.of_kind(SpanKind::tool);
  ASSERT_EQ(tools.size(), 5u);
  std::map<std::string, Span> by_call;
  for (const auto& t : tools) by_call[t.attributes["gen_ai.tool.call.id"].get<std::string>()] = t;
  const Span& failed = by_call["item_0"];
  EXPECT_EQ(failed.name, "shell");
  EXPECT_EQ(failed.status, SpanStatus::error);
  EXPECT_EQ(failed.attributes["process.exit.code"], 2);
  EXPECT_EQ(failed.attributes["error.message"], "exit code 2\nrunning\nFAIL");
  EXPECT_EQ(failed.attributes["gen_ai.tool.call.result"], "running\nFAIL\n");
  EXPECT_EQ(failed.attributes["gen_ai.tool.call.arguments"], R"({"command":"bash -lc 'make test'"})");
  EXPECT_EQ(by_call["item_1"].status, SpanStatus::ok);
  EXPECT_EQ(by_call["item_1"].attributes["process.exit.code"], 0);
  EXPECT_EQ(by_call["item_2"].name, "apply_patch");
  EXPECT_EQ(by_call["item_2"].status, SpanStatus::ok);
  EXPECT_EQ(by_call["item_3"].name, "mcp__docs__search");
  EXPECT_EQ(by_call["item_3"].status, SpanStatus::error);
  EXPECT_EQ(by_call["item_3"].attributes["error.message"], "server gone");
  EXPECT_EQ(by_call["item_4"].name, "web_search");
  EXPECT_EQ(by_call["item_4"].attributes["gen_ai.tool.call.arguments"], R"({"query":"tsan race"})");
  auto writes = sink.of_type("file.write");
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_EQ(writes[0].payload["path"], "src/a.c");
  EXPECT_EQ(writes[1].payload["path"], "src/b.c");
  EXPECT_EQ(writes[1].payload["kind"], "add");
  EXPECT_EQ(writes[0].payload["session"], sink.of_kind(SpanKind::session)[0].span_id);
  EXPECT_EQ(sink.of_type("tool.call.started").size(), 5u);
  EXPECT_EQ(sink.of_type("tool.call.failed").size(), 2u);
  EXPECT_EQ(sink.of_type("tool.call.completed").size(), 3u);
  auto todo = sink.of_type("todo.list");
  ASSERT_EQ(todo.size(), 1u);
  EXPECT_EQ(todo[0].payload["completed"], 1);
  EXPECT_EQ(todo[0].payload["total"], 2);
  EXPECT_EQ(sink.of_kind(SpanKind::llm)[0].usage.cache_read_tokens, 4);
}

TEST(CodexDecoder, MalformedAndUnknownLinesAreCountedDecodeErrors) {
  CodexSink sink;
  auto d = make_decoder(Format::codex, codex_ctx(&sink));
  DecodeStats st = decode_lines(
      *d,
      {
          R"({"type":"thread.started","thread_id":"t-2"})",
          R"({"type":"turn.started"})",
          "not json at all",
          R"({"no_type":1})",
          R"({"type":"thread.paused"})",
          R"({"type":"item.completed","item":{"type":"reasoning","text":"no id"}})",
          R"({"type":"item.completed","item":{"id":"x","type":"hologram"}})",
          R"({"type":"turn.completed","usage":"lots"})",
          R"({"type":"item.started","item":{"id":"c","type":"command_execution","command":"sleep 99","aggregated_output":"","status":"in_progress"}})",
      });
  EXPECT_EQ(st.lines, 9);
  EXPECT_EQ(st.errors, 6);
  std::vector<std::string> reasons;
  for (const auto& e : sink.of_type("decode.error")) reasons.push_back(e.payload["reason"]);
  EXPECT_EQ(reasons, (std::vector<std::string>{
                         "not a JSON object", "missing string field 'type'", "unknown type 'thread.paused'",
                         "item without string fields 'id' and 'type'", "unknown item type 'hologram'",
                         "turn.completed without a 'usage' object"}));
  // The stream ended inside a turn and a command: both are closed and marked unfinished.
  auto tools = sink.of_kind(SpanKind::tool);
  ASSERT_EQ(tools.size(), 1u);
  EXPECT_EQ(tools[0].attributes["harness.unfinished"], true);
  EXPECT_EQ(sink.of_kind(SpanKind::llm)[0].attributes["harness.unfinished"], true);
  EXPECT_EQ(sink.of_kind(SpanKind::session)[0].attributes["harness.unfinished"], true);
}

TEST(CodexDecoder, SniffingTellsCodexAndOtlpFixturesFromTheOthers) {
  const std::string root = HARNESS_FIXTURES;
  fs::path out = fs::temp_directory_path() / ("harness-sniff-" + std::to_string(::getpid()));
  fs::remove_all(out);
  auto format_of = [&](const std::string& rel) -> std::string {
    try {
      auto files = import_files({root + "/" + rel}, std::nullopt, (out / fs::path(rel).filename()).string());
      return std::string(to_string(files.at(0).format));
    } catch (const ImportError&) {
      return "unknown";
    }
  };
  for (const auto& f : fs::directory_iterator(root + "/codex-exec-json"))
    EXPECT_EQ(format_of("codex-exec-json/" + f.path().filename().string()), "codex") << f.path();
  for (const auto& f : fs::directory_iterator(root + "/otlp-json"))
    EXPECT_EQ(format_of("otlp-json/" + f.path().filename().string()), "otlp") << f.path();
  // Pretty-printed JSON that is not OTLP must not be taken for it.
  EXPECT_EQ(format_of("claude-result-json/T0_00_run_01.command_log.json"), "unknown");
  EXPECT_EQ(format_of("claude-hooks/claude-agent-sdk-python_.claude_settings.json"), "unknown");
  // The Claude files are one JSON object per line: their first line decides.
  for (const char* rel :
       {"claude-stream-json/hive-mind_issue-2301_background-disabled.jsonl", "claude-transcripts/short.jsonl",
        "claude-transcripts/subagent.jsonl", "claude-result-json/T1_01_run_01.result.json"}) {
    std::ifstream in(root + "/" + rel);
    std::string first;
    std::getline(in, first);
    auto f = sniff_format(first, rel);
    ASSERT_TRUE(f.has_value()) << rel;
    EXPECT_NE(*f, Format::codex) << rel;
    EXPECT_NE(*f, Format::otlp) << rel;
  }
  fs::remove_all(out);
}

TEST(CodexDecoder, WrongTypesAndGarbageNeverThrow) {
  CodexSink sink;
  auto d = make_decoder(Format::codex, codex_ctx(&sink));
  std::vector<std::string> lines = {
      R"({"type":5})",
      R"({"type":"turn.completed","usage":{"input_tokens":1e300,"cached_input_tokens":"x","output_tokens":-1}})",
      R"({"type":"item.completed","item":{"id":"i","type":"todo_list","items":[{"completed":"yes"},5]}})",
      R"({"type":"item.completed","item":{"id":"j","type":"command_execution","command":7,"exit_code":"1"}})",
      R"({"type":"item.completed","item":{"id":"k","type":"file_change","changes":"all"}})",
      R"({"type":"item.completed","item":{"id":"l","type":"mcp_tool_call","error":"boom","status":5}})",
      R"({"type":"turn.failed","error":"not an object"})",
      R"([1,2,3])",
  };
  uint64_t x = 2463534242ULL;
  for (int i = 0; i < 300; ++i) {
    std::string junk;
    for (int k = 0; k < 40; ++k) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      junk.push_back(static_cast<char>(x & 0xff));
    }
    if (junk.find('\n') == std::string::npos) lines.push_back(junk);
  }
  DecodeStats st = decode_lines(*d, lines);
  // "type":5, the [1,2,3] line and every random line are errors; the wrongly typed fields fall back to defaults.
  EXPECT_EQ(st.errors, static_cast<int64_t>(lines.size()) - 6);
  EXPECT_EQ(sink.of_kind(SpanKind::llm).size(), 2u);  // the completed turn and the failed one
  EXPECT_EQ(sink.of_kind(SpanKind::tool).size(), 3u);
}

// Exact per-call usage from the files the real CLIs leave after a session (trace/session_usage.h), on captures of
// Claude Code 2.1.330 and Codex 0.169.0 driven by the scripted model server: each fixture folder holds the
// server's `served.json`, the truth every figure is checked against. Also the proxy's double-seen calls
// (trace/proxy_usage.h) and subtree totals (trace/usage_totals.h).
#include <gtest/gtest.h>

#include <filesystem>

#include "claude_test_util.h"
#include "trace/ids.h"
#include "trace/store_internal.h"
#include "trace/import.h"
#include "trace/proxy_usage.h"
#include "trace/session_usage.h"
#include "trace/usage_totals.h"

using claude_test::query_int;
using claude_test::TempDir;

namespace {

const std::string kClaude = std::string(HARNESS_SOURCE_DIR) + "/tests/trace/data/claude-2.1.330/session-subagent/";
const std::string kCodex = std::string(HARNESS_SOURCE_DIR) + "/tests/trace/data/codex-0.169.0/";
const std::string kClaudeSession = "d13af8c7-ca8f-4cad-9e64-7496a50f62bb";
const std::string kRollout = "rollout-2026-12-02T07-24-13-01a235a3-bdc7-74d1-9bbb-f23d0a0ed958.jsonl";

std::string text(trace::Store& store, const std::string& sql, std::initializer_list<std::string> args = {}) {
  trace::Statement st(trace::internal::db(store), sql);
  int i = 1;
  for (const auto& a : args) st.bind(i++, a);
  return st.step() ? st.text(0) : "";
}

// "in out cache_read cache_write" of every llm span, ordered by response id.
std::string llm_usage(trace::Store& store) {
  trace::Statement st(trace::internal::db(store),
                      "SELECT group_concat(r || ':' || u, ' | ') FROM (SELECT json_extract(attributes, "
                      "'$.\"gen_ai.response.id\"') AS r, input_tokens || ' ' || output_tokens || ' ' || "
                      "cache_read_tokens || ' ' || cache_creation_tokens AS u FROM spans WHERE kind = 'llm' ORDER BY r)");
  return st.step() ? st.text(0) : "";
}

// The stream plus its subagent transcript, then the main transcript laid over it: what a run's pickup does.
std::unique_ptr<trace::Store> import_claude(const TempDir& dir) {
  trace::import_files({kClaude + "stream.jsonl"}, trace::Format::claude_stream, dir.path());
  auto store = trace::open_trace_dir(dir.path(), false);
  std::string trace_id = trace::trace_id_of(*store);
  std::string call = text(*store, "SELECT span_id FROM spans WHERE name = 'Agent'");
  trace::import_one_with_companions(*store, dir.path(), trace_id,
                                    kClaude + kClaudeSession + "/subagents/agent-a3bec5d598b52c762.jsonl",
                                    trace::Format::claude_transcript, call, "g01-a01");
  std::string session = text(*store, "SELECT span_id FROM spans WHERE kind = 'session'");
  auto applied = trace::import_session_usage(*store, dir.path(), trace_id, kClaude + kClaudeSession + ".jsonl",
                                             trace::kClaudeUsageFormat, session);
  EXPECT_EQ(applied.calls_matched, 2);  // the main thread's two messages
  return store;
}

// served.json: spawn msg_20820_1 1300/25 (700 written to the cache), the subagent's three, main-answer
// msg_20820_5 1400/6 (1000 read).
const char* kClaudeServed =
    "msg_20820_1:1300 25 0 700 | msg_20820_2:500 10 0 0 | msg_20820_3:550 11 400 0 | msg_20820_4:600 8 450 0 | "
    "msg_20820_5:1400 6 1000 0";

TEST(SessionUsage, ClaudeMainTranscriptGivesEveryMessageItsServedUsage) {
  TempDir dir;
  auto store = import_claude(dir);
  EXPECT_EQ(llm_usage(*store), kClaudeServed);
  // Nothing left to book on the session: the result line's totals are its messages'.
  EXPECT_EQ(query_int(*store, "SELECT input_tokens + output_tokens + cache_read_tokens + cache_creation_tokens "
                              "FROM spans WHERE kind = 'session'"),
            0);
  EXPECT_EQ(text(*store, "SELECT json_type(attributes, '$.\"claude.usage_unattributed\"') FROM spans WHERE kind = "
                         "'session'"),
            "");
  EXPECT_EQ(query_int(*store, "SELECT sum(input_tokens + output_tokens) FROM spans"), 4410);
}

TEST(SessionUsage, ClaudeSpawnNamesTheSubagentThatReplacedTheMirror) {
  TempDir dir;
  auto store = import_claude(dir);
  EXPECT_EQ(query_int(*store, "SELECT count(*) FROM events WHERE type = 'subagent.spawned'"), 1);
  EXPECT_EQ(text(*store, "SELECT json_extract(payload, '$.child_session') FROM events WHERE type = 'subagent.spawned'"),
            text(*store, "SELECT span_id FROM spans WHERE kind = 'subagent'"));
  // Its label is the agent's, not the file's; it ended as the call that spawned it did.
  EXPECT_EQ(text(*store, "SELECT json_extract(attributes, '$.\"harness.agent\"') FROM spans WHERE kind = 'subagent'"),
            "g01-a01");
  EXPECT_EQ(text(*store, "SELECT status FROM spans WHERE kind = 'subagent'"), "ok");
}

TEST(SessionUsage, ClaudeRebuildGivesTheSameFiguresAndLinks) {
  TempDir dir;
  auto store = import_claude(dir);
  std::string before = llm_usage(*store);
  store.reset();
  trace::rebuild(dir.path());
  store = trace::open_trace_dir(dir.path(), false);
  EXPECT_EQ(llm_usage(*store), before);
  EXPECT_EQ(query_int(*store, "SELECT sum(input_tokens + output_tokens) FROM spans"), 4410);
  EXPECT_EQ(query_int(*store, "SELECT count(*) FROM events WHERE type = 'subagent.spawned' AND "
                              "json_extract(payload, '$.child_session') IN (SELECT span_id FROM spans)"),
            1);
  EXPECT_EQ(query_int(*store, "SELECT count(*) FROM events WHERE type = 'subagent.spawned'"), 1);
}

std::unique_ptr<trace::Store> import_codex(const TempDir& dir) {
  trace::import_files({kCodex + "exec.jsonl"}, trace::Format::codex, dir.path());
  auto store = trace::open_trace_dir(dir.path(), false);
  std::string session = text(*store, "SELECT span_id FROM spans WHERE kind = 'session'");
  auto applied = trace::import_session_usage(*store, dir.path(), trace::trace_id_of(*store), kCodex + kRollout,
                                             trace::kCodexRolloutFormat, session);
  EXPECT_EQ(applied.calls_replaced, 1);
  EXPECT_EQ(applied.calls_added, 3);
  return store;
}

// served.json: resp_8634_1 2000 in (1000 cached) 40 out, resp_8634_2 2100 (1500) 60, resp_8634_3 2300 (2000) 10.
// The columns are disjoint: input excludes what was read from the cache.
const char* kCodexServed = "resp_8634_1:1000 40 1000 0 | resp_8634_2:600 60 1500 0 | resp_8634_3:300 10 2000 0";

TEST(SessionUsage, CodexRolloutGivesOneLlmSpanPerResponse) {
  TempDir dir;
  {
    trace::import_files({kCodex + "exec.jsonl"}, trace::Format::codex, dir.path());
    auto stream_only = trace::open_trace_dir(dir.path(), false);
    // The stream alone: one span for the turn, its usage the sum.
    EXPECT_EQ(query_int(*stream_only, "SELECT count(*) FROM spans WHERE kind = 'llm'"), 1);
    EXPECT_EQ(query_int(*stream_only, "SELECT input_tokens FROM spans WHERE kind = 'llm'"), 6400 - 4500);
  }
  TempDir dir2;
  auto store = import_codex(dir2);
  EXPECT_EQ(llm_usage(*store), kCodexServed);
  EXPECT_EQ(text(*store, "SELECT group_concat(name) FROM spans WHERE kind = 'llm'"),
            "chat gpt-5-codex,chat gpt-5-codex,chat gpt-5-codex");
  EXPECT_EQ(query_int(*store, "SELECT count(*) FROM spans WHERE kind = 'llm' AND parent_span_id = "
                              "(SELECT span_id FROM spans WHERE kind = 'session')"),
            3);
  EXPECT_EQ(query_int(*store, "SELECT json_extract(attributes, '$.\"gen_ai.usage.reasoning.output_tokens\"') FROM "
                              "spans WHERE json_extract(attributes, '$.\"gen_ai.response.id\"') = 'resp_8634_1'"),
            12);
  // Each call ends before the next starts.
  EXPECT_EQ(query_int(*store, "SELECT count(*) FROM spans a JOIN spans b ON a.kind = 'llm' AND b.kind = 'llm' AND "
                              "a.span_id != b.span_id AND a.start_ns < b.start_ns AND a.end_ns > b.start_ns"),
            0);
}

TEST(SessionUsage, CodexRebuildGivesTheSameSpans) {
  TempDir dir;
  auto store = import_codex(dir);
  store.reset();
  trace::rebuild(dir.path());
  store = trace::open_trace_dir(dir.path(), false);
  EXPECT_EQ(llm_usage(*store), kCodexServed);
  EXPECT_EQ(query_int(*store, "SELECT count(*) FROM spans WHERE kind = 'llm'"), 3);
}

// A rollout of an older Codex (no token_usage_record lines): the token_count events, each new total one response.
TEST(SessionUsage, CodexRolloutWithoutRecordsUsesTokenCounts) {
  TempDir dir;
  auto lines = claude_test::read_lines(kCodex + kRollout);
  std::vector<std::string> kept;
  for (auto& l : lines)
    if (l.find("\"type\":\"token_usage_record\"") == std::string::npos) {
      kept.push_back(l);
      if (l.find("\"token_count\"") != std::string::npos) kept.push_back(l);  // repeated: not a new response
    }
  std::string old_rollout = dir.write("rollout-old.jsonl", kept);
  TempDir out;
  trace::import_files({kCodex + "exec.jsonl"}, trace::Format::codex, out.path());
  auto store = trace::open_trace_dir(out.path(), false);
  std::string session = text(*store, "SELECT span_id FROM spans WHERE kind = 'session'");
  auto applied = trace::import_session_usage(*store, out.path(), trace::trace_id_of(*store), old_rollout,
                                             trace::kCodexRolloutFormat, session);
  EXPECT_EQ(applied.calls_added, 3);
  EXPECT_EQ(query_int(*store, "SELECT count(*) FROM spans WHERE kind = 'llm'"), 3);
  EXPECT_EQ(query_int(*store, "SELECT sum(input_tokens) FROM spans WHERE kind = 'llm'"), 1900);
  EXPECT_EQ(query_int(*store, "SELECT sum(output_tokens) FROM spans WHERE kind = 'llm'"), 110);
}

TEST(SessionUsage, UnreadableFileIsAnErrorAndChangesNothing) {
  TempDir dir;
  trace::import_files({kCodex + "exec.jsonl"}, trace::Format::codex, dir.path());
  auto store = trace::open_trace_dir(dir.path(), false);
  std::string session = text(*store, "SELECT span_id FROM spans WHERE kind = 'session'");
  EXPECT_THROW(trace::import_session_usage(*store, dir.path(), trace::trace_id_of(*store), dir.file("missing.jsonl"),
                                           trace::kCodexRolloutFormat, session),
               trace::StoreError);
  EXPECT_EQ(query_int(*store, "SELECT count(*) FROM spans WHERE kind = 'llm'"), 1);
  EXPECT_EQ(query_int(*store, "SELECT count(*) FROM raw_inputs"), 1);  // nothing recorded: a rebuild still works
  store.reset();
  EXPECT_NO_THROW(trace::rebuild(dir.path()));
}

trace::Span span(const std::string& id, const std::string& parent, trace::SpanKind kind, trace::Usage usage = {},
                 trace::Json attributes = trace::Json::object()) {
  trace::Span s;
  s.trace_id = "t";
  s.span_id = id;
  s.parent_span_id = parent;
  s.session_id = kind == trace::SpanKind::llm ? parent : id;
  s.kind = kind;
  s.name = id;
  s.usage = usage;
  s.attributes = std::move(attributes);
  return s;
}

trace::Json proxy_attributes(const std::string& response_id, const trace::Usage& u) {
  return {{"harness.source", "proxy"},
          {"gen_ai.response.id", response_id},
          {"gen_ai.usage.input_tokens", u.input_tokens},
          {"gen_ai.usage.output_tokens", u.output_tokens},
          {"gen_ai.usage.cache_read.input_tokens", u.cache_read_tokens},
          {"gen_ai.usage.cache_creation.input_tokens", u.cache_creation_tokens}};
}

TEST(ProxyUsage, ACallSeenTwiceCountsOnceWhereTheAgentMadeIt) {
  TempDir dir;
  auto store = trace::open_trace_dir(dir.path(), true);
  trace::Usage own{100, 10, 5, 0, 0}, side{7, 1, 0, 0, 0};
  store->put_span(span("agent", "", trace::SpanKind::agent));
  store->put_span(span("session", "agent", trace::SpanKind::session));
  store->put_span(span("sub", "session", trace::SpanKind::subagent));
  store->put_span(span("llm1", "sub", trace::SpanKind::llm, own, {{"gen_ai.response.id", "msg_1"}}));
  store->put_span(span("p1", "agent", trace::SpanKind::llm, own, proxy_attributes("msg_1", own)));
  store->put_span(span("p2", "agent", trace::SpanKind::llm, side, proxy_attributes("msg_side", side)));
  EXPECT_EQ(trace::reconcile_proxy_usage(*store, "agent"), 1);
  auto totals = trace::subtree_totals(*store, "agent");
  EXPECT_EQ(totals.usage.input_tokens, 107);  // the subagent's call once, plus the side call only the proxy saw
  EXPECT_EQ(totals.usage.output_tokens, 11);
  EXPECT_EQ(totals.llm_calls, 2);  // the proxy's copy of llm1 is that call, not another
  EXPECT_EQ(text(*store, "SELECT json_extract(attributes, '$.\"harness.usage_counted_on\"') FROM spans WHERE "
                         "span_id = 'p1'"),
            "llm1");
  // Again (after a rebuild): the same; and once the agent's own span is gone, the proxy's figures count again.
  EXPECT_EQ(trace::reconcile_proxy_usage(*store, "agent"), 1);
  EXPECT_EQ(trace::subtree_totals(*store, "agent").usage.input_tokens, 107);
  store->flush();
  trace::Statement(trace::internal::db(*store), "DELETE FROM spans WHERE span_id = 'llm1'").step();
  trace::reconcile_all_proxy_usage(*store);
  EXPECT_EQ(trace::subtree_totals(*store, "agent").usage.input_tokens, 107);
  EXPECT_EQ(query_int(*store, "SELECT input_tokens FROM spans WHERE span_id = 'p1'"), 100);
}

TEST(UsageTotals, ACycleOfParentsEndsTheWalk) {
  TempDir dir;
  auto store = trace::open_trace_dir(dir.path(), true);
  store->put_span(span("a", "b", trace::SpanKind::session, {1, 2, 0, 0, 0}));
  store->put_span(span("b", "a", trace::SpanKind::session, {10, 20, 0, 0, 0}));
  auto totals = trace::subtree_totals(*store, "a");
  EXPECT_EQ(totals.usage.input_tokens, 11);
  EXPECT_EQ(totals.usage.output_tokens, 22);
  EXPECT_EQ(trace::subtree_totals(*store, "nothing").usage.input_tokens, 0);
}

}  // namespace

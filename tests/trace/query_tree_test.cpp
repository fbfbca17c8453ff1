// trace tree: golden text on the fleet fixture and on a store with harness run/generation/agent spans, the JSON
// figures, and robustness (empty store, a parent cycle in bad input).
#include "trace/query_tree.h"
#include "trace/json_parse.h"
#include "trace/query_replay.h"
#include "trace/store_internal.h"

#include <gtest/gtest.h>

#include "query_fixture.h"

namespace trace {
namespace {

using testing::FleetStore;

TEST_F(FleetStore, TreeGolden) {
  EXPECT_EQ(format_tree(build_tree(*store_)),
            "SPAN      KIND      NAME                       STATUS  DURATION  TOOLS  ERRORS  LLM  TOKENS IN/OUT     COST\n"
            "74d11601  session   planner [planner.jsonl]    ok          2.0s      1       -    1       1.2k/300  $0.0125\n"
            "c457bad4  session   worker [worker.jsonl]      error       5.0s      3       1    1       2.0k/500        -\n"
            "e7b96be3  subagent  └─ explorer                ok          1.1s      2       1    1         400/80  $0.0010\n"
            "92152b02  session   reviewer [reviewer.jsonl]  ok          1.0s      3       -    0              -        -\n"
            "3 sessions, 1 subagent (max depth 2); 9 tool calls, 2 errors; 3 llm calls; tokens 3.6k in / 880 out; cost "
            "$0.0135\n");
}

TEST_F(FleetStore, TreeJsonNestsTheSubagentUnderItsSession) {
  Json j = tree_to_json(build_tree(*store_));
  ASSERT_EQ(j["roots"].size(), 3u);
  const Json& worker = j["roots"][1];
  EXPECT_EQ(worker["name"], "worker");
  EXPECT_EQ(worker["agent"], "worker.jsonl");
  EXPECT_EQ(worker["status"], "error");
  EXPECT_EQ(worker["duration_ms"], 5000);
  EXPECT_EQ(worker["tool_calls"], 3);  // Bash, Task, Edit: the subagent's calls are its own
  EXPECT_EQ(worker["tool_errors"], 1);
  EXPECT_EQ(worker["input_tokens"], 2000);
  ASSERT_EQ(worker["children"].size(), 1u);
  const Json& explorer = worker["children"][0];
  EXPECT_EQ(explorer["kind"], "subagent");
  EXPECT_EQ(explorer["depth"], 2);
  EXPECT_EQ(explorer["tool_calls"], 2);
  EXPECT_EQ(explorer["cost_usd"], 0.001);
  EXPECT_EQ(j["summary"]["sessions"], 3);
  EXPECT_EQ(j["summary"]["subagents"], 1);
  EXPECT_EQ(j["summary"]["tool_calls"], 9);
  EXPECT_EQ(j["summary"]["cache_read_tokens"], 800);
  EXPECT_EQ(j["summary"]["cost_usd"], 0.0135);
}

// A run as the harness writes it: run > generation > agent > session > tool > subagent.
class HarnessStore : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::temp_dir("tree");
    store_ = Store::open(dir_ + "/run.db");
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  Span span(const std::string& id, const std::string& parent, const std::string& session, SpanKind kind,
            const std::string& name, int64_t start_s, int64_t end_s) {
    Span s;
    s.trace_id = std::string(32, 'a');
    s.span_id = id;
    s.parent_span_id = parent;
    s.session_id = session;
    s.kind = kind;
    s.name = name;
    s.start_ns = start_s * 1'000'000'000;
    s.end_ns = end_s * 1'000'000'000;
    s.status = SpanStatus::ok;
    return s;
  }
  std::string dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(HarnessStore, HarnessSpansAreHeadersSummingWhatIsBelow) {
  store_->put_span(span("1000000000000001", "", "", SpanKind::run, "nightly", 0, 600));
  for (int g = 1; g <= 2; ++g) {
    std::string gen = fmt::format("20000000000000{:02}", g);
    store_->put_span(span(gen, "1000000000000001", "", SpanKind::generation, std::to_string(g), g * 100, g * 100 + 90));
    std::string agent = fmt::format("30000000000000{:02}", g);
    store_->put_span(span(agent, gen, "", SpanKind::agent, fmt::format("g{:02}-a01", g), g * 100, g * 100 + 80));
    std::string session = fmt::format("40000000000000{:02}", g);
    Span s = span(session, agent, session, SpanKind::session, "claude", g * 100 + 1, g * 100 + 61);
    s.attributes["harness.agent"] = fmt::format("g{:02}-a01", g);
    s.usage.cost_usd = 0.5 * g;  // the session carries the cost (a result line), its llm spans none
    store_->put_span(s);
    for (int t = 0; t < g * 2; ++t) {
      Span tool = span(fmt::format("50000000000{:03}{:02}", g, t), session, session, SpanKind::tool, "Bash",
                       g * 100 + 2 + t, g * 100 + 3 + t);
      if (t == 0) tool.status = SpanStatus::error;
      store_->put_span(tool);
    }
    Span llm = span(fmt::format("60000000000000{:02}", g), session, session, SpanKind::llm, "chat m", g * 100 + 1,
                    g * 100 + 2);
    llm.usage.input_tokens = 1500 * g;
    llm.usage.output_tokens = 20;
    store_->put_span(llm);
  }
  // Generation 2's first tool call spawned a subagent with one tool call of its own.
  store_->put_span(span("7000000000000001", "5000000000000200", "7000000000000001", SpanKind::subagent, "Explore",
                        203, 210));
  store_->put_span(span("7000000000000002", "7000000000000001", "7000000000000001", SpanKind::tool, "Read", 204, 205));
  EXPECT_EQ(format_tree(build_tree(*store_)),
            "SPAN      KIND        NAME                       STATUS  DURATION  TOOLS  ERRORS  LLM  TOKENS IN/OUT     COST\n"
            "10000000  run         run nightly                ok        10m00s      7       2    2        4.5k/40  $1.5000\n"
            "20000000  generation  ├─ generation 1            ok         1m30s      2       1    1        1.5k/20  $0.5000\n"
            "30000000  agent       │  └─ agent g01-a01        ok         1m20s      2       1    1        1.5k/20  $0.5000\n"
            "40000000  session     │     └─ claude [g01-a01]  ok         1m00s      2       1    1        1.5k/20  $0.5000\n"
            "20000000  generation  └─ generation 2            ok         1m30s      5       1    1        3.0k/20  $1.0000\n"
            "30000000  agent          └─ agent g02-a01        ok         1m20s      5       1    1        3.0k/20  $1.0000\n"
            "40000000  session           └─ claude [g02-a01]  ok         1m00s      4       1    1        3.0k/20  $1.0000\n"
            "70000000  subagent             └─ Explore        ok          7.0s      1       -    0              -        -\n"
            "2 sessions, 1 subagent (max depth 2); 7 tool calls, 2 errors; 2 llm calls; tokens 4.5k in / 40 out; cost $1.5000\n");
}

TEST_F(HarnessStore, EmptyStoreSaysSo) { EXPECT_EQ(format_tree(build_tree(*store_)), "no sessions\n"); }

TEST_F(HarnessStore, ParentCycleInBadInputDoesNotLoop) {
  // Two subagents, each claiming the other's tool call as its parent.
  store_->put_span(span("a000000000000001", "b000000000000002", "a000000000000001", SpanKind::subagent, "A", 1, 2));
  store_->put_span(span("a000000000000002", "a000000000000001", "a000000000000001", SpanKind::tool, "Task", 1, 2));
  store_->put_span(span("b000000000000001", "a000000000000002", "b000000000000001", SpanKind::subagent, "B", 1, 2));
  store_->put_span(span("b000000000000002", "b000000000000001", "b000000000000001", SpanKind::tool, "Task", 1, 2));
  TraceTree t = build_tree(*store_);
  EXPECT_EQ(t.subagents, 2);
  ASSERT_EQ(t.graph.roots.size(), 1u);  // one link of the cycle was cut; the other nests under it
  EXPECT_EQ(t.graph.nodes[t.graph.roots[0]].children.size(), 1u);
}

TEST_F(HarnessStore, StructuralQueryUsesThePartialIndexAndWritesNeedNoTemporaryTable) {
  std::string plan;
  Statement st(trace::internal::db(*store_), fmt::format("EXPLAIN QUERY PLAN SELECT span_id FROM spans WHERE {} AND kind IN "
                                         "('run', 'generation', 'agent', 'session', 'subagent', 'verify', "
                                         "'observer')",
                                         kStructuralSpansSql));
  while (st.step()) plan += st.text(3) + "\n";
  EXPECT_NE(plan.find("spans_structural"), std::string::npos) << plan;
  // The partial indexes' conditions are evaluated on every write: they must not need an ephemeral table each time.
  for (const char* write : {"INSERT INTO spans(span_id, trace_id, parent_span_id, session_id, kind, name, start_ns, "
                            "end_ns, status, attributes, input_tokens, output_tokens, cache_read_tokens, "
                            "cache_creation_tokens, cost_usd, raw_id) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,"
                            "?13,?14,?15,?16) ON CONFLICT(span_id) DO UPDATE SET kind=?5, attributes=?10",
                            "INSERT INTO events(span_id, seq, time_ns, type, payload, raw_id) VALUES(?1,?2,?3,?4,?5,?6)"}) {
    Statement explain(trace::internal::db(*store_), std::string("EXPLAIN ") + write);
    while (explain.step()) EXPECT_NE(explain.text(1), "OpenEphemeral") << write;
  }
}

}  // namespace
}  // namespace trace

namespace trace {
namespace {

// An agent printed a chain of 8,000 subagents, each spawned by a tool call of the one above (issue 18): tree,
// tree --json and replay --expand-subagents segfaulted (one stack frame per level). They now answer, bounded.
TEST_F(HarnessStore, AChainOfThousandsOfNestedSubagentsIsBoundedNotACrash) {
  constexpr int kLevels = 8000;
  auto id = [](char kind, int n) { return fmt::format("{}{:015}", kind, n); };
  store_->put_span(span(id('a', 0), "", id('a', 0), SpanKind::session, "claude", 0, 100));
  for (int i = 1; i <= kLevels; ++i) {  // batched by the store
    std::string parent_session = i == 1 ? id('a', 0) : id('s', i - 1);
    store_->put_span(span(id('t', i), parent_session, parent_session, SpanKind::tool, "Task", 1, 99));
    store_->put_span(span(id('s', i), id('t', i), id('s', i), SpanKind::subagent, "nested", 1, 99));
  }
  store_->flush();
  TraceTree t = build_tree(*store_);
  EXPECT_EQ(t.max_depth, kLevels + 1);
  std::string text = format_tree(t);
  EXPECT_NE(text.find("[level 8000] nested"), std::string::npos);
  // The drawn indent stops growing: no line carries thousands of tree characters.
  size_t longest = 0;
  for (size_t b = 0, e; b < text.size(); b = e + 1) longest = std::max(longest, (e = text.find('\n', b)) - b);
  EXPECT_LT(longest, 400u);

  Json j = tree_to_json(t);
  std::string dumped = j.dump();  // nlohmann's dump recurses too
  EXPECT_LE(json_nesting_depth(dumped, 100000), 2 * 100 + 4);  // {roots: [ 100 x {children: [ ]} ... {children: []}
  // The subtree below level 100 is listed flat under its ancestor, each node naming its parent: nothing is lost.
  const Json* n = &j["roots"][0];
  for (int level = 1; level < 100; ++level) n = &(*n)["children"][0];
  ASSERT_EQ((*n)["children"].size(), static_cast<size_t>(kLevels - 99));
  EXPECT_EQ((*n)["children"].back()["span_id"], id('s', kLevels));
  EXPECT_EQ((*n)["children"].back()["parent_span_id"], id('s', kLevels - 1));

  ReplayOptions options;
  options.expand_subagents = true;
  auto replayed = replay(*store_, options);
  ASSERT_TRUE(replayed.ok());
  std::string replay_text = format_replay(replayed.value());
  EXPECT_NE(replay_text.find("nested deeper than 32 levels: --session"), std::string::npos);
}

}  // namespace
}  // namespace trace

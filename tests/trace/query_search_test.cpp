// trace search: exact hits on a hand-made run store (run > generation > agent > session > tool/llm spans,
// events and the observer's tables), the --kind filter, incremental indexing, rebuild and stale indexes, bad
// queries, read-only stores, several dirs, and hostile text (invalid UTF-8, huge outputs).
#include "trace/query_search.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "query_fixture.h"
#include "trace/store_internal.h"

namespace trace {
namespace {

using testing::FleetStore;

// The observer's tables as observer/observation_store.cpp lays them out (trace/ cannot include observer/).
const char* kObserverTables = R"sql(
CREATE TABLE IF NOT EXISTS observations(
  id TEXT PRIMARY KEY, ord INTEGER NOT NULL, fingerprint TEXT NOT NULL UNIQUE, priority TEXT NOT NULL,
  kind TEXT NOT NULL, text TEXT NOT NULL, agents TEXT NOT NULL, first_gen INTEGER NOT NULL,
  last_gen INTEGER NOT NULL, count INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS observation_evidence(
  observation_id TEXT NOT NULL, ord INTEGER NOT NULL, agent TEXT NOT NULL, span_id TEXT NOT NULL,
  event_id INTEGER NOT NULL, PRIMARY KEY(observation_id, ord));
)sql";

class HandMadeRun : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::temp_dir("search");
    store_ = open_trace_dir(dir_, true);
    span("r0", "", SpanKind::run, "run", {});
    for (int g : {1, 2}) {
      std::string n = std::to_string(g), agent = fmt::format("g0{}-a01", g);
      span("g" + n, "r0", SpanKind::generation, "generation " + n, {{"harness.generation", g}});
      span("a" + n, "g" + n, SpanKind::agent, agent, {{"harness.agent", agent}, {"harness.generation", g}});
      span("s" + n, "a" + n, SpanKind::session, "claude", {{"harness.agent", agent}});
    }
    span("t1", "s1", SpanKind::tool, "Bash",
         {{"gen_ai.tool.call.arguments", R"({"command":"git bisect start HEAD v1.2"})"},
          {"gen_ai.tool.call.result", "bisect: first bad commit is abc123"}});
    span("l1", "s1", SpanKind::llm, "chat", {{"gen_ai.output.text", "next I will run git bisect on net.py"}});
    span("t2", "s2", SpanKind::tool, "Bash", {{"error.message", "AssertionError: socket timeout after 5s"}});
    event("a1", "agent.spawned", {{"pid", 42}});  // #e1: not indexed
    event("s1", "message", {{"role", "user"}, {"text", "Find why the socket test is flaky"}});   // #e2
    event("t1", "tool.call.started", {{"tool", "Bash"}, {"input", "git bis… (a preview)"}});     // #e3
    event("t1", "tool.call.completed", {{"tool", "Bash"}, {"output", "bisect: first bad…"}});    // #e4
    event("s2", "message", {{"role", "assistant"}, {"text", "The socket timeout comes back"}});  // #e5
    event("t2", "tool.call.started",
          {{"tool", "Bash"}, {"input", R"({"command":"pytest tests/test_net.py"})"}});
    event("t2", "tool.call.failed", {{"tool", "Bash"}, {"error", "AssertionError: socket timeout after 5s"}});
    event("s2", "error", {{"message", "rate limited"}, {"kind", "api"}});  // #e8
    store_->ensure_schema("observer", 2, kObserverTables);
    store_->execute(
        "INSERT INTO observations VALUES('O-0001', 0, 'fp1', 'important', 'error', 'pytest failed "
        "twice: socket timeout in test_net.py', '[\"g02-a01\"]', 2, 2, 2)");
    store_->execute("INSERT INTO observation_evidence VALUES('O-0001', 0, 'g02-a01', 't2', 7)");
    store_->flush();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void span(const std::string& id, const std::string& parent, SpanKind kind, const std::string& name,
            Json attrs) {
    Span s;
    s.trace_id = std::string(32, 'f');
    s.span_id = id;
    s.parent_span_id = parent;
    s.session_id = kind == SpanKind::session ? id : parent;
    s.kind = kind;
    s.name = name;
    s.start_ns = 1;
    s.end_ns = 2;
    s.attributes = std::move(attrs);
    store_->put_span(s);
  }
  int64_t event(const std::string& span_id, const std::string& type, Json payload) {
    Event e;
    e.span_id = span_id;
    e.time_ns = ++t_;
    e.type = type;
    e.payload = std::move(payload);
    return store_->put_event(e);
  }
  std::vector<std::string> labels(const std::string& query, const std::string& kind = "") {
    auto r = search_store(*store_, query, {kind, 20});
    EXPECT_TRUE(r.ok()) << r.error();
    std::vector<std::string> out;
    if (r.ok())
      for (const auto& h : *r) out.push_back(h.label);
    return out;
  }
  std::string dir_;
  std::unique_ptr<Store> store_;
  int64_t t_ = 0;
};

using Labels = std::vector<std::string>;

TEST_F(HandMadeRun, RankedHitsWithAgentGenerationLabelAndSnippet) {
  auto r = search_store(*store_, "bisect", {});
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_EQ(r->size(), 3u);
  // bm25: the shortest text with the word ranks first. Tool bodies are the span's full copies, not the
  // previews.
  const SearchHit& first = (*r)[0];
  EXPECT_EQ(first.label, "g01-a01#e4");
  EXPECT_EQ(first.kind, "tool");
  EXPECT_EQ(first.type, "tool.call.completed");
  EXPECT_EQ(first.agent, "g01-a01");
  EXPECT_EQ(first.generation, 1);
  EXPECT_EQ(first.event_id, 4);
  EXPECT_EQ(first.span_id, "t1");
  EXPECT_EQ(first.snippet, "Bash «bisect»: first bad commit is abc123");
  EXPECT_EQ((*r)[1].label, "g01-a01#e3");
  EXPECT_EQ((*r)[1].snippet, R"(Bash {"command":"git «bisect» start HEAD v1.2"})");
  EXPECT_EQ((*r)[2].label, "g01-a01#sl1");
  EXPECT_EQ((*r)[2].kind, "llm");
  EXPECT_EQ((*r)[2].snippet, "next I will run git «bisect» on net.py");
  EXPECT_LT((*r)[0].score, (*r)[1].score);
  EXPECT_LT((*r)[1].score, (*r)[2].score);
  // A phrase, a prefix and a punctuated word (searched as a phrase: src/net.py, test_net.py).
  EXPECT_EQ(labels("\"git bisect\""), (Labels{"g01-a01#e3", "g01-a01#sl1"}));
  EXPECT_EQ(labels("bisec*"), (Labels{"g01-a01#e4", "g01-a01#e3", "g01-a01#sl1"}));
  EXPECT_EQ(labels("test_net.py"), (Labels{"g02-a01#e6", "O-0001"}));
  EXPECT_EQ(labels("rate AND limited"), (Labels{"g02-a01#e8"}));
  EXPECT_TRUE(labels("nowhere").empty());
}

TEST_F(HandMadeRun, KindFilterAndObservations) {
  // bm25 counts a document's length over both columns (the kind words too): e7 and e2 are 8 tokens long, a tie
  // that goes to the newer.
  EXPECT_EQ(labels("socket"), (Labels{"g02-a01#e5", "g02-a01#e7", "g01-a01#e2", "O-0001"}));
  EXPECT_EQ(labels("socket", "error"), (Labels{"g02-a01#e7"}));  // a failed tool call is an error too
  EXPECT_EQ(labels("socket", "tool"), (Labels{"g02-a01#e7"}));
  EXPECT_EQ(labels("socket", "message"), (Labels{"g02-a01#e5", "g01-a01#e2"}));
  EXPECT_EQ(labels("socket", "llm"), Labels{});
  EXPECT_EQ(labels("bisect", "llm"), (Labels{"g01-a01#sl1"}));
  // The word "error" in the kind column is never matched by a query: only the text is searched.
  EXPECT_EQ(labels("error"), Labels{});
  auto r = search_store(*store_, "socket", {"observation", 20});
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_EQ(r->size(), 1u);
  const SearchHit& o = (*r)[0];
  EXPECT_EQ(o.label, "O-0001");
  EXPECT_EQ(o.observation_id, "O-0001");
  EXPECT_EQ(o.type, "important");
  EXPECT_EQ(o.agent, "g02-a01");
  EXPECT_EQ(o.generation, 2);
  EXPECT_EQ(o.evidence, (std::vector<std::string>{"g02-a01#e7"}));
  EXPECT_EQ(o.snippet, "pytest failed twice: «socket» timeout in test_net.py");
  SearchResult result{"socket", *r, {}, {}};
  EXPECT_EQ(format_search(result, false),
            " 1. O-0001  observation important  g02-a01  gen 2\n"
            "      pytest failed twice: «socket» timeout in test_net.py\n"
            "      evidence g02-a01#e7\n"
            "1 hit\n");
}

TEST_F(HandMadeRun, LimitKeepsTheBest) {
  auto r = search_store(*store_, "socket", {"", 2});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].label, "g02-a01#e5");
  EXPECT_EQ((*r)[1].label, "g02-a01#e7");  // tied with e2, and newer
}

// A word in more documents of a source than rank_window: only the newest are scored, each source on its own (the
// llm span's rowid is above every event's, yet events are still ranked), and the result says it was capped.
TEST_F(HandMadeRun, ACommonWordIsRankedAmongItsNewestMatchesAndSaysSo) {
  for (int i = 0; i < 6; ++i) event("s2", "message", {{"role", "assistant"}, {"text", "socket again"}});  // #e9-#e14
  store_->flush();
  bool capped = false;
  SearchOptions options{"", 20};
  options.rank_window = 3;
  auto r = search_store(*store_, "socket", options, &capped);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_TRUE(capped);
  Labels events, others;
  for (const auto& h : *r) (h.event_id ? events : others).push_back(h.label);
  std::sort(events.begin(), events.end());
  EXPECT_EQ(events, (Labels{"g02-a01#e12", "g02-a01#e13", "g02-a01#e14"}));  // the newest three events
  EXPECT_EQ(others, (Labels{"O-0001"}));                                     // the observation too
  capped = true;
  options.rank_window = 100;
  ASSERT_TRUE(search_store(*store_, "socket", options, &capped).ok());
  EXPECT_FALSE(capped);
  auto dirs = search_dirs({dir_}, "socket", options);
  ASSERT_TRUE(dirs.ok());
  EXPECT_TRUE(dirs->capped.empty());
  options.rank_window = 3;
  dirs = search_dirs({dir_}, "socket", options);
  ASSERT_TRUE(dirs.ok());
  EXPECT_EQ(dirs->capped, (Labels{dir_}));
  EXPECT_NE(format_search(*dirs, false).find("more matches than could be ranked"), std::string::npos);
}

TEST_F(HandMadeRun, NewEventsAndObservationsAreIndexedIncrementally) {
  IndexUpdate first = update_search_index(*store_);
  EXPECT_EQ(first.events, 7);  // #e2..#e8: agent.spawned is not searchable
  EXPECT_EQ(first.spans, 1);
  EXPECT_EQ(first.observations, 1);
  EXPECT_FALSE(first.temporary);
  EXPECT_TRUE(update_search_index(*store_).empty());  // nothing new: nothing done

  event("s2", "message", {{"role", "assistant"}, {"text", "git bisect says abc123"}});  // #e9
  event("s2", "file.read", {{"path", "bisect.txt"}});                                   // #e10: not indexed
  IndexUpdate second = update_search_index(*store_);
  EXPECT_EQ(second.events, 1);
  EXPECT_EQ(second.spans, 0);
  EXPECT_EQ(second.observations, 0);
  EXPECT_EQ(labels("abc123"), (Labels{"g02-a01#e9", "g01-a01#e4"}));

  // The observer rewrites its table on every save: the changed text is what is found, once.
  store_->execute("UPDATE observations SET text = 'bisect blamed abc123' WHERE id = 'O-0001'");
  EXPECT_EQ(update_search_index(*store_).observations, 1);
  EXPECT_EQ(labels("abc123"), (Labels{"O-0001", "g02-a01#e9", "g01-a01#e4"}));
  EXPECT_EQ(labels("twice"), Labels{});
  // A new llm span.
  span("l2", "s2", SpanKind::llm, "chat", {{"error.message", "overloaded_error: retry later"}});
  EXPECT_EQ(update_search_index(*store_).spans, 1);
  EXPECT_EQ(labels("overloaded_error"), (Labels{"g02-a01#sl2"}));
}

TEST_F(HandMadeRun, StaleIndexIsRebuiltWhenEventsWereReDerived) {
  ASSERT_EQ(labels("flaky"), (Labels{"g01-a01#e2"}));
  // What a rebuild by a harness that does not know the index does: the events come back under other ids.
  store_->execute("DELETE FROM events");
  event("s2", "message", {{"role", "user"}, {"text", "a flaky run"}});  // #e1 again: the old #e8 is gone
  IndexUpdate u = update_search_index(*store_);
  EXPECT_TRUE(u.rebuilt);
  EXPECT_EQ(u.events, 1);
  EXPECT_EQ(labels("flaky"), (Labels{"g02-a01#e1"}));
  EXPECT_EQ(labels("rate"), Labels{});
}

TEST_F(HandMadeRun, DropThenSearchRebuilds) {
  update_search_index(*store_);
  EXPECT_EQ(search_schema(*store_), "main");
  drop_search_index(*store_);
  EXPECT_EQ(search_schema(*store_), "");
  EXPECT_FALSE(store_->meta("schema.search"));
  EXPECT_EQ(update_search_index(*store_).events, 7);
  EXPECT_EQ(labels("flaky"), (Labels{"g01-a01#e2"}));
}

TEST_F(HandMadeRun, BadQueriesAreErrorsNotCrashes) {
  EXPECT_EQ(
      search_store(*store_, "\"socket", {}).error(),
      "bad search query '\"socket': unterminated string (FTS5 syntax: words, \"a phrase\", AND, OR, NOT, "
      "prefix*, NEAR(a b, 5); quote a word that holds punctuation)");
  EXPECT_EQ(
      search_store(*store_, "socket AND", {}).error(),
      "bad search query 'socket AND': fts5: syntax error near \")\" (FTS5 syntax: words, \"a phrase\", AND, "
      "OR, NOT, prefix*, NEAR(a b, 5); quote a word that holds punctuation)");
  EXPECT_FALSE(search_store(*store_, "(socket", {}).ok());
  EXPECT_FALSE(search_store(*store_, "NOT socket", {}).ok());
  EXPECT_EQ(search_store(*store_, "  ", {}).error(), "empty search query");
  EXPECT_EQ(search_store(*store_, "socket", {"files", 20}).error(),
            "unknown kind 'files' (expected tool, llm, error, message or observation)");
  // A refused query builds no index.
  EXPECT_EQ(search_schema(*store_), "");
  // Punctuation alone is a phrase of no words: no hits, no error.
  EXPECT_EQ(labels("*"), Labels{});
}

TEST(SearchQuery, PunctuatedWordsBecomePhrases) {
  EXPECT_EQ(fts_query("socket", ""), "body : (socket)");
  EXPECT_EQ(fts_query("src/net.py ECONNREFUSED:5432", "tool"),
            "kind : tool AND body : (\"src/net.py\" \"ECONNREFUSED:5432\")");
  EXPECT_EQ(fts_query("git-bis* AND ^start", ""), "body : (\"git-bis\"* AND ^start)");
  EXPECT_EQ(fts_query("\"a \"\"quoted\"\" phrase\" OR NEAR(x y, 3)", ""),
            "body : (\"a \"\"quoted\"\" phrase\" OR NEAR(x y, 3))");
  EXPECT_EQ(fts_query("\"open", ""), "body : (\"open)");
  EXPECT_EQ(fts_query("réseau", ""), "body : (réseau)");
}

TEST_F(HandMadeRun, ReadOnlyStoreIsSearchedThroughATemporaryIndex) {
  store_.reset();
  auto ro = Store::open(dir_ + "/run.db", Store::Mode::read_only);
  auto r = search_store(*ro, "flaky", {});
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].label, "g01-a01#e2");
  EXPECT_EQ(search_schema(*ro), "temp");
  EXPECT_TRUE(update_search_index(*ro).temporary);
  ro.reset();
  // Nothing was written to run.db.
  auto again = Store::open(dir_ + "/run.db", Store::Mode::read_only);
  EXPECT_FALSE(again->has_table("search_fts"));
  EXPECT_FALSE(again->meta("schema.search"));
}

TEST_F(HandMadeRun, HostileTextIsClippedAndCleaned) {
  std::string huge = "needle_head " + std::string(kMaxIndexedFieldBytes, 'x') + " needle_tail";
  event("t2", "tool.call.completed", {{"tool", "Bash"}, {"output", huge}});  // #e9
  // Bytes that are not UTF-8 and a payload that is not JSON, as a hand-edited or foreign store may hold.
  store_->execute(
      "INSERT INTO events(span_id, seq, time_ns, type, payload, raw_id) VALUES('s2', 0, 99, 'error', "
      "CAST(X'7B6E6F74206A736F6E20FFFE6D6F6A6962616B65' AS TEXT), 0)");
  EXPECT_EQ(labels("needle_head"), (Labels{"g02-a01#e9"}));
  EXPECT_EQ(labels("needle_tail"), Labels{});  // past the first 64 KiB of the field
  auto r = search_store(*store_, "mojibake", {});
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].label, "g02-a01#e10");
  EXPECT_EQ((*r)[0].snippet, "{not json \xEF\xBF\xBD\xEF\xBF\xBD«mojibake»");
  EXPECT_NO_THROW(search_to_json({"mojibake", *r, {}, {}}).dump());
}

TEST_F(HandMadeRun, SeveralDirsMergeByScore) {
  std::string other = testing::temp_dir("search-other");
  {
    auto s = open_trace_dir(other, true);
    Span sess;
    sess.trace_id = std::string(32, 'e');
    sess.span_id = sess.session_id = "x1";
    sess.name = "worker";
    s->put_span(sess);
    Event e;
    e.span_id = "x1";
    e.type = "message";
    e.payload = {{"text", "socket"}};  // a short text with a word rare in its store: the best hit of all
    s->put_event(e);
    e.payload = {{"text", "something else"}};
    for (int i = 0; i < 10; ++i) s->put_event(e);
  }
  auto r = search_dirs({dir_, other}, "socket", {"", 3});
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_EQ(r->hits.size(), 3u);
  EXPECT_EQ(r->hits[0].run_dir, other);
  EXPECT_EQ(r->hits[0].label, "worker#e1");  // not a harness run: the session names the hit
  EXPECT_EQ(r->hits[0].generation, 0);
  EXPECT_EQ(r->hits[1].run_dir, dir_);
  ASSERT_EQ(r->updates.size(), 2u);
  EXPECT_EQ(r->updates[1].second.events, 11);
  Json j = search_to_json(*r);
  EXPECT_EQ(j["hits"][0]["run_dir"], other);
  EXPECT_EQ(j["hits"][0]["event_id"], 1);
  EXPECT_TRUE(j["hits"][0]["generation"].is_null());
  EXPECT_THROW(search_dirs({dir_, other + "/nope"}, "socket", {}), ImportError);
  std::filesystem::remove_all(other);
}

TEST_F(FleetStore, RebuildKeepsTheIndexInStep) {
  auto before = search_store(*store_, "flaky OR pytest", {});
  ASSERT_TRUE(before.ok()) << before.error();
  std::vector<std::string> labels_before;
  for (const auto& h : *before) labels_before.push_back(h.label);
  EXPECT_EQ(labels_before, (Labels{"worker#e8", "worker#e10", "planner#e2"}));
  store_.reset();
  rebuild(out_);
  store_ = open_trace_dir(out_, false);
  EXPECT_EQ(search_schema(*store_), "");  // dropped by the rebuild
  auto after = search_store(*store_, "flaky OR pytest", {});
  ASSERT_TRUE(after.ok());
  std::vector<std::string> labels_after;
  for (const auto& h : *after) {
    labels_after.push_back(h.label);
    EXPECT_EQ(store_->event(h.event_id)->span_id, h.span_id);
  }
  EXPECT_EQ(labels_after, labels_before);
}

}  // namespace
}  // namespace trace

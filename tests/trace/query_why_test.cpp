// trace why: the span chain above an event and the cross-session causes (the last write of the same path or
// state key by another session before it, recursively), on the fleet fixture and on hand-built stores.
#include "trace/query_why.h"
#include "trace/store_internal.h"

#include <gtest/gtest.h>

#include "query_fixture.h"

namespace trace {
namespace {

using testing::FleetStore;

TEST_F(FleetStore, WhyFollowsWritesAcrossThreeSessions) {
  // reviewer read config.py (#e29) <- worker wrote it (#e23) <- worker had read plan.md (#e9), written by planner (#e4)
  auto r = explain_event(*store_, "#e29");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(format_why(*r),
            "event #e29 file.read config.py at 2026-01-31T12:00:09.150Z\n"
            "  session 92152b02 reviewer [reviewer.jsonl]\n"
            "  └─ tool bbe4fe41 Read\n"
            "     └─ #e29 file.read config.py\n"
            "caused across sessions by:\n"
            "  ← #e23 file.write config.py, 1.6s earlier: last write of config.py by another session before #e29\n"
            "      in session c457bad4 worker [worker.jsonl] › tool 1c830ce2 Edit\n"
            "    ← #e4 file.write plan.md, 6.3s earlier: its session read plan.md at #e9, last written by another "
            "session\n"
            "        in session 74d11601 planner [planner.jsonl] › tool b9ad30dc Write\n");
  Json j = why_to_json(*r);
  EXPECT_EQ(j["event_id"], 29);
  EXPECT_EQ(j["touched"], "config.py");
  ASSERT_EQ(j["causes"].size(), 1u);
  EXPECT_EQ(j["causes"][0]["event_id"], 23);
  ASSERT_EQ(j["causes"][0]["causes"].size(), 1u);
  EXPECT_EQ(j["causes"][0]["causes"][0]["event_id"], 4);
  EXPECT_EQ(j["causes"][0]["causes"][0]["chain"][0]["name"], "planner");
}

TEST_F(FleetStore, WhyOfAWriteNobodyElseTouched) {
  auto r = explain_event(*store_, "4");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(format_why(*r),
            "event #e4 file.write plan.md at 2026-01-31T12:00:01.200Z\n"
            "  session 74d11601 planner [planner.jsonl]\n"
            "  └─ tool b9ad30dc Write\n"
            "     └─ #e4 file.write plan.md\n"
            "no cross-session cause: no other session wrote plan.md before this event, and its session read nothing "
            "another session had written before it\n");
}

TEST_F(FleetStore, WhyInsideASubagent) {
  auto r = explain_event(*store_, "e16");  // explorer read src/net.py
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_EQ(r->chain.size(), 4u);  // worker > Task > explorer > Read
  EXPECT_EQ(r->chain[0].name, "worker");
  EXPECT_EQ(r->chain[1].name, "Task");
  EXPECT_EQ(r->chain[2].kind, SpanKind::subagent);
  EXPECT_EQ(r->chain[3].name, "Read");
  EXPECT_TRUE(r->causes.empty());
}

TEST_F(FleetStore, WhyUnknownOrMalformedId) {
  EXPECT_EQ(explain_event(*store_, "999").error(),
            fmt::format("no event #e999 in {}/run.db (its events are #e1 to #e36)", out_));
  EXPECT_EQ(explain_event(*store_, "e4x").error(),
            "'e4x' is not an event id (expected a number such as 41 or #e41, as 'harness trace replay' prints them, "
            "or an evidence label such as g02-a03#e41)");
  EXPECT_FALSE(explain_event(*store_, "g01-a01#e4x").ok());
  // An observation's evidence label opens the event it names.
  EXPECT_EQ(explain_event(*store_, "g01-a01#e4").value().event.id, 4);
  EXPECT_TRUE(explain_event(*store_, "g01-a01#e4").ok());
  EXPECT_FALSE(explain_event(*store_, "-3").ok());
  EXPECT_FALSE(explain_event(*store_, "").ok());
}

class HandBuiltStore : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::temp_dir("why");
    store_ = Store::open(dir_ + "/run.db");
    for (std::string id : {"a000000000000000", "b000000000000000"}) {
      Span s;
      s.trace_id = std::string(32, 'f');
      s.span_id = s.session_id = id;
      s.kind = SpanKind::session;
      s.name = id.substr(0, 1);
      s.start_ns = 0;
      s.end_ns = 100;
      store_->put_span(s);
    }
  }
  int64_t event(const std::string& session, int64_t t, const std::string& type, Json payload) {
    Event e;
    e.span_id = session;
    e.time_ns = t * 1'000'000'000;
    e.type = type;
    e.payload = std::move(payload);
    return store_->put_event(e);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string dir_;
  std::unique_ptr<Store> store_;
  const std::string a_ = "a000000000000000", b_ = "b000000000000000";
};

TEST_F(HandBuiltStore, AlternatingWritersAreFollowedAFewLevelsAndNeverInACycle) {
  Json f = {{"path", "shared.txt"}};
  int64_t w1 = event(a_, 1, "file.write", f);
  int64_t w2 = event(b_, 2, "file.write", f);
  int64_t w3 = event(a_, 3, "file.write", f);
  event(b_, 3, "file.write", {{"path", "other.txt"}});
  int64_t r4 = event(b_, 4, "file.read", f);
  auto r = explain_event(*store_, std::to_string(r4));
  ASSERT_TRUE(r.ok()) << r.error();
  // B's read <- A's write at 3 <- B's write at 2 <- A's write at 1: three levels, the default.
  ASSERT_EQ(r->causes.size(), 1u);
  const WhyNode& c1 = r->causes[0];
  EXPECT_EQ(c1.event.id, w3);
  ASSERT_EQ(c1.causes.size(), 1u);
  EXPECT_EQ(c1.causes[0].event.id, w2);
  ASSERT_EQ(c1.causes[0].causes.size(), 1u);
  EXPECT_EQ(c1.causes[0].causes[0].event.id, w1);
  EXPECT_TRUE(c1.causes[0].causes[0].causes.empty());

  WhyOptions shallow;
  shallow.max_depth = 1;
  auto one = explain_event(*store_, std::to_string(r4), shallow);
  ASSERT_EQ(one->causes.size(), 1u);
  EXPECT_TRUE(one->causes[0].causes.empty());
}

TEST_F(HandBuiltStore, SharedStateKeys) {
  int64_t w = event(a_, 1, "state.write", {{"key", "lock:db"}});
  event(a_, 2, "state.write", {{"key", "lock:other"}});
  int64_t rd = event(b_, 3, "state.read", {{"key", "lock:db"}});
  auto r = explain_event(*store_, std::to_string(rd));
  ASSERT_EQ(r->causes.size(), 1u);
  EXPECT_EQ(r->causes[0].event.id, w);
  EXPECT_EQ(r->causes[0].reason, fmt::format("last write of lock:db by another session before #e{}", rd));
}

TEST_F(HandBuiltStore, SameSessionWritesAndLaterWritesAreNotCauses) {
  event(b_, 1, "file.write", {{"path", "x"}});   // same session as the read
  int64_t rd = event(b_, 2, "file.read", {{"path", "x"}});
  event(a_, 3, "file.write", {{"path", "x"}});   // after the read
  auto r = explain_event(*store_, std::to_string(rd));
  EXPECT_TRUE(r->causes.empty());
}

TEST_F(HandBuiltStore, LastWriterQueryUsesThePathIndex) {
  std::string plan;
  Statement st(trace::internal::db(*store_),
               fmt::format("EXPLAIN QUERY PLAN SELECT e.id FROM events e WHERE e.{} AND e.type = 'file.write' AND "
                           "json_extract(e.payload, '$.path') = 'x' ORDER BY e.time_ns DESC LIMIT 1",
                           kFileEventsSql));
  while (st.step()) plan += st.text(3) + "\n";
  EXPECT_NE(plan.find("events_touch"), std::string::npos) << plan;
}

}  // namespace
}  // namespace trace

// Store batching: the versions of one span put within a batch are coalesced into one row holding the last
// version, reads (also inside a transaction) see spans still pending, a rolled-back transaction drops them, and the
// raw input that first put a span keeps it.
#include <filesystem>

#include <gtest/gtest.h>

#include "query_fixture.h"
#include "trace/store.h"
#include "trace/store_internal.h"

namespace trace {
namespace {

class StoreBatch : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::temp_dir("store-batch");
    store_ = Store::open(dir_ + "/run.db");
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  static Span span(const std::string& id, const std::string& name, int64_t end_ns) {
    Span s;
    s.span_id = id;
    s.trace_id = "t";
    s.session_id = id;
    s.kind = SpanKind::tool;
    s.name = name;
    s.start_ns = 10;
    s.end_ns = end_ns;
    return s;
  }
  int64_t scalar(const std::string& sql) {
    store_->flush();
    Statement st(trace::internal::db(*store_), sql);
    EXPECT_TRUE(st.step()) << sql;
    return st.int64(0);
  }
  std::string dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreBatch, VersionsOfASpanBecomeOneRowWithTheLast) {
  store_->put_span(span("a", "open", 0));
  store_->put_span(span("b", "other", 3));
  store_->put_span(span("a", "closed", 50));
  auto a = store_->span("a");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->name, "closed");
  EXPECT_EQ(a->end_ns, 50);
  EXPECT_EQ(scalar("SELECT count(*) FROM spans"), 2);
}

TEST_F(StoreBatch, TheRawInputThatFirstPutASpanKeepsIt) {
  store_->put_span(span("a", "open", 0), 7);
  store_->put_span(span("a", "closed", 50), 9);
  EXPECT_EQ(scalar("SELECT raw_id FROM spans WHERE span_id = 'a'"), 7);
  store_->put_span(span("a", "again", 60), 11);  // a later batch: the upsert keeps the row's raw id too
  EXPECT_EQ(scalar("SELECT raw_id FROM spans WHERE span_id = 'a'"), 7);
  EXPECT_EQ(store_->span("a")->name, "again");
}

TEST_F(StoreBatch, ReadsInsideATransactionSeePendingSpans) {
  store_->transaction([&] {
    store_->put_span(span("a", "open", 0));
    auto a = store_->span("a");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->name, "open");
    store_->put_span(span("a", "closed", 50));
  });
  EXPECT_EQ(store_->span("a")->name, "closed");
  EXPECT_EQ(scalar("SELECT count(*) FROM spans"), 1);
}

TEST_F(StoreBatch, ARolledBackTransactionDropsItsPendingSpans) {
  store_->put_span(span("before", "kept", 1));
  EXPECT_THROW(store_->transaction([&] {
    store_->put_span(span("a", "open", 0));
    throw std::runtime_error("agent failed");
  }),
               std::runtime_error);
  EXPECT_FALSE(store_->span("a"));
  EXPECT_TRUE(store_->span("before"));
}

TEST_F(StoreBatch, ManyDistinctSpansInOneBatchAreAllWritten) {
  store_->batch_size = 100'000;
  for (int i = 0; i < 5000; ++i) store_->put_span(span("s" + std::to_string(i), "x", i));
  for (int i = 0; i < 5000; i += 2) store_->put_span(span("s" + std::to_string(i), "y", i));
  EXPECT_EQ(scalar("SELECT count(*) FROM spans"), 5000);
  EXPECT_EQ(scalar("SELECT count(*) FROM spans WHERE name = 'y'"), 2500);
}

}  // namespace
}  // namespace trace

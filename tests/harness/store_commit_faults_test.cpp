// The run store under a failing disk, one commit at a time (fault_vfs): a COMMIT that fails at any of its writes
// leaves nothing of its transaction, a batch whose commit failed once does not break the store for the writes
// after it, a failing fsync (checkpoint, close) loses nothing, and a failing open is a clear StoreError.
#include <sqlite3.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "fault_vfs.h"
#include "harness/exit_codes.h"
#include "trace/store.h"

namespace fs = std::filesystem;
using fault_vfs::File;
using fault_vfs::Op;

namespace {

class StoreCommitFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    fault_vfs::install();
    std::string tmpl = (fs::temp_directory_path() / "harness-store-faults-XXXXXX").string();
    ASSERT_TRUE(mkdtemp(tmpl.data()));
    dir_ = tmpl;
    path_ = dir_ + "/run.db";
  }
  void TearDown() override {
    fault_vfs::disarm();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fault_vfs::Fault here(fault_vfs::Fault f) const {
    f.path_contains = dir_;
    return f;
  }
  static void put(trace::Store& store, const std::string& type, int n = 1) {
    for (int i = 0; i < n; ++i) {
      trace::Event e;
      e.span_id = "s";
      e.seq = i;
      e.type = type;
      e.payload = {{"i", i}, {"pad", std::string(300, 'x')}};  // a few pages per commit
      store.put_event(e);
    }
  }
  // Events of each type, through plain SQLite (not the wrapper): "type=count ...".
  std::string events() const {
    sqlite3* db = nullptr;
    std::string out;
    sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, "unix");
    sqlite3_exec(
        db, "SELECT type || '=' || count(*) FROM events GROUP BY type ORDER BY type",
        [](void* o, int, char** v, char**) {
          auto& s = *static_cast<std::string*>(o);
          s += (s.empty() ? "" : " ") + std::string(v[0]);
          return 0;
        },
        &out, nullptr);
    sqlite3_close(db);
    return out;
  }
  std::string integrity() const {
    sqlite3* db = nullptr;
    std::string out;
    sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, "unix");
    sqlite3_exec(
        db, "PRAGMA integrity_check",
        [](void* o, int, char** v, char**) {
          *static_cast<std::string*>(o) += v[0];
          return 0;
        },
        &out, nullptr);
    sqlite3_close(db);
    return out;
  }
  // WAL writes one transaction of `n` events makes (measured on a scratch store).
  long writes_of_transaction(int n) {
    auto scratch = trace::Store::open(dir_ + "/scratch.db");
    put(*scratch, "before");
    scratch->flush();
    long before = fault_vfs::counts().of(Op::write, File::wal);
    scratch->transaction([&] { put(*scratch, "checkpoint", n); });
    return fault_vfs::counts().of(Op::write, File::wal) - before;
  }

  std::string dir_, path_;
};

// Each write of the COMMIT fails in turn, once: the transaction is never half there, and the store goes on.
TEST_F(StoreCommitFaults, AFailingCommitRollsBackTheWholeTransaction) {
  const long writes = writes_of_transaction(40);
  ASSERT_GT(writes, 10);
  for (long n = 1; n <= writes; ++n) {
    SCOPED_TRACE(fmt::format("WAL write {} of {}", n, writes));
    fs::remove(path_);
    fs::remove(path_ + "-wal");
    fs::remove(path_ + "-shm");
    {
      auto store = trace::Store::open(path_);
      put(*store, "before");
      store->flush();
      fault_vfs::arm(here(fault_vfs::fail_nth_write(n)));
      try {
        store->transaction([&] { put(*store, "checkpoint", 40); });
        ADD_FAILURE() << "the commit succeeded with a failing write";
      } catch (const trace::StoreError& e) {
        EXPECT_EQ(harness::exit_code_for(e), harness::kExitInfra);
        EXPECT_NE(std::string(e.what()).find(path_), std::string::npos) << e.what();
      }
      fault_vfs::disarm();
      EXPECT_EQ(events(), "before=1") << "nothing of the failed transaction";
      store->transaction([&] { put(*store, "after"); });  // the same store goes on
    }
    EXPECT_EQ(events(), "after=1 before=1");
    EXPECT_EQ(integrity(), "ok");
  }
  fmt::print("COMMIT faults: {} (each WAL write of a 40-event transaction in turn), data lost: 0\n", writes);
}

// A batch (writes outside a transaction) whose commit failed once: the batch is gone as a whole, and the next
// writes commit normally instead of failing for ever ("cannot commit - no transaction is active").
TEST_F(StoreCommitFaults, ABatchWhoseCommitFailedLeavesTheStoreUsable) {
  auto store = trace::Store::open(path_);
  put(*store, "first");
  store->flush();
  put(*store, "batched", 20);
  fault_vfs::arm(here(fault_vfs::fail_nth_write(3)));
  EXPECT_THROW(store->flush(), trace::StoreError);
  fault_vfs::disarm();
  put(*store, "later", 2);
  EXPECT_NO_THROW(store->flush());
  store->transaction([&] { put(*store, "checkpoint"); });
  EXPECT_EQ(events(), "checkpoint=1 first=1 later=2");
  EXPECT_EQ(integrity(), "ok");
}

// The same with the disk full for good: every commit fails cleanly, and once space is back the store writes.
TEST_F(StoreCommitFaults, AFullDiskFailsEveryCommitUntilThereIsSpace) {
  auto store = trace::Store::open(path_);
  put(*store, "first");
  store->flush();
  fault_vfs::arm(here(fault_vfs::disk_full_after(0)));
  for (int i = 0; i < 3; ++i) {
    try {
      store->transaction([&] { put(*store, "checkpoint", 5); });
      ADD_FAILURE() << "committed on a full disk";
    } catch (const trace::StoreError& e) {
      EXPECT_NE(std::string(e.what()).find("database or disk is full"), std::string::npos) << e.what();
    }
  }
  fault_vfs::disarm();
  store->transaction([&] { put(*store, "checkpoint"); });
  EXPECT_EQ(events(), "checkpoint=1 first=1");
  EXPECT_EQ(integrity(), "ok");
}

// In WAL mode with synchronous=NORMAL a commit does not fsync; checkpoints do (every commit here, through
// wal_autocheckpoint=1, and when the store closes). A failing fsync there fails only the checkpoint: the WAL
// keeps the frames, the next checkpoint (or the next open) copies them again. Each fsync fails in turn.
TEST_F(StoreCommitFaults, AFailingFsyncLosesNothing) {
  long syncs = 0;
  {
    fault_vfs::reset_counts();
    auto store = trace::Store::open(dir_ + "/scratch.db");
    store->execute("PRAGMA wal_autocheckpoint=1");
    for (int i = 0; i < 5; ++i) store->transaction([&] { put(*store, "checkpoint", 3); });
  }
  auto c = fault_vfs::counts();
  syncs = c.of(Op::sync, File::wal) + c.of(Op::sync, File::main_db);
  ASSERT_GT(syncs, 4);
  int faults = 0, absorbed = 0;
  for (File file : {File::wal, File::main_db})
    for (long n = 1; n <= c.of(Op::sync, file); ++n) {
      SCOPED_TRACE(fmt::format("fsync {} of the {}", n, fault_vfs::to_string(file)));
      fs::remove(path_);
      fs::remove(path_ + "-wal");
      fs::remove(path_ + "-shm");
      fault_vfs::arm(here(fault_vfs::fail_nth_sync(n, file)));
      int committed = 0, failed = 0;
      std::unique_ptr<trace::Store> store;
      try {
        store = trace::Store::open(path_);  // a new file: switching it to WAL syncs it
        store->execute("PRAGMA wal_autocheckpoint=1");
      } catch (const trace::StoreError& e) {
        EXPECT_NE(std::string(e.what()).find(path_), std::string::npos) << e.what();
        store.reset();
        ++failed;
      }
      if (store) {
        for (int i = 0; i < 5; ++i) {
          try {
            store->transaction([&] { put(*store, "checkpoint", 3); });
            ++committed;
          } catch (const trace::StoreError& e) {  // a commit that had to fsync (the WAL restarting) fails whole
            EXPECT_NE(std::string(e.what()).find("disk I/O error"), std::string::npos) << e.what();
            ++failed;
          }
        }
        store.reset();  // closing checkpoints (and syncs) once more
      }
      fault_vfs::disarm();
      EXPECT_LE(failed, 1);
      if (committed > 0) {
        EXPECT_EQ(events(), fmt::format("checkpoint={}", committed * 3)) << "every commit that returned is there";
      }
      EXPECT_EQ(integrity(), "ok");
      ++faults;
      absorbed += failed == 0;
    }
  fmt::print("fsync faults: {} (each fsync of a 5-commit store in turn): {} absorbed by the checkpoint, {} failed "
             "one commit whole; data lost: 0\n", faults, absorbed, faults - absorbed);
}

// Opening run.db (resume, `harness report`, `harness status`) when the open fails: a StoreError naming the file,
// exit 3; with the fault gone the same file opens with everything in it.
TEST_F(StoreCommitFaults, AFailingOpenIsAClearStoreError) {
  {
    auto store = trace::Store::open(path_);
    store->transaction([&] { put(*store, "checkpoint"); });
  }
  for (File file : {File::main_db, File::wal}) {
    SCOPED_TRACE(fault_vfs::to_string(file));
    fault_vfs::arm(here(fault_vfs::fail_nth_open(1, file)));
    for (auto mode : {trace::Store::Mode::read_write, trace::Store::Mode::read_only}) {
      try {
        auto store = trace::Store::open(path_, mode);
        ADD_FAILURE() << "opened";
      } catch (const trace::StoreError& e) {
        EXPECT_EQ(harness::exit_code_for(e), harness::kExitInfra);
        EXPECT_NE(std::string(e.what()).find(path_), std::string::npos) << e.what();
      }
      fault_vfs::arm(here(fault_vfs::fail_nth_open(1, file)));
    }
    fault_vfs::disarm();
    auto store = trace::Store::open(path_);
    int n = 0;
    store->query("SELECT count(*) FROM events", {}, [&](const trace::Row& r) { n = (int)r.int64(0); });
    EXPECT_EQ(n, 1);
  }
  EXPECT_EQ(integrity(), "ok");
}

}  // namespace

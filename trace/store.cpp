#include "trace/store.h"

#include "trace/store_internal.h"

#include <sqlite3.h>

#include <fmt/format.h>

#include "trace/audit_extract.h"
#include "trace/json_text.h"

namespace trace {
namespace {

const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS raw_inputs(
  id INTEGER PRIMARY KEY, path TEXT NOT NULL, format TEXT NOT NULL, trace_id TEXT NOT NULL,
  parent_span_id TEXT NOT NULL, label TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS spans(
  span_id TEXT PRIMARY KEY, trace_id TEXT NOT NULL, parent_span_id TEXT NOT NULL, session_id TEXT NOT NULL,
  kind TEXT NOT NULL, name TEXT NOT NULL, start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL,
  status TEXT NOT NULL, attributes TEXT NOT NULL,
  input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cache_read_tokens INTEGER NOT NULL,
  cache_creation_tokens INTEGER NOT NULL, cost_usd REAL NOT NULL, raw_id INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS spans_parent ON spans(parent_span_id);
CREATE INDEX IF NOT EXISTS spans_session ON spans(session_id);
CREATE TABLE IF NOT EXISTS events(
  id INTEGER PRIMARY KEY, span_id TEXT NOT NULL, seq INTEGER NOT NULL, time_ns INTEGER NOT NULL,
  type TEXT NOT NULL, payload TEXT NOT NULL, raw_id INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS events_span ON events(span_id);
)sql";

// Indexes the trace queries need (tree/stats/replay/why/audit). Created with the schema, and on opening an older
// file of the same version that lacks them, so queries on a 1M-event store stay interactive. spans_usage covers
// the per-session aggregates (stats and tree never read the wide attribute rows); the partial indexes hold only
// session-like spans, file and egress events and the shell and fetch tool calls, so the bulk of writes does not
// pay for them. events_touch finds a path's uses (why). events_file_uses and spans_tool_uses hold all that audit
// reads of a file event or a tool span (its session, and a shell or fetch tool's arguments), both in span order, so
// audit merges the two without a lookup: through the older events_files and spans_tools it read 188k event rows and
// 320k span rows at random on 1M events (docs/benchmarks.md).
std::string query_indexes() {
  return fmt::format(R"sql(
CREATE INDEX IF NOT EXISTS spans_structural ON spans(kind, parent_span_id) WHERE {};
CREATE INDEX IF NOT EXISTS spans_usage ON spans(session_id, kind, status, input_tokens, output_tokens,
  cache_read_tokens, cache_creation_tokens, cost_usd);
CREATE INDEX IF NOT EXISTS events_touch ON events(json_extract(payload, '$.path'), time_ns) WHERE {};
DROP INDEX IF EXISTS events_files;
CREATE INDEX IF NOT EXISTS events_file_uses ON events(span_id, time_ns, type, json_extract(payload, '$.path'))
  WHERE {};
CREATE INDEX IF NOT EXISTS events_egress ON events(time_ns) WHERE {};
DROP INDEX IF EXISTS spans_tools;
CREATE INDEX IF NOT EXISTS spans_tool_uses ON spans(span_id, session_id, name, start_ns, {}) WHERE kind = 'tool';
)sql",
                     kStructuralSpansSql, kFileEventsSql, kFileEventsSql, kEgressEventsSql, audited_tool_arguments_sql());
}
constexpr int kQueryIndexCount = 6;

using internal::check;

// Invalid UTF-8 from an agent must never make a write throw: json_text replaces it (and is the fast writer).
std::string dump(const Json& j) { return json_text(j); }

}  // namespace

std::unique_ptr<Store> Store::open(const std::string& path, Mode mode) {
  sqlite3* db = nullptr;
  int flags = mode == Mode::read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw StoreError(fmt::format("{}: cannot open run store: {}", path, msg));
  }
  std::unique_ptr<Store> store(new Store(db, path, mode == Mode::read_only));
  sqlite3_busy_timeout(db, 10000);
  int version = 0;
  {
    Statement st(db, "PRAGMA user_version");
    if (st.step()) version = static_cast<int>(st.int64(0));
  }
  if (version > kStoreSchemaVersion)
    throw StoreError(fmt::format(
        "{}: run store schema version {} is newer than this harness understands ({}); use a newer harness",
        path, version, kStoreSchemaVersion));
  if (mode == Mode::read_write) {
    store->exec("PRAGMA journal_mode=WAL");
    // NORMAL in WAL mode: a committed transaction survives a process crash (our failure model); only an OS crash
    // may lose the last transactions.
    store->exec("PRAGMA synchronous=NORMAL");
    // 32 MiB of page cache (the default is 2 MiB): the random span ids and the indexes make inserts touch pages all
    // over the b-trees; a larger cache keeps them in memory between batches. Well under the 200 MB RSS budget.
    store->exec("PRAGMA cache_size=-32768");
    if (version < kStoreSchemaVersion) {
      store->exec("BEGIN IMMEDIATE");
      store->exec(kSchema);
      store->exec(query_indexes().c_str());
      store->exec(fmt::format("PRAGMA user_version={}", kStoreSchemaVersion).c_str());
      store->exec("COMMIT");
    } else {
      int64_t present = 0;
      {
        // Finished before the indexes are made: SQLite refuses to drop an index ("database table is locked")
        // while a statement of the connection is still reading.
        Statement st(db, "SELECT count(*) FROM sqlite_master WHERE type='index' AND name IN "
                         "('spans_structural', 'spans_usage', 'events_touch', 'events_file_uses', 'events_egress', "
                         "'spans_tool_uses')");
        if (st.step()) present = st.int64(0);
      }
      if (present < kQueryIndexCount) {
        store->exec("BEGIN IMMEDIATE");
        store->exec(query_indexes().c_str());
        store->exec("COMMIT");
      }
    }
  } else if (version == 0) {
    throw StoreError(fmt::format("{}: not a run store (no schema)", path));
  }
  return store;
}

Store::Store(sqlite3* db, std::string path, bool read_only) : db_(db), path_(std::move(path)), read_only_(read_only) {}

Store::~Store() {
  try {
    flush();
  } catch (const StoreError&) {
    // A destructor cannot report; the pending batch is lost, which the caller's flush() would have reported.
  }
  sqlite3_finalize(put_span_stmt_);
  sqlite3_finalize(put_event_stmt_);
  sqlite3_close_v2(db_);
}

void Store::exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw StoreError(fmt::format("{}: {}", path_, msg));
  }
}

sqlite3_stmt* Store::prepare(const char* sql) {
  sqlite3_stmt* st = nullptr;
  check(db_, sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr), "prepare");
  return st;
}

void Store::begin_batch_locked() {
  if (!in_batch_) {
    exec("BEGIN");
    in_batch_ = true;
    pending_ = 0;
  }
}

void Store::commit_locked() {
  if (!in_batch_) return;
  // Inside a transaction() readers still see every span put so far; the commit waits for the transaction's end
  // (a failure here leaves through transaction(), which rolls back).
  if (in_transaction_) return write_pending_spans_locked();
  try {
    write_pending_spans_locked();
    exec("COMMIT");
  } catch (const StoreError&) {
    abandon_batch_locked();
    throw;
  }
  in_batch_ = false;
  pending_ = 0;
}

void Store::abandon_batch_locked() {
  // A failed write or COMMIT (disk full, an I/O error) may have made SQLite roll the transaction back by itself,
  // or left it open. Either way it is gone as a whole: a later COMMIT must never commit what remained of it, and
  // the next write starts a batch of its own instead of failing for ever on "no transaction is active".
  if (!sqlite3_get_autocommit(db_)) {
    char* err = nullptr;
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, &err);
    sqlite3_free(err);
  }
  pending_spans_.clear();
  pending_span_index_.clear();
  in_batch_ = in_transaction_ = false;
  pending_ = 0;
}

void Store::after_write_locked() {
  if (++pending_ >= batch_size && !in_transaction_) commit_locked();
}

void Store::put_span(const Span& s, int64_t raw_id) {
  std::lock_guard lock(mu_);
  begin_batch_locked();
  auto [it, inserted] = pending_span_index_.try_emplace(s.span_id, pending_spans_.size());
  if (inserted) {
    pending_spans_.emplace_back(s, raw_id);
  } else {
    pending_spans_[it->second].first = s;  // the raw input that first put it keeps it, as the upsert does
  }
  if (pending_spans_.size() >= kMaxPendingSpans) {
    try {
      write_pending_spans_locked();
    } catch (const StoreError&) {
      if (!in_transaction_) abandon_batch_locked();  // inside one, transaction() rolls back
      throw;
    }
  }
  after_write_locked();
}

void Store::write_pending_spans_locked() {
  for (const auto& [span, raw_id] : pending_spans_) write_span_locked(span, raw_id);
  pending_spans_.clear();
  pending_span_index_.clear();
}

void Store::write_span_locked(const Span& s, int64_t raw_id) {
  if (!put_span_stmt_)
    put_span_stmt_ = prepare(
        "INSERT INTO spans(span_id, trace_id, parent_span_id, session_id, kind, name, start_ns, end_ns, status, "
        "attributes, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, cost_usd, raw_id) "
        "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16) "
        "ON CONFLICT(span_id) DO UPDATE SET trace_id=?2, parent_span_id=?3, session_id=?4, kind=?5, name=?6, "
        "start_ns=?7, end_ns=?8, status=?9, attributes=?10, input_tokens=?11, output_tokens=?12, "
        "cache_read_tokens=?13, cache_creation_tokens=?14, cost_usd=?15");
  sqlite3_stmt* st = put_span_stmt_;
  // SQLITE_STATIC: every bound value outlives the step below, and every parameter is bound again before the next
  // one, so SQLite need not copy kilobytes of attributes per row.
  auto text = [&](int i, std::string_view v) { sqlite3_bind_text(st, i, v.data(), (int)v.size(), SQLITE_STATIC); };
  text(1, s.span_id);
  text(2, s.trace_id);
  text(3, s.parent_span_id);
  text(4, s.session_id);
  text(5, to_string(s.kind));
  text(6, s.name);
  sqlite3_bind_int64(st, 7, s.start_ns);
  sqlite3_bind_int64(st, 8, s.end_ns);
  text(9, to_string(s.status));
  std::string attrs = dump(s.attributes);
  text(10, attrs);
  sqlite3_bind_int64(st, 11, s.usage.input_tokens);
  sqlite3_bind_int64(st, 12, s.usage.output_tokens);
  sqlite3_bind_int64(st, 13, s.usage.cache_read_tokens);
  sqlite3_bind_int64(st, 14, s.usage.cache_creation_tokens);
  sqlite3_bind_double(st, 15, s.usage.cost_usd);
  sqlite3_bind_int64(st, 16, raw_id);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  check(db_, rc, "put span");
}

int64_t Store::put_event(const Event& e, int64_t raw_id) {
  std::lock_guard lock(mu_);
  begin_batch_locked();
  if (!put_event_stmt_)
    put_event_stmt_ =
        prepare("INSERT INTO events(span_id, seq, time_ns, type, payload, raw_id) VALUES(?1,?2,?3,?4,?5,?6)");
  sqlite3_stmt* st = put_event_stmt_;
  // SQLITE_STATIC: the values outlive the step and are all bound again before the next one (no copy per row).
  sqlite3_bind_text(st, 1, e.span_id.data(), (int)e.span_id.size(), SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, e.seq);
  sqlite3_bind_int64(st, 3, e.time_ns);
  sqlite3_bind_text(st, 4, e.type.data(), (int)e.type.size(), SQLITE_STATIC);
  std::string payload = dump(e.payload);
  sqlite3_bind_text(st, 5, payload.data(), (int)payload.size(), SQLITE_STATIC);
  sqlite3_bind_int64(st, 6, raw_id);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE && !in_transaction_) abandon_batch_locked();  // inside one, transaction() rolls back
  check(db_, rc, "put event");
  int64_t id = sqlite3_last_insert_rowid(db_);
  after_write_locked();
  return id;
}

int64_t Store::add_raw_input(const RawInput& raw) {
  std::lock_guard lock(mu_);
  commit_locked();
  Statement st(db_, "INSERT INTO raw_inputs(path, format, trace_id, parent_span_id, label) VALUES(?,?,?,?,?)");
  st.bind(1, raw.path).bind(2, raw.format).bind(3, raw.trace_id).bind(4, raw.parent_span_id).bind(5, raw.label);
  st.step();
  return sqlite3_last_insert_rowid(db_);
}

std::vector<RawInput> Store::raw_inputs() {
  std::lock_guard lock(mu_);
  commit_locked();
  std::vector<RawInput> out;
  Statement st(db_, "SELECT id, path, format, trace_id, parent_span_id, label FROM raw_inputs ORDER BY id");
  while (st.step()) out.push_back({st.int64(0), st.text(1), st.text(2), st.text(3), st.text(4), st.text(5)});
  return out;
}

void Store::delete_decoded() {
  std::lock_guard lock(mu_);
  commit_locked();
  exec("BEGIN IMMEDIATE; DELETE FROM spans WHERE raw_id != 0; DELETE FROM events WHERE raw_id != 0; COMMIT");
}

void Store::flush() {
  std::lock_guard lock(mu_);
  commit_locked();
}

void Store::transaction(const std::function<void()>& fn) {
  std::lock_guard lock(mu_);  // recursive: fn's own put_span/put_event calls take it again
  if (in_transaction_) return fn();  // nested: joins the outer transaction, durable when it commits
  commit_locked();
  exec("BEGIN IMMEDIATE");
  in_batch_ = true;  // writes made by fn join this transaction instead of opening a batch
  in_transaction_ = true;
  try {
    fn();
  } catch (...) {
    abandon_batch_locked();  // the pending spans belonged to the rolled-back transaction
    throw;
  }
  in_transaction_ = false;
  commit_locked();  // a failing COMMIT rolls the whole transaction back
}

bool Store::in_transaction() {
  std::lock_guard lock(mu_);
  return in_transaction_;
}

void Store::ensure_schema(const std::string& component, int version, const std::string& ddl) {
  std::lock_guard lock(mu_);
  commit_locked();
  std::string key = "schema." + component;
  int have = 0;
  {
    Statement st(db_, "SELECT value FROM meta WHERE key=?");
    st.bind(1, key);
    if (st.step()) have = std::stoi(st.text(0));
  }
  if (have > version)
    throw StoreError(fmt::format("{}: {} schema version {} is newer than this harness understands ({})", path_,
                                 component, have, version));
  if (have == version || read_only_) return;
  exec("BEGIN IMMEDIATE");
  exec(ddl.c_str());
  Statement st(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)");
  st.bind(1, key).bind(2, std::to_string(version));
  st.step();
  exec("COMMIT");
}

std::optional<Span> Store::span(const std::string& span_id) {
  std::lock_guard lock(mu_);
  commit_locked();
  Statement st(db_, fmt::format("SELECT {} FROM spans WHERE span_id=?", internal::kSpanColumns));
  st.bind(1, span_id);
  if (!st.step()) return std::nullopt;
  return internal::span_from_row(st.raw());
}

std::optional<Event> Store::event(int64_t id) {
  std::lock_guard lock(mu_);
  commit_locked();
  Statement st(db_, fmt::format("SELECT {} FROM events WHERE id=?", internal::kEventColumns));
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return internal::event_from_row(st.raw());
}

void Store::for_each_span(const std::function<void(const Span&)>& fn, const std::string& where_sql) {
  std::lock_guard lock(mu_);
  commit_locked();
  Statement st(db_, fmt::format("SELECT {} FROM spans {} {} ORDER BY start_ns, rowid", internal::kSpanColumns,
                                where_sql.empty() ? "" : "WHERE", where_sql));
  while (st.step()) fn(internal::span_from_row(st.raw()));
}

void Store::for_each_event(const std::function<void(const Event&)>& fn, const std::string& where_sql) {
  std::lock_guard lock(mu_);
  commit_locked();
  Statement st(db_, fmt::format("SELECT {} FROM events {} {} ORDER BY id", internal::kEventColumns,
                                where_sql.empty() ? "" : "WHERE", where_sql));
  while (st.step()) fn(internal::event_from_row(st.raw()));
}

void Store::set_meta(const std::string& key, const std::string& value) {
  std::lock_guard lock(mu_);
  commit_locked();
  Statement st(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)");
  st.bind(1, key).bind(2, value);
  st.step();
}

std::optional<std::string> Store::meta(const std::string& key) {
  std::lock_guard lock(mu_);
  commit_locked();
  Statement st(db_, "SELECT value FROM meta WHERE key=?");
  st.bind(1, key);
  if (!st.step()) return std::nullopt;
  return st.text(0);
}

}  // namespace trace

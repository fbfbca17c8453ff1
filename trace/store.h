// The run store: one SQLite file (WAL) per run directory holding spans, events and the raw inputs they came from.
// Writes are batched: they open a transaction that commits every `batch_size` writes or at flush(); a caller that
// needs a durable point (an agent's result) calls transaction(). A write or commit that fails (disk full, an I/O
// error) throws StoreError and loses the whole batch or transaction it was in, never half of one; the writes
// after it start afresh. Within a batch, the versions of one span (sent
// when it opens, again when it closes) are coalesced and only the last is written, at the latest when the batch
// commits: readers call flush() first (query() does). All methods are thread-safe (one internal recursive mutex);
// the SQLite handle stays inside trace/ (store_internal.h).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "trace/model.h"

struct sqlite3;
struct sqlite3_stmt;

namespace trace {

// The schema version this build writes; a file with a newer one is refused with a clear error.
constexpr int kStoreSchemaVersion = 1;

// WHERE terms of the partial indexes behind the trace queries. SQLite uses a partial index only when the query
// repeats its term verbatim, so query code puts these strings in its WHERE clauses. Each IN list has at most two
// values on purpose: SQLite evaluates a longer list through a temporary table, on every insert into the table.
// Spans that are neither llm nor tool calls: sessions, subagents and the harness's run/generation/agent/verify spans.
inline constexpr const char* kStructuralSpansSql = "kind NOT IN ('llm', 'tool')";
inline constexpr const char* kFileEventsSql = "type IN ('file.read', 'file.write')";
// What the sandbox's egress proxy saw (audit reads them through a partial index of this WHERE clause).
inline constexpr const char* kEgressEventsSql = "type IN ('egress.allowed', 'egress.denied')";

// Fatal store failures (cannot open, newer schema, disk full). Caught once at the top of the CLI.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RawInput {
  int64_t id = 0;
  std::string path;    // relative to the run directory, e.g. raw/0001-session.jsonl or gen-001/agent-02/stdout.raw
  std::string format;  // decoder name: jsonl, claude-stream, claude-transcript, codex, otlp
  std::string trace_id;
  std::string parent_span_id;  // where the decoded sessions hang (empty: roots)
  std::string label;           // agent id or the original file name
};

// A value bound to a `?` of Store::query / Store::execute.
using SqlValue = std::variant<std::nullptr_t, int64_t, double, std::string>;

// One result row of Store::query, valid during the callback: columns by index (from 0) or by name.
class Row {
 public:
  int64_t int64(int col) const;
  double real(int col) const;
  std::string text(int col) const;
  bool is_null(int col) const;
  int column(const std::string& name) const;  // -1 when the result has no such column
  int columns() const;

 private:
  friend class Store;
  explicit Row(sqlite3_stmt* st) : st_(st) {}
  sqlite3_stmt* st_;
};

class Store;
namespace internal {
sqlite3* db(Store& store);
std::recursive_mutex& mutex(Store& store);
}  // namespace internal

class Store : public SpanSink {
 public:
  enum class Mode { read_write, read_only };
  // Opens (creating when read_write) `path`. Throws StoreError.
  static std::unique_ptr<Store> open(const std::string& path, Mode mode = Mode::read_write);
  ~Store() override;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // SpanSink: batched upsert of a span (a write error may surface at the batch's commit); insert of an event
  // (returns its id). Written by the harness itself (raw id 0): `trace rebuild` keeps them.
  void put_span(const Span& span) override { put_span(span, 0); }
  int64_t put_event(const Event& event) override { return put_event(event, 0); }
  // The same, tagged with the raw input they were decoded from (see RawInputSink).
  void put_span(const Span& span, int64_t raw_id);
  int64_t put_event(const Event& event, int64_t raw_id);

  int64_t add_raw_input(const RawInput& raw);
  std::vector<RawInput> raw_inputs();
  // Deletes every span and event decoded from raw inputs (spans whose `raw_id` is set), for `trace rebuild`.
  void delete_decoded();

  void flush();
  // Commits pending writes, then runs `fn` inside one IMMEDIATE transaction: durable when it returns. A nested
  // call joins the outer transaction.
  void transaction(const std::function<void()>& fn);
  // Whether the calling thread is inside transaction() (another thread's transaction makes this wait for its
  // end). For callers that must not hold the store's write lock while they wait on something slow.
  bool in_transaction();
  // Runs DDL for a higher layer's tables once per version; `component` names it in the meta table.
  // Throws StoreError when the file holds a newer version of that component than `version`.
  void ensure_schema(const std::string& component, int version, const std::string& ddl);

  std::optional<Span> span(const std::string& span_id);
  std::optional<Event> event(int64_t id);
  void for_each_span(const std::function<void(const Span&)>& fn, const std::string& where_sql = "");
  void for_each_event(const std::function<void(const Event&)>& fn, const std::string& where_sql = "");

  // Meta key/values (run id, config hash, ...).
  void set_meta(const std::string& key, const std::string& value);
  std::optional<std::string> meta(const std::string& key);

  // Higher layers' own tables (created with ensure_schema): one SQL statement with `params` bound to its `?`s,
  // `fn` called for each result row. Both flush the batch first and hold the store's lock while they run; a
  // statement run inside transaction() is part of it. Throws StoreError on an SQL error.
  void query(const std::string& sql, const std::vector<SqlValue>& params, const std::function<void(const Row&)>& fn);
  void execute(const std::string& sql, const std::vector<SqlValue>& params = {});
  bool has_table(const std::string& name);
  const std::string& path() const { return path_; }

  size_t batch_size = 2000;

 private:
  friend sqlite3* internal::db(Store& store);
  friend std::recursive_mutex& internal::mutex(Store& store);
  Store(sqlite3* db, std::string path, bool read_only);
  void exec(const char* sql);
  void begin_batch_locked();
  void commit_locked();
  void abandon_batch_locked();
  void after_write_locked();
  sqlite3_stmt* prepare(const char* sql);
  void write_span_locked(const Span& span, int64_t raw_id);
  void write_pending_spans_locked();

  sqlite3* db_;
  std::string path_;
  bool read_only_;
  std::recursive_mutex mu_;
  bool in_batch_ = false;
  bool in_transaction_ = false;
  size_t pending_ = 0;
  sqlite3_stmt* put_span_stmt_ = nullptr;
  sqlite3_stmt* put_event_stmt_ = nullptr;
  // Spans put in this batch and not written yet (with the raw input that first put them), in first-put
  // order. Bounded: written out when kMaxPendingSpans are waiting.
  std::vector<std::pair<Span, int64_t>> pending_spans_;
  std::unordered_map<std::string, size_t> pending_span_index_;
  static constexpr size_t kMaxPendingSpans = 1024;
};

// A sink that writes into a store, tagging everything with the raw input it was decoded from, so that
// `trace rebuild` can tell decoded rows from the harness's own. One per stream; many may share a store.
class RawInputSink : public SpanSink {
 public:
  RawInputSink(Store& store, int64_t raw_id) : store_(store), raw_id_(raw_id) {}
  void put_span(const Span& span) override { store_.put_span(span, raw_id_); }
  int64_t put_event(const Event& event) override { return store_.put_event(event, raw_id_); }

 private:
  Store& store_;
  int64_t raw_id_;
};

}  // namespace trace

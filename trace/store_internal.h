// Internal to trace/: the SQLite handle and lock of a Store, prepared statements, and the one decoding of a span
// or event row, for the query code of this folder. Other layers use Store's methods (query/execute for their own
// tables) and the query functions of trace/; tests/deps/check_layers.py keeps it so.
#pragma once

#include <mutex>
#include <string>
#include <string_view>

#include "trace/store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace trace {

// RAII for a prepared statement.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& bind(int index, const std::string& value);
  Statement& bind(int index, int64_t value);
  Statement& bind(int index, double value);
  Statement& bind_null(int index);
  bool step();  // true while a row is available; throws StoreError on failure
  void reset();
  int64_t int64(int col);
  double real(int col);
  std::string text(int col);
  bool is_null(int col);
  sqlite3_stmt* raw() { return stmt_; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

namespace internal {

// Throws StoreError naming `what` and SQLite's message unless `rc` is OK, DONE or ROW.
void check(sqlite3* db, int rc, const char* what);

// The columns span_from_row / event_from_row read, in order: "SELECT {kSpanColumns} FROM spans ...".
extern const char* const kSpanColumns;
extern const char* const kEventColumns;
Span span_from_row(sqlite3_stmt* st);
// `parse_payload` false leaves the payload null (a caller that never reads it saves the JSON parse).
Event event_from_row(sqlite3_stmt* st, bool parse_payload = true);
// A text column without a copy (valid until the statement steps again).
std::string_view column_view(sqlite3_stmt* st, int col);

}  // namespace internal
}  // namespace trace

// Statements and rows: the prepared-statement wrapper of trace/, the one decoding of span and event rows, and the
// narrow query/execute access that higher layers get to their own tables.
#include <sqlite3.h>

#include <fmt/format.h>

#include "trace/store.h"
#include "trace/store_internal.h"

namespace trace {
namespace {

Json parse_object(std::string_view text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? Json::object() : j;
}

void bind_all(Statement& st, const std::vector<SqlValue>& params) {
  for (size_t i = 0; i < params.size(); ++i) {
    int at = static_cast<int>(i) + 1;
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::nullptr_t>) st.bind_null(at);
          else st.bind(at, v);
        },
        params[i]);
  }
}

}  // namespace

namespace internal {

const char* const kSpanColumns =
    "span_id, trace_id, parent_span_id, session_id, kind, name, start_ns, end_ns, status, attributes, "
    "input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, cost_usd";
const char* const kEventColumns = "id, span_id, seq, time_ns, type, payload";

void check(sqlite3* db, int rc, const char* what) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return;
  // The file first, as Store's own errors say it: "disk I/O error" alone does not tell which run broke.
  const char* file = sqlite3_db_filename(db, "main");
  throw StoreError(fmt::format("{}{}{}: {} (sqlite {})", file ? file : "", file && *file ? ": " : "", what,
                               sqlite3_errmsg(db), rc));
}

sqlite3* db(Store& store) { return store.db_; }
std::recursive_mutex& mutex(Store& store) { return store.mu_; }

std::string_view column_view(sqlite3_stmt* st, int col) {
  auto p = reinterpret_cast<const char*>(sqlite3_column_text(st, col));
  return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(st, col))) : std::string_view();
}

Span span_from_row(sqlite3_stmt* st) {
  Span s;
  s.span_id = std::string(column_view(st, 0));
  s.trace_id = std::string(column_view(st, 1));
  s.parent_span_id = std::string(column_view(st, 2));
  s.session_id = std::string(column_view(st, 3));
  s.kind = span_kind_from(column_view(st, 4)).value_or(SpanKind::session);
  s.name = std::string(column_view(st, 5));
  s.start_ns = sqlite3_column_int64(st, 6);
  s.end_ns = sqlite3_column_int64(st, 7);
  s.status = span_status_from(column_view(st, 8)).value_or(SpanStatus::unset);
  s.attributes = parse_object(column_view(st, 9));
  s.usage = {sqlite3_column_int64(st, 10), sqlite3_column_int64(st, 11), sqlite3_column_int64(st, 12),
             sqlite3_column_int64(st, 13), sqlite3_column_double(st, 14)};
  return s;
}

Event event_from_row(sqlite3_stmt* st, bool parse_payload) {
  Event e;
  e.id = sqlite3_column_int64(st, 0);
  e.span_id = std::string(column_view(st, 1));
  e.seq = sqlite3_column_int64(st, 2);
  e.time_ns = sqlite3_column_int64(st, 3);
  e.type = std::string(column_view(st, 4));
  if (parse_payload) e.payload = parse_object(column_view(st, 5));
  return e;
}

}  // namespace internal

void Store::query(const std::string& sql, const std::vector<SqlValue>& params,
                  const std::function<void(const Row&)>& fn) {
  std::lock_guard lock(mu_);
  commit_locked();
  Statement st(db_, sql);
  bind_all(st, params);
  Row row(st.raw());
  while (st.step()) fn(row);
}

void Store::execute(const std::string& sql, const std::vector<SqlValue>& params) {
  std::lock_guard lock(mu_);
  commit_locked();
  Statement st(db_, sql);
  bind_all(st, params);
  while (st.step()) {
  }
}

bool Store::has_table(const std::string& name) {
  bool found = false;
  query("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", {name}, [&](const Row&) { found = true; });
  return found;
}

int64_t Row::int64(int c) const { return sqlite3_column_int64(st_, c); }
double Row::real(int c) const { return sqlite3_column_double(st_, c); }
std::string Row::text(int c) const { return std::string(internal::column_view(st_, c)); }
bool Row::is_null(int c) const { return sqlite3_column_type(st_, c) == SQLITE_NULL; }
int Row::columns() const { return sqlite3_column_count(st_); }
int Row::column(const std::string& name) const {
  for (int i = 0, n = sqlite3_column_count(st_); i < n; ++i)
    if (name == sqlite3_column_name(st_, i)) return i;
  return -1;
}

Statement::Statement(sqlite3* db, const std::string& sql) : db_(db) {
  internal::check(db, sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr), sql.c_str());
}
Statement::~Statement() { sqlite3_finalize(stmt_); }
Statement& Statement::bind(int i, const std::string& v) {
  sqlite3_bind_text(stmt_, i, v.data(), (int)v.size(), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind(int i, int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}
Statement& Statement::bind(int i, double v) {
  sqlite3_bind_double(stmt_, i, v);
  return *this;
}
Statement& Statement::bind_null(int i) {
  sqlite3_bind_null(stmt_, i);
  return *this;
}
bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  internal::check(db_, rc, "step");
  return false;
}
void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}
int64_t Statement::int64(int c) { return sqlite3_column_int64(stmt_, c); }
double Statement::real(int c) { return sqlite3_column_double(stmt_, c); }
std::string Statement::text(int c) { return std::string(internal::column_view(stmt_, c)); }
bool Statement::is_null(int c) { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }

}  // namespace trace

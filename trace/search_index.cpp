#include "trace/search_index.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <chrono>
#include <functional>
#include <memory>

#include "trace/json_view.h"
#include "trace/store_internal.h"

namespace trace {
namespace {

// Events read per transaction: a run writing the store meanwhile waits for one chunk (tens of ms), not the
// build.
constexpr int64_t kChunkRows = 20'000;

// `kind` holds the document's kinds as words (`tool error`) so that --kind is an FTS column filter the index
// answers; bm25 weighs only `body` (the rank is set once per table).
std::string ddl(const std::string& schema) {
  return fmt::format(R"sql(
CREATE VIRTUAL TABLE IF NOT EXISTS {0}.search_fts USING fts5(kind, body, tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO {0}.search_fts(search_fts, rank) VALUES('rank', 'bm25(0.0, 1.0)');
CREATE TABLE IF NOT EXISTS {0}.search_state(key TEXT PRIMARY KEY, value TEXT NOT NULL);
)sql",
                     schema);
}

void exec_all(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string msg = err ? err : "";
  sqlite3_free(err);
  if (rc != SQLITE_OK)
    throw StoreError(fmt::format("{}: search index: {}", sqlite3_db_filename(db, "main"),
                                 msg.empty() ? sqlite3_errstr(rc) : msg));
}

bool exists(sqlite3* db, const std::string& schema) {
  Statement st(db, fmt::format("SELECT 1 FROM {}.sqlite_master WHERE name = 'search_fts'", schema));
  return st.step();
}

// Valid UTF-8, at most `max` bytes (cut on a character boundary): invalid bytes become U+FFFD.
void append_clean(std::string& out, std::string_view text, size_t max = kMaxIndexedFieldBytes) {
  if (text.empty()) return;
  if (!out.empty()) out += '\n';
  size_t start = out.size();
  for (size_t i = 0; i < text.size() && out.size() - start < max;) {
    auto c = static_cast<unsigned char>(text[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = n > 0 && i + n <= text.size() && !(n == 2 && c < 0xC2);
    for (size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    if (ok && out.size() - start + n > max) break;
    if (ok) {
      out.append(text.data() + i, n);
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
}

// A JSON value as text: a string's value, anything else as its JSON text.
void append_value(std::string& out, JsonView v) {
  if (!v) return;
  append_clean(out, v.is_string() ? v.str(kMaxIndexedFieldBytes + 4) : v.raw());
}

// Every string in a value (for error-like events whose payload has no one known field).
void append_strings(std::string& out, JsonView v, int depth = 0) {
  if (v.is_string()) return append_value(out, v);
  if (depth > 8 || !(v.is_object() || v.is_array())) return;
  for (auto it = v.begin(), e = v.end(); it != e; ++it) append_strings(out, *it, depth + 1);
}

class Indexer {
 public:
  Indexer(Store& store, std::string schema)
      : store_(store), db_(internal::db(store)), schema_(std::move(schema)) {}

  int64_t state(const char* key) {
    Statement st(db_, fmt::format("SELECT value FROM {}.search_state WHERE key = ?", schema_));
    st.bind(1, std::string(key));
    return st.step() ? std::stoll(st.text(0)) : 0;
  }
  std::string state_text(const char* key) {
    Statement st(db_, fmt::format("SELECT value FROM {}.search_state WHERE key = ?", schema_));
    st.bind(1, std::string(key));
    return st.step() ? st.text(0) : "";
  }
  void set_state(const char* key, const std::string& value) {
    Statement st(db_,
                 fmt::format("INSERT OR REPLACE INTO {}.search_state(key, value) VALUES(?, ?)", schema_));
    st.bind(1, std::string(key)).bind(2, value);
    st.step();
  }

  void add(int64_t rowid, std::string_view kind, const std::string& body) {
    if (!insert_)
      insert_ = std::make_unique<Statement>(
          db_, fmt::format("INSERT INTO {}.search_fts(rowid, kind, body) VALUES(?, ?, ?)", schema_));
    insert_->reset();
    insert_->bind(1, rowid).bind(2, std::string(kind)).bind(3, body);
    insert_->step();
  }

  // What identifies the event at the high-water mark: when it changed, the events were re-derived under us.
  std::string probe(int64_t id) {
    Statement st(db_, "SELECT span_id, time_ns, type FROM events WHERE id = ?");
    st.bind(1, id);
    return st.step() ? fmt::format("{}:{}:{}", st.text(0), st.int64(1), st.text(2)) : "";
  }

  // One chunk of events after the mark; false when there were none.
  bool events_chunk(IndexUpdate& u) {
    int64_t hwm = state("events_hwm");
    Statement st(db_, fmt::format("SELECT e.id, e.type, e.payload, s.attributes FROM events e LEFT JOIN "
                                  "spans s ON e.type LIKE 'tool.call.%' "
                                  "AND s.span_id = e.span_id WHERE e.id > ?1 ORDER BY e.id LIMIT {}",
                                  kChunkRows));
    st.bind(1, hwm);
    int64_t last = hwm;
    JsonDoc payload, attrs;
    std::string body;
    while (st.step()) {
      last = st.int64(0);
      std::string_view type = internal::column_view(st.raw(), 1);
      std::string_view kinds = search_kinds_of_event(type);
      if (kinds.empty()) continue;
      body.clear();
      bool parsed = payload.parse(internal::column_view(st.raw(), 2));
      JsonView p = parsed ? payload.root() : JsonView();
      JsonView a =
          !st.is_null(3) && attrs.parse(internal::column_view(st.raw(), 3)) ? attrs.root() : JsonView();
      if (!parsed) {
        append_clean(body, internal::column_view(st.raw(), 2));  // not JSON: its text as it is
      } else if (type.starts_with("tool.call.")) {
        append_value(body, p["tool"]);
        // The span keeps the longer copy (an event may hold only a preview).
        auto field = [&](const char* attr, const char* key) {
          append_value(body, a[attr] ? a[attr] : p[key]);
        };
        if (type == "tool.call.started")
          field("gen_ai.tool.call.arguments", "input");
        else if (type == "tool.call.failed")
          field("error.message", "error"), append_value(body, p["output"]);
        else
          field("gen_ai.tool.call.result", "output");
      } else if (type == "message" || type == "reasoning") {
        append_value(body, p["text"]);
      } else if (type == "error") {
        append_value(body, p["message"]);
        append_value(body, p["kind"]);
      } else {
        append_strings(body, p);
      }
      if (body.empty()) continue;
      add(last, kinds, body);
      ++u.events;
    }
    if (last == hwm) return false;
    set_state("events_hwm", std::to_string(last));
    set_state("events_probe", probe(last));
    return true;
  }

  // One chunk of llm spans with text after the mark (by rowid: an upsert keeps a span's rowid). A span is
  // indexed with the text it has when the update reaches it.
  bool spans_chunk(IndexUpdate& u) {
    int64_t hwm = state("spans_hwm");
    Statement st(db_, fmt::format("SELECT rowid, attributes FROM spans WHERE rowid > ?1 AND kind = 'llm' "
                                  "ORDER BY rowid LIMIT {}",
                                  kChunkRows));
    st.bind(1, hwm);
    int64_t last = hwm;
    JsonDoc attrs;
    std::string body;
    while (st.step()) {
      last = st.int64(0);
      body.clear();
      if (attrs.parse(internal::column_view(st.raw(), 1))) {
        append_value(body, attrs.root()["gen_ai.output.text"]);
        append_value(body, attrs.root()["error.message"]);
      }
      if (body.empty()) continue;
      add(kSpanDocBase + last, "llm", body);
      ++u.spans;
    }
    if (last == hwm) return false;
    set_state("spans_hwm", std::to_string(last));
    return true;
  }

  // The observer rewrites its table on every save: re-indexed whole when its content changed (a few hundred
  // rows).
  void observations(IndexUpdate& u) {
    if (!store_.has_table("observations")) return;
    std::vector<std::pair<int64_t, std::string>> docs;
    std::string all;
    Statement st(db_, "SELECT ord, id, kind, text FROM observations ORDER BY ord");
    while (st.step()) {
      std::string body;
      append_clean(body, st.text(3));
      docs.emplace_back(st.int64(0), std::move(body));
      all += fmt::format("{}\x1f{}\x1f{}\x1e", st.text(1), st.text(2), docs.back().second);
    }
    std::string signature = fmt::format("{}:{:x}", docs.size(), std::hash<std::string>()(all));
    if (signature == state_text("observations_sig")) return;
    Statement del(db_, fmt::format("DELETE FROM {}.search_fts WHERE rowid >= ?", schema_));
    del.bind(1, kObservationDocBase);
    del.step();
    for (const auto& [ord, body] : docs) add(kObservationDocBase + ord, "observation", body);
    u.observations = static_cast<int64_t>(docs.size());
    set_state("observations_sig", signature);
  }

 private:
  Store& store_;
  sqlite3* db_;
  std::string schema_;
  std::unique_ptr<Statement> insert_;
};

void drop_in(Store& store, const std::string& schema) {
  exec_all(internal::db(store),
           fmt::format("DROP TABLE IF EXISTS {0}.search_fts; DROP TABLE IF EXISTS {0}.search_state", schema));
}

}  // namespace

std::string_view search_kinds_of_event(std::string_view type) {
  if (type == "tool.call.failed") return "tool error";
  if (type.starts_with("tool.call.")) return "tool";
  if (type == "message" || type == "reasoning") return "message";
  if (type == "error" || type.ends_with(".error") || type.ends_with(".failed")) return "error";
  return "";
}

std::string search_schema(Store& store) {
  std::lock_guard lock(internal::mutex(store));
  sqlite3* db = internal::db(store);
  if (exists(db, "temp")) return "temp";
  return exists(db, "main") ? "main" : "";
}

void drop_search_index(Store& store) {
  store.flush();
  std::lock_guard lock(internal::mutex(store));
  if (sqlite3_db_readonly(internal::db(store), "main") == 1) return;
  store.transaction([&] {
    drop_in(store, "main");
    store.execute("DELETE FROM meta WHERE key = 'schema.search'");
  });
}

IndexUpdate update_search_index(Store& store) {
  auto t0 = std::chrono::steady_clock::now();
  store.flush();
  std::lock_guard lock(internal::mutex(store));
  sqlite3* db = internal::db(store);
  IndexUpdate u;
  u.temporary = sqlite3_db_readonly(db, "main") == 1;
  std::string schema = u.temporary ? "temp" : "main";
  // Each step is one transaction: IMMEDIATE on run.db (joined when the caller is inside one); a plain one for
  // the temporary index, which a read-only connection may still write.
  auto step = [&](const std::function<void()>& fn) {
    if (!u.temporary) return store.transaction(fn);
    exec_all(db, "BEGIN");
    try {
      fn();
    } catch (...) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
    exec_all(db, "COMMIT");
  };
  if (u.temporary) {
    if (!exists(db, "temp")) step([&] { exec_all(db, ddl("temp")); });
  } else {
    store.ensure_schema("search", kSearchSchemaVersion, ddl("main"));
  }
  Indexer indexer(store, schema);
  // Events re-derived under new ids (a rebuild by a harness that did not drop the index): start again.
  step([&] {
    int64_t hwm = indexer.state("events_hwm");
    if (hwm > 0 && indexer.probe(hwm) != indexer.state_text("events_probe")) {
      drop_in(store, schema);
      exec_all(internal::db(store), ddl(schema));
      u.rebuilt = true;
    }
  });
  bool more = true;
  while (more) step([&] { more = indexer.events_chunk(u); });
  more = true;
  while (more) step([&] { more = indexer.spans_chunk(u); });
  step([&] { indexer.observations(u); });
  u.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return u;
}

}  // namespace trace

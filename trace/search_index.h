// The full-text index behind `harness trace search`: an FTS5 table in run.db (`search_fts`, versioned as
// component `search` through Store::ensure_schema) holding one document per searchable thing: tool call
// inputs, outputs and errors, messages, error events, llm spans' text and the observer's observations. Built
// on the first search and kept: each later update indexes only what was added since (high-water marks in
// `search_state`), in chunks of their own transaction so that a run writing the store meanwhile waits
// milliseconds, never seconds. A store that cannot be written is searched through a temporary index (TEMP
// schema, gone when the store closes). Every text field is clipped to kMaxIndexedFieldBytes on a UTF-8
// boundary and invalid UTF-8 becomes U+FFFD. `trace rebuild` drops the index (drop_search_index), since it
// re-derives every event under new ids. Functions over a Store; they take its lock, so they are as
// thread-safe as the store.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "trace/store.h"

namespace trace {

constexpr int kSearchSchemaVersion = 1;
constexpr size_t kMaxIndexedFieldBytes = 64 * 1024;

// The rowid of a document says where it came from: an event's id; kSpanDocBase + an llm span's rowid;
// kObservationDocBase + an observation's position (ord) in the observer's table.
constexpr int64_t kSpanDocBase = int64_t{1} << 40;
constexpr int64_t kObservationDocBase = int64_t{1} << 41;

struct IndexUpdate {
  int64_t events = 0;        // event documents added by this update
  int64_t spans = 0;         // llm span documents added
  int64_t observations = 0;  // observation documents (re)written
  bool rebuilt = false;      // the index was found stale (events re-derived by an older harness) and rebuilt
  bool temporary = false;    // run.db is read-only: the index lives in memory for this store only
  double seconds = 0;
  bool empty() const { return !events && !spans && !observations; }
};

// Creates the index on first use and adds what was written since the last update. Throws StoreError.
IndexUpdate update_search_index(Store& store);
// Drops the index (the next search rebuilds it); a no-op when there is none or the store is read-only.
void drop_search_index(Store& store);
// "main" or "temp": where update_search_index put this store's index ("" before it was called).
std::string search_schema(Store& store);

// The searchable kinds of an event type ("tool", "tool error", "message", "error"), or "" for types not
// indexed. A failed tool call is both a tool and an error document.
std::string_view search_kinds_of_event(std::string_view type);

}  // namespace trace

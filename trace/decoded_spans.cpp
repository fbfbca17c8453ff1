#include "trace/decoded_spans.h"

#include <mutex>

#include "trace/store_internal.h"

namespace trace {

DecodedSession first_decoded_session(Store& store, int64_t raw_id) {
  std::lock_guard lock(internal::mutex(store));
  store.flush();
  Statement st(internal::db(store),
               "SELECT span_id, coalesce(json_extract(attributes, '$.\"session.id\"'), '') FROM spans "
               "WHERE raw_id = ? AND kind = 'session' ORDER BY start_ns LIMIT 1");
  st.bind(1, raw_id);
  if (!st.step()) return {};
  return {st.text(0), st.text(1)};
}

std::string decoded_tool_span(Store& store, int64_t raw_id, const std::string& attribute, const std::string& value) {
  std::lock_guard lock(internal::mutex(store));
  store.flush();
  Statement st(internal::db(store),
               "SELECT span_id FROM spans WHERE raw_id = ? AND kind = 'tool' AND "
               "json_extract(attributes, '$.\"' || ? || '\"') = ? LIMIT 1");
  st.bind(1, raw_id).bind(2, attribute).bind(3, value);
  return st.step() ? st.text(0) : std::string();
}

std::string raw_input_label(Store& store, int64_t raw_id) {
  std::lock_guard lock(internal::mutex(store));
  Statement st(internal::db(store), "SELECT label FROM raw_inputs WHERE id = ?");
  st.bind(1, raw_id);
  return st.step() ? st.text(0) : std::string();
}

}  // namespace trace

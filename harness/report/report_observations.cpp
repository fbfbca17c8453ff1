// Reads the observer's observations for the report. The observer's table is not final: this file is the one place
// that knows its layout, and it maps columns by name so that an added column or a renamed alias does not break it.
#include <sqlite3.h>

#include <map>

#include <nlohmann/json.hpp>

#include "harness/report/report_data.h"

namespace harness {
namespace {

bool table_exists(trace::Store& store, const std::string& name) {
  trace::Statement st(store.db(), "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?");
  st.bind(1, name);
  return st.step();
}

// Evidence is stored as JSON: ["g02-a03#e41", ...] or [{"agent": "g02-a03", "event": 41, "span": "..."}, ...].
std::vector<std::string> parse_evidence(const std::string& text) {
  std::vector<std::string> out;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    if (!text.empty()) out.push_back(text);
    return out;
  }
  if (!j.is_array()) j = nlohmann::json::array({j});
  for (const auto& e : j) {
    if (e.is_string()) {
      out.push_back(e.get<std::string>());
    } else if (e.is_object()) {
      std::string ref = e.value("agent", "");
      if (e.contains("event") && e["event"].is_number_integer())
        ref += "#e" + std::to_string(e["event"].get<int64_t>());
      else if (e.contains("span") && e["span"].is_string())
        ref += "/" + e["span"].get<std::string>();
      if (!ref.empty()) out.push_back(ref);
    }
  }
  return out;
}

}  // namespace

std::optional<std::vector<ReportObservation>> load_observations(trace::Store& store) {
  std::lock_guard lock(store.mutex());
  store.flush();
  if (!table_exists(store, "observations")) return std::nullopt;
  trace::Statement st(store.db(), "SELECT * FROM observations");
  std::map<std::string, int> col;
  for (int i = 0; i < sqlite3_column_count(st.raw()); ++i) col[sqlite3_column_name(st.raw(), i)] = i;
  auto find = [&](std::initializer_list<const char*> names) {
    for (const char* n : names)
      if (auto it = col.find(n); it != col.end()) return it->second;
    return -1;
  };
  const int id = find({"id", "observation_id"}), priority = find({"priority"}), kind = find({"kind", "type"});
  const int text = find({"text", "summary", "message"}), count = find({"count", "occurrences"});
  const int first = find({"first_gen", "first_generation"}), last = find({"last_gen", "last_generation"});
  const int evidence = find({"evidence", "evidence_json"});
  auto text_at = [&](int c) { return c < 0 || st.is_null(c) ? std::string() : st.text(c); };
  auto int_at = [&](int c, int64_t fallback) { return c < 0 || st.is_null(c) ? fallback : st.int64(c); };
  std::vector<ReportObservation> out;
  while (st.step()) {
    ReportObservation o;
    o.id = text_at(id);
    o.priority = text_at(priority);
    o.kind = text_at(kind);
    o.text = text_at(text);
    o.count = static_cast<int>(int_at(count, 1));
    o.first_gen = static_cast<int>(int_at(first, 0));
    o.last_gen = static_cast<int>(int_at(last, o.first_gen));
    o.evidence = parse_evidence(text_at(evidence));
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace harness

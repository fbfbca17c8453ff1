// Reads the observer's observations for the report. The observer's table is not final: this file is the one place
// that knows its layout, and it maps columns by name so that an added column or a renamed alias does not break it.
#include <map>

#include <nlohmann/json.hpp>

#include "harness/report/report_data.h"

namespace harness {
namespace {

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
  if (!store.has_table("observations")) return std::nullopt;
  std::vector<ReportObservation> out;
  store.query("SELECT * FROM observations", {}, [&](const trace::Row& row) {
    auto find = [&](std::initializer_list<const char*> names) {
      for (const char* n : names)
        if (int c = row.column(n); c >= 0) return c;
      return -1;
    };
    auto text_at = [&](std::initializer_list<const char*> names) {
      int c = find(names);
      return c < 0 || row.is_null(c) ? std::string() : row.text(c);
    };
    auto int_at = [&](std::initializer_list<const char*> names, int64_t fallback) {
      int c = find(names);
      return c < 0 || row.is_null(c) ? fallback : row.int64(c);
    };
    ReportObservation o;
    o.id = text_at({"id", "observation_id"});
    o.priority = text_at({"priority"});
    o.kind = text_at({"kind", "type"});
    o.text = text_at({"text", "summary", "message"});
    o.count = static_cast<int>(int_at({"count", "occurrences"}, 1));
    o.first_gen = static_cast<int>(int_at({"first_gen", "first_generation"}, 0));
    o.last_gen = static_cast<int>(int_at({"last_gen", "last_generation"}, o.first_gen));
    o.evidence = parse_evidence(text_at({"evidence", "evidence_json"}));
    o.fingerprint = text_at({"fingerprint"});
    out.push_back(std::move(o));
  });
  // The observer keeps evidence in a table of its own (observation_evidence, one row per reference); the labels
  // are its Evidence::label() (observer/observation.cpp): agent#e<event>, agent#s<span>, or the agent alone.
  if (store.has_table("observation_evidence")) {
    std::map<std::string, std::vector<std::string>> labels;
    store.query("SELECT observation_id, agent, span_id, event_id FROM observation_evidence ORDER BY observation_id, ord",
                {}, [&](const trace::Row& row) {
                  std::string agent = row.text(1), span = row.text(2);
                  int64_t event = row.int64(3);
                  labels[row.text(0)].push_back(event > 0       ? agent + "#e" + std::to_string(event)
                                                : !span.empty() ? agent + "#s" + span
                                                                : agent);
                });
    for (ReportObservation& o : out)
      if (o.evidence.empty())
        if (auto it = labels.find(o.id); it != labels.end()) o.evidence = std::move(it->second);
  }
  return out;
}

}  // namespace harness

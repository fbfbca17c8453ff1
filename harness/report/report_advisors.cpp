// fill_advisors: what the run's meta-agent and LLM observer did, for the convergence path (which strategies a
// generation got and why, or why the policy's were used) and the totals (their model calls count in the budget).
// Read from the advisors' spans (kind observer, "advisor.<role>") and the events the planner and observer record:
// meta.proposed / meta.failed / meta.retried on the run span, observer.llm.failed on an observer span.
#include <fmt/format.h>

#include "harness/report/report_data.h"
#include "trace/json_parse.h"
#include "trace/usage_totals.h"

namespace harness {
namespace {

using Json = nlohmann::json;

ReportGeneration* generation(ReportData& d, int number) {
  for (auto& g : d.generations)
    if (g.number == number) return &g;
  return nullptr;
}

std::string who(const Json& p) {
  std::string preset = p.value("preset", "");
  return preset.empty() ? std::string("meta.command") : "meta-agent " + preset;
}

std::vector<std::string> proposal_lines(const Json& payload) {
  std::vector<std::string> lines;
  if (!payload.contains("strategies") || !payload["strategies"].is_array()) return lines;
  for (const auto& s : payload["strategies"]) {
    if (!s.is_object()) continue;
    std::string line = fmt::format("slot {}: {}", s.value("slot", 0), s.value("name", ""));
    std::string based_on = s.value("based_on", "");
    if (s.value("new", false)) line += based_on.empty() ? " (new)" : fmt::format(" (new, from {})", based_on);
    std::string why = s.value("why", "");
    if (!why.empty()) line += ": " + why;
    std::vector<std::string> ids;
    if (s.contains("observations") && s["observations"].is_array())
      for (const auto& id : s["observations"])
        if (id.is_string()) ids.push_back(id);
    if (!ids.empty()) line += fmt::format(" [{}]", fmt::join(ids, ", "));
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace

void fill_advisors(ReportData& d, trace::Store& store) {
  std::vector<std::string> spans;
  store.query("SELECT span_id, status FROM spans WHERE kind='observer' AND name LIKE 'advisor.%'", {},
              [&](const trace::Row& row) {
                spans.push_back(row.text(0));
                d.advisors.failed += row.text(1) == "error";
              });
  d.advisors.questions = static_cast<int>(spans.size());
  for (const auto& id : spans) {
    trace::SubtreeTotals t = trace::subtree_totals(store, id);
    d.advisors.llm_calls += t.llm_calls;
    d.advisors.input_tokens += t.usage.input_tokens;
    d.advisors.output_tokens += t.usage.output_tokens;
    d.advisors.cost_usd += t.usage.cost_usd;
  }
  store.query("SELECT type, payload FROM events WHERE type IN ('meta.proposed', 'meta.failed') ORDER BY id",
              {}, [&](const trace::Row& row) {
                Json p = trace::parse_untrusted_json(row.text(1));
                if (!p.is_object()) return;
                std::string type = row.text(0);
                ReportGeneration* g = generation(d, p.value("generation", 0));
                if (!g) return;
                if (type == "meta.proposed") {
                  g->design_lines = proposal_lines(p);
                  for (auto& line : g->design_lines) line = who(p) + " chose " + line;
                } else {
                  g->design_lines = {fmt::format("{} fell back to the {} policy after {} answer(s): {}", who(p),
                                                 p.value("policy", "allocation"), p.value("attempts", 0),
                                                 p.value("error", ""))};
                }
              });
  // The LLM observer's failures, by the generation of the observer span they were recorded on.
  store.query("SELECT json_extract(s.attributes, '$.\"harness.generation\"'), e.payload FROM events e "
              "JOIN spans s ON s.span_id = e.span_id WHERE e.type = 'observer.llm.failed' ORDER BY e.id",
              {}, [&](const trace::Row& row) {
                Json p = trace::parse_untrusted_json(row.text(1));
                ReportGeneration* g = row.is_null(0) ? nullptr : generation(d, static_cast<int>(row.int64(0)));
                if (!g || !p.is_object()) return;
                g->advisor_notes.push_back(fmt::format("the LLM observer fell back to the rules after {} answer(s): {}",
                                                       p.value("attempts", 0), p.value("error", "")));
              });
}

}  // namespace harness

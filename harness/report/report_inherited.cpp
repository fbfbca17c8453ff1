// fill_inherited: what a run started `--from` inherited (event run.inherited on the run span) and what its own
// generations added (observations first seen in generation 1 or later; inherited ones are generation 0).
#include "harness/report/report_data.h"
#include "trace/json_parse.h"

#include <fmt/format.h>

namespace harness {

void fill_inherited(ReportData& d, trace::Store& store) {
  for (const auto& o : d.observations) d.observations_added += o.first_gen > 0;
  store.query("SELECT payload FROM events WHERE type='run.inherited' ORDER BY id DESC LIMIT 1", {},
              [&](const trace::Row& row) {
                auto p = trace::parse_untrusted_json(row.text(0));
                if (!p.is_object() || !p.contains("runs") || !p["runs"].is_array()) return;
                for (const auto& r : p["runs"]) {
                  if (!r.is_object()) continue;
                  d.inherited.push_back({r.value("run_id", ""), r.value("dir", ""), r.value("observations", 0),
                                         r.value("other_target", false), r.value("target_note", "")});
                }
              });
}

std::string inherited_line(const ReportData& d) {
  if (d.inherited.empty()) return "";
  std::string line;
  for (size_t i = 0; i < d.inherited.size(); ++i) {
    const auto& r = d.inherited[i];
    line += fmt::format("{}{} observations inherited from run {} ({})", i ? "; " : "", r.observations, r.run_id, r.dir);
    if (r.other_target) line += fmt::format(", another target accepted with --force: {}", r.target_note);
  }
  return line + fmt::format("; this run added {}.", d.observations_added);
}

}  // namespace harness

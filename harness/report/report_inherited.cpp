// fill_inherited: what a run started `--from` inherited (event run.inherited on the run span), what its own
// generations added (observations first seen in generation 1 or later; inherited ones are generation 0), and the
// figures of the runs it started from beside its own, each opened read-only from the dir the event recorded.
#include "harness/report/report_data.h"
#include "trace/json_parse.h"

#include <algorithm>
#include <cstdint>

#include <fmt/format.h>

namespace harness {
namespace {

constexpr size_t kSharedFailuresShown = 10;

void fill_compared(ReportData& d, trace::Store& store) {
  FailureTally failures;
  for (const auto& r : d.inherited) {
    std::vector<ReportObservation> seen;
    RunFigures f = load_run_figures(r.dir, seen);
    if (f.error.empty() && f.run_id != r.run_id) {
      // A dir whose run was replaced since: comparing with it would compare this run with a stranger.
      std::string error = fmt::format("{} now holds run {}, not {}", r.dir, f.run_id, r.run_id);
      f = RunFigures();
      f.dir = r.dir;
      f.error = std::move(error);
      seen.clear();
    }
    f.run_id = r.run_id;
    failures.add(r.run_id, seen);
    d.compared.push_back(std::move(f));
  }
  d.compared.push_back(run_figures(d, recorded_target(store)));
  failures.add(d.run.id, d.observations);
  for (auto& f : failures.shared(SIZE_MAX))
    if (std::find(f.runs.begin(), f.runs.end(), d.run.id) != f.runs.end() &&
        d.shared_failures.size() < kSharedFailuresShown)
      d.shared_failures.push_back(std::move(f));
}

}  // namespace

void fill_inherited(ReportData& d, trace::Store& store, EarlierRuns earlier) {
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
  if (earlier == EarlierRuns::compared && !d.inherited.empty()) fill_compared(d, store);
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

// run_figures / load_run_figures / FailureTally: see run_figures.h. The agent runs to the first fix count attempts
// in launch order, as bench/observer_ab does.
#include "harness/report/run_figures.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "harness/report/report_data.h"
#include "harness/report/report_text.h"

namespace fs = std::filesystem;

namespace harness {

std::optional<int64_t> RunFigures::tokens_per_fix() const {
  return validated_fixes ? std::optional<int64_t>(tokens / validated_fixes) : std::nullopt;
}

std::optional<double> RunFigures::cost_usd_per_fix() const {
  return validated_fixes ? std::optional<double>(cost_usd / validated_fixes) : std::nullopt;
}

void FailureTally::add(const std::string& run_id, const std::vector<ReportObservation>& observations) {
  for (const auto& o : observations) {
    // Without a fingerprint nothing says it is the same finding as another run's.
    if (o.priority != "important" || o.last_gen <= 0 || o.fingerprint.empty()) continue;
    Seen& s = by_fingerprint_[o.fingerprint];
    if (s.text.empty()) s.text = o.text;
    s.runs.insert(run_id);
    s.count += o.count;
  }
}

std::vector<SharedFailure> FailureTally::shared(size_t limit) const {
  std::vector<SharedFailure> out;
  for (const auto& [fingerprint, s] : by_fingerprint_)
    if (s.runs.size() >= 2)
      out.push_back({fingerprint, s.text, std::vector<std::string>(s.runs.begin(), s.runs.end()), s.count});
  std::stable_sort(out.begin(), out.end(), [](const SharedFailure& a, const SharedFailure& b) {
    return a.runs.size() != b.runs.size() ? a.runs.size() > b.runs.size() : a.count > b.count;
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

RunFigures run_figures(const ReportData& d, std::optional<TargetIdentity> target) {
  RunFigures f;
  f.dir = d.run_dir;
  f.run_id = d.run.id;
  f.status = std::string(to_string(d.run.status));
  f.config_hash = d.run.config_hash;
  f.seed = d.run.seed;
  f.target = std::move(target);
  f.generations = static_cast<int>(d.generations.size());
  f.agents = d.totals.agents;
  f.attempts = d.totals.attempts;
  f.validated_fixes = d.totals.validated_fixes;
  f.tokens = d.totals.tokens() + d.advisors.tokens();
  f.cost_usd = d.totals.cost_usd + d.advisors.cost_usd;
  for (const auto& r : d.inherited) f.from.push_back(r.run_id);
  // Agent runs in launch order up to and including the first whose fix passed every repeat.
  std::vector<const AgentRecord*> launched;
  for (const auto& a : d.attempts)
    if (a.started_ns > 0 && a.outcome != AgentOutcome::launch_failed) launched.push_back(&a);
  std::stable_sort(launched.begin(), launched.end(),
                   [](const AgentRecord* x, const AgentRecord* y) { return x->started_ns < y->started_ns; });
  for (size_t i = 0; i < launched.size(); ++i)
    if (is_validated_fix(*launched[i])) {
      f.first_fix_generation = launched[i]->generation;
      f.agent_runs_to_first_fix = static_cast<int>(i + 1);
      break;
    }
  return f;
}

RunFigures load_run_figures(const std::string& dir, std::vector<ReportObservation>& observations) {
  RunFigures f;
  f.dir = dir;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    f.error = fmt::format("{} is gone", dir);
  } else if (!fs::exists(fs::path(dir) / "run.db", ec)) {
    f.error = fmt::format("{}: no run.db there any more", dir);
  } else {
    try {
      auto store = trace::Store::open((fs::path(dir) / "run.db").string(), trace::Store::Mode::read_only);
      ReportData d = load_report_data(dir, *store, std::nullopt, EarlierRuns::named);
      f = run_figures(d, recorded_target(*store));
      observations = std::move(d.observations);
    } catch (const std::exception& e) {
      // Figures are a comparison beside the run they are shown with: one unreadable run is said, not fatal.
      f.error = e.what();
    }
  }
  return f;
}

std::string short_target(const std::optional<TargetIdentity>& target) {
  if (!target) return "?";
  return fs::path(target->repo).filename().string() + "@" + target->base_commit.substr(0, 7);
}

std::span<const FigureColumn> figure_columns() {
  static constexpr FigureColumn kColumns[] = {
      {"run", false},       {"status", false},     {"target", false},  {"gens", true},
      {"agents", true},     {"fixes", true},       {"first fix", true}, {"agent runs", true},
      {"tokens", true},     {"cost", true},        {"per fix", true},   {"started from", false}};
  return kColumns;
}

std::vector<std::string> figure_cells(const RunFigures& f) {
  auto or_dash = [](const auto& v) { return v ? fmt::format("{}", *v) : std::string("–"); };
  auto per_fix = f.cost_usd_per_fix();
  std::string from;
  for (const auto& id : f.from) from += (from.empty() ? "" : ", ") + id;
  return {f.run_id,
          f.status,
          short_target(f.target),
          std::to_string(f.generations),
          std::to_string(f.agents),
          std::to_string(f.validated_fixes),
          or_dash(f.first_fix_generation),
          or_dash(f.agent_runs_to_first_fix),
          report_text::tokens(f.tokens),
          report_text::cost(f.cost_usd),
          per_fix ? report_text::cost(*per_fix) : "–",
          from.empty() ? "–" : from};
}

}  // namespace harness

// build_runs / format_runs: see runs_view.h. Each run's figures come from harness/report/run_figures.h (read from
// load_report_data, the same numbers its summary.json holds), which report.html's comparison uses too.
#include "harness/runs_view.h"

#include <algorithm>
#include <filesystem>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harness/exit_codes.h"
#include "harness/report/report_data.h"
#include "harness/report/run_figures.h"
#include "harness/report/report_text.h"

namespace fs = std::filesystem;
namespace rt = harness::report_text;

namespace harness {
namespace {

using Json = nlohmann::json;

template <typename T>
Json or_null(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}

Json row_of(const RunFigures& f) {
  if (!f.error.empty()) return {{"dir", f.dir}, {"error", f.error}};
  return {{"dir", f.dir},
          {"run_id", f.run_id},
          {"status", f.status},
          {"config_hash", f.config_hash},
          {"seed", f.seed},
          {"generations", f.generations},
          {"agents", f.agents},
          {"attempts", f.attempts},
          {"validated_fixes", f.validated_fixes},
          {"tokens", f.tokens},
          {"cost_usd", f.cost_usd},
          {"target", f.target ? Json{{"repo", f.target->repo}, {"base_commit", f.target->base_commit}}
                              : Json(nullptr)},
          {"first_fix_generation", or_null(f.first_fix_generation)},
          {"agent_runs_to_first_fix", or_null(f.agent_runs_to_first_fix)},
          {"tokens_per_fix", or_null(f.tokens_per_fix())},
          {"cost_usd_per_fix", or_null(f.cost_usd_per_fix())},
          {"from", f.from}};
}

}  // namespace

Json build_runs(const std::string& folder) {
  std::vector<fs::path> dirs;
  std::error_code ec;
  if (fs::exists(fs::path(folder) / "run.db")) dirs.push_back(folder);
  for (auto it = fs::directory_iterator(folder, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    if (it->is_directory(ec) && fs::exists(it->path() / "run.db")) dirs.push_back(it->path());
  if (ec && dirs.empty()) throw UsageError(fmt::format("{}: cannot read the folder: {}", folder, ec.message()));
  if (dirs.empty()) throw UsageError(fmt::format("{}: no run here (expected run dirs holding run.db)", folder));
  std::sort(dirs.begin(), dirs.end());
  FailureTally failures;
  Json runs = Json::array();
  for (const auto& dir : dirs) {
    std::vector<ReportObservation> seen;
    RunFigures f = load_run_figures(dir.string(), seen);
    failures.add(f.run_id, seen);
    runs.push_back(row_of(f));
  }
  Json shared = Json::array();
  for (const auto& f : failures.shared(10))
    shared.push_back({{"text", f.text}, {"runs", f.runs}, {"count", f.count}});
  return {{"runs", runs}, {"shared_failures", shared}};
}

std::string format_runs(const Json& j) {
  std::string out = fmt::format("{:<28} {:<10} {:<16} {:>4} {:>6} {:>5} {:>9} {:>10} {:>8} {:>9} {:>10}\n", "run",
                                "status", "target", "gens", "agents", "fixes", "first fix", "agent runs", "tokens",
                                "cost", "per fix");
  for (const auto& r : j["runs"]) {
    if (r.contains("error")) {
      out += fmt::format("{:<28} error: {}\n", fs::path(r.value("dir", "")).filename().string(), r.value("error", ""));
      continue;
    }
    std::optional<TargetIdentity> recorded;
    if (r["target"].is_object())
      recorded = TargetIdentity{r["target"].value("repo", ""), r["target"].value("base_commit", "")};
    std::string target = short_target(recorded);
    auto or_dash = [](const Json& v) { return v.is_null() ? std::string("–") : v.dump(); };
    out += fmt::format("{:<28} {:<10} {:<16} {:>4} {:>6} {:>5} {:>9} {:>10} {:>8} {:>9} {:>10}{}\n",
                       r.value("run_id", ""), r.value("status", ""), target.substr(0, 16),
                       r.value("generations", 0), r.value("agents", 0), r.value("validated_fixes", 0),
                       or_dash(r["first_fix_generation"]), or_dash(r["agent_runs_to_first_fix"]),
                       rt::tokens(r.value("tokens", int64_t{0})), rt::cost(r.value("cost_usd", 0.0)),
                       r["cost_usd_per_fix"].is_null() ? "–" : rt::cost(r["cost_usd_per_fix"].get<double>()),
                       r["from"].empty() ? "" : " (from " + r["from"].dump() + ")");
  }
  if (!j["shared_failures"].empty()) {
    out += "\nFailures seen by more than one run:\n";
    for (const auto& f : j["shared_failures"]) {
      std::vector<std::string> runs = f["runs"].get<std::vector<std::string>>();
      out += fmt::format("- {} runs ({}), seen {}×: {}\n", runs.size(), fmt::join(runs, ", "), f.value("count", 0),
                         f.value("text", ""));
    }
  }
  return out;
}

}  // namespace harness

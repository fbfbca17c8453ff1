// build_runs / format_runs: see runs_view.h. Each run's figures come from load_report_data, the same numbers its
// summary.json holds; the agent runs to the first fix count attempts in launch order, as bench/observer_ab does.
#include "harness/runs_view.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harness/exit_codes.h"
#include "harness/inherit_runs.h"
#include "harness/report/report_data.h"
#include "harness/report/report_text.h"

namespace fs = std::filesystem;
namespace rt = harness::report_text;

namespace harness {
namespace {

using Json = nlohmann::json;

struct Failure {
  std::string text;
  std::set<std::string> runs;
  int64_t count = 0;
};

Json one_run(const fs::path& dir, std::map<std::string, Failure>& failures) {
  auto store = trace::Store::open((dir / "run.db").string(), trace::Store::Mode::read_only);
  ReportData d = load_report_data(dir.string(), *store);
  Json row = {{"dir", dir.string()},
              {"run_id", d.run.id},
              {"status", std::string(to_string(d.run.status))},
              {"config_hash", d.run.config_hash},
              {"seed", d.run.seed},
              {"generations", d.generations.size()},
              {"agents", d.totals.agents},
              {"attempts", d.totals.attempts},
              {"validated_fixes", d.totals.validated_fixes},
              {"tokens", d.totals.tokens() + d.advisors.tokens()},
              {"cost_usd", d.totals.cost_usd + d.advisors.cost_usd}};
  auto target = recorded_target(*store);
  row["target"] = target ? Json{{"repo", target->repo}, {"base_commit", target->base_commit}} : Json(nullptr);
  // Agent runs in launch order up to and including the first whose fix passed every repeat.
  std::vector<const AgentRecord*> launched;
  for (const auto& a : d.attempts)
    if (a.started_ns > 0 && a.outcome != AgentOutcome::launch_failed) launched.push_back(&a);
  std::stable_sort(launched.begin(), launched.end(),
                   [](const AgentRecord* x, const AgentRecord* y) { return x->started_ns < y->started_ns; });
  row["first_fix_generation"] = nullptr;
  row["agent_runs_to_first_fix"] = nullptr;
  for (size_t i = 0; i < launched.size(); ++i)
    if (is_validated_fix(*launched[i])) {
      row["first_fix_generation"] = launched[i]->generation;
      row["agent_runs_to_first_fix"] = i + 1;
      break;
    }
  const int fixes = d.totals.validated_fixes;
  row["tokens_per_fix"] = fixes ? Json(row["tokens"].get<int64_t>() / fixes) : Json(nullptr);
  row["cost_usd_per_fix"] = fixes ? Json(row["cost_usd"].get<double>() / fixes) : Json(nullptr);
  Json from = Json::array();
  for (const auto& r : d.inherited) from.push_back(r.run_id);
  row["from"] = from;
  // Important findings its own generations saw (an inherited one only when seen again).
  store->query("SELECT fingerprint, text, count FROM observations WHERE priority='important' AND last_gen > 0", {},
               [&](const trace::Row& r) {
                 Failure& f = failures[r.text(0)];
                 if (f.text.empty()) f.text = r.text(1);
                 f.runs.insert(d.run.id);
                 f.count += r.int64(2);
               });
  return row;
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
  std::map<std::string, Failure> failures;
  Json runs = Json::array();
  for (const auto& dir : dirs) {
    try {
      runs.push_back(one_run(dir, failures));
    } catch (const std::exception& e) {
      runs.push_back({{"dir", dir.string()}, {"error", e.what()}});
    }
  }
  std::vector<const Failure*> shared;
  for (const auto& [fp, f] : failures)
    if (f.runs.size() >= 2) shared.push_back(&f);
  std::stable_sort(shared.begin(), shared.end(), [](const Failure* a, const Failure* b) {
    return a->runs.size() != b->runs.size() ? a->runs.size() > b->runs.size() : a->count > b->count;
  });
  Json shared_json = Json::array();
  for (size_t i = 0; i < shared.size() && i < 10; ++i)
    shared_json.push_back({{"text", shared[i]->text},
                           {"runs", std::vector<std::string>(shared[i]->runs.begin(), shared[i]->runs.end())},
                           {"count", shared[i]->count}});
  return {{"runs", runs}, {"shared_failures", shared_json}};
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
    std::string target = r["target"].is_object()
                             ? fs::path(r["target"].value("repo", "")).filename().string() + "@" +
                                   r["target"].value("base_commit", "").substr(0, 7)
                             : "?";
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

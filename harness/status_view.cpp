#include "harness/status_view.h"

#include <map>

#include <fmt/format.h>

namespace harness {

nlohmann::json build_status(trace::Store& store, RunState& state) {
  nlohmann::json out;
  auto run = state.run();
  if (!run) return {{"status", "empty"}, {"generations", nlohmann::json::array()}};
  out["run_id"] = run->id;
  out["status"] = std::string(to_string(run->status));
  out["exit_code"] = run->exit_code;
  out["seed"] = run->seed;
  out["generations"] = nlohmann::json::array();
  int fixes_total = 0;
  auto agents = state.agents();
  for (const auto& g : state.generations()) {
    nlohmann::json gen = {{"number", g.number}, {"status", std::string(to_string(g.status))}, {"agents", nlohmann::json::array()}};
    std::map<int, const AgentRecord*> latest;
    for (const auto& a : agents)
      if (a.generation == g.number && (!latest.count(a.slot) || latest[a.slot]->attempt < a.attempt))
        latest[a.slot] = &a;
    int fixes = 0, partial = 0;
    int64_t tokens = 0;
    double cost = 0;
    for (const auto& [slot, a] : latest) {
      fixes += is_validated_fix(*a);
      partial += is_partial_fix(*a);
      tokens += a->input_tokens + a->output_tokens;
      cost += a->cost_usd;
      gen["agents"].push_back({{"id", a->id},
                               {"strategy", a->strategy},
                               {"status", std::string(to_string(a->status))},
                               {"outcome", std::string(to_string(a->outcome))},
                               {"verify", a->verify.label()},
                               {"verify_passes", a->verify.passes},
                               {"verify_repeats", a->verify.repeats},
                               {"attempt", a->attempt},
                               {"tokens", a->input_tokens + a->output_tokens},
                               {"cost_usd", a->cost_usd},
                               {"reason", a->end_reason},
                               {"process", a->external_id}});  // pid:123, or slurm:456 (the job id)
    }
    int observations_total = 0;
    if (auto span = store.span(g.span_id)) observations_total = span->attributes.value("harness.total_observations", 0);
    gen["validated_fixes"] = fixes;
    gen["partial_fixes"] = partial;
    gen["observations_total"] = observations_total;
    gen["tokens"] = tokens;
    gen["cost_usd"] = cost;
    fixes_total += fixes;
    out["generations"].push_back(std::move(gen));
  }
  out["validated_fixes"] = fixes_total;
  return out;
}

std::string format_status(const nlohmann::json& s) {
  std::string out = fmt::format("run {}: {} (validated fixes: {})\n", s.value("run_id", "?"), s.value("status", "?"),
                                s.value("validated_fixes", 0));
  if (s.contains("note")) out += s.value("note", "") + "\n";
  for (const auto& g : s["generations"]) {
    out += fmt::format("generation {} [{}]: {} validated, {} partial, {} observations\n", g.value("number", 0),
                       g.value("status", "?"), g.value("validated_fixes", 0), g.value("partial_fixes", 0),
                       g.value("observations_total", 0));
    for (const auto& a : g["agents"])
      out += fmt::format("  {:<8} {:<22} {:<11} {:<14} verify {:<8} {}\n", a.value("id", ""),
                         a.value("strategy", ""), a.value("status", ""), a.value("outcome", ""),
                         a.value("verify", ""), a.value("reason", ""));
  }
  return out;
}

}  // namespace harness

#include "observer/convergence.h"

#include <algorithm>
#include <mutex>

namespace observer {

GenerationRecord summarise_generation(int generation, const std::vector<AgentOutcome>& outcomes,
                                      const ObservationSet& observations, int64_t wall_ms) {
  GenerationRecord r;
  r.generation = generation;
  r.agents = static_cast<int>(outcomes.size());
  for (const auto& o : outcomes) {
    if (validated_fix(o)) ++r.validated_fixes;
    if (partial_fix(o)) ++r.partial_fixes;
    r.tokens += o.tokens_in + o.tokens_out;
    r.cost_usd += o.cost_usd;
    if (o.status == AgentStatus::killed_stuck || o.status == AgentStatus::killed_timeout ||
        o.status == AgentStatus::killed_budget || o.status == AgentStatus::killed_loop)
      ++r.kills;
  }
  for (const auto& id : observations.added_in(generation)) {
    ++r.new_observations;
    if (const Observation* o = observations.find(id); o && o->priority == Priority::important) ++r.new_important;
  }
  r.total_observations = static_cast<int>(observations.size());
  r.wall_ms = wall_ms;
  return r;
}

double progress_score(const GenerationRecord& r) {
  if (r.validated_fixes > 0) return 1.0;
  if (r.partial_fixes > 0) return 0.5;
  return std::min(0.25, 0.05 * r.new_important);
}

int trailing_generations_without_progress(const std::vector<GenerationRecord>& records) {
  int n = 0;
  for (auto it = records.rbegin(); it != records.rend() && progress_score(*it) == 0; ++it) ++n;
  return n;
}

void save_generation_record(trace::Store& store, const GenerationRecord& r) {
  ensure_observer_schema(store);
  store.execute("INSERT OR REPLACE INTO convergence(generation, agents, validated_fixes, partial_fixes, "
                "new_observations, new_important, total_observations, tokens, cost_usd, wall_ms, kills) "
                "VALUES(?,?,?,?,?,?,?,?,?,?,?)",
                {int64_t{r.generation}, int64_t{r.agents}, int64_t{r.validated_fixes}, int64_t{r.partial_fixes},
                 int64_t{r.new_observations}, int64_t{r.new_important}, int64_t{r.total_observations}, r.tokens,
                 r.cost_usd, r.wall_ms, int64_t{r.kills}});
}

std::vector<GenerationRecord> load_convergence(trace::Store& store) {
  ensure_observer_schema(store);
  std::vector<GenerationRecord> out;
  store.query("SELECT generation, agents, validated_fixes, partial_fixes, new_observations, new_important, "
              "total_observations, tokens, cost_usd, wall_ms, kills FROM convergence ORDER BY generation",
              {}, [&](const trace::Row& row) {
                GenerationRecord& r = out.emplace_back();
                r.generation = static_cast<int>(row.int64(0));
                r.agents = static_cast<int>(row.int64(1));
                r.validated_fixes = static_cast<int>(row.int64(2));
                r.partial_fixes = static_cast<int>(row.int64(3));
                r.new_observations = static_cast<int>(row.int64(4));
                r.new_important = static_cast<int>(row.int64(5));
                r.total_observations = static_cast<int>(row.int64(6));
                r.tokens = row.int64(7);
                r.cost_usd = row.real(8);
                r.wall_ms = row.int64(9);
                r.kills = static_cast<int>(row.int64(10));
              });
  return out;
}

}  // namespace observer

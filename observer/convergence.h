// Convergence: one record per generation (agents, fixes, observations, tokens, cost, wall time, kills) in the
// run.db table `convergence`, and the progress score the stop rules and reports read. Thread-safe as the Store is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "observer/observation_set.h"
#include "observer/rules.h"
#include "trace/store.h"

namespace observer {

struct GenerationRecord {
  int generation = 0;
  int agents = 0;
  int validated_fixes = 0;
  int partial_fixes = 0;
  int new_observations = 0;
  int new_important = 0;  // of those, priority important: what the progress score counts
  int total_observations = 0;
  int64_t tokens = 0;  // input + output of every agent
  double cost_usd = 0;
  int64_t wall_ms = 0;
  int kills = 0;  // killed as stuck, at the time limit or for budget
  bool operator==(const GenerationRecord&) const = default;
};

// Counts a generation from its agents' outcomes and the observation set after merging it.
GenerationRecord summarise_generation(int generation, const std::vector<AgentOutcome>& outcomes,
                                      const ObservationSet& observations, int64_t wall_ms);

// Progress in [0,1]: 1.0 with a validated fix, else 0.5 with a partial fix, else 0.05 per new important
// observation up to 0.25, else 0 (the generation learned nothing new).
double progress_score(const GenerationRecord& record);
// How many generations at the end of `records` (in order) made no progress (score 0): the
// `stop.no_progress_generations` rule compares this with its limit.
int trailing_generations_without_progress(const std::vector<GenerationRecord>& records);

// Upsert by generation (a resumed generation replaces its record). Creates the observer schema when missing.
void save_generation_record(trace::Store& store, const GenerationRecord& record);
// Every record, by generation.
std::vector<GenerationRecord> load_convergence(trace::Store& store);

}  // namespace observer

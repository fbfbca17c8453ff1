// What the loop asks of the layers above trace/ at generation boundaries: which strategy each slot gets, what the
// prompt says, and what the generation taught (observations, convergence). An interface so the loop can be tested
// with a hand-written fake, and so observer/ and strategies/ stay out of the loop's code.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/state/run_state.h"

namespace harness {

struct SlotPlan {
  std::string strategy;
  nlohmann::json strategy_json = nlohmann::json::object();  // {name, params, model}
};

struct GenerationSummary {
  int new_observations = 0;
  int new_important = 0;
  int total_observations = 0;
  std::string note;  // one line for the log
};

class GenerationPlanner {
 public:
  virtual ~GenerationPlanner() = default;
  // Strategies for the `population` slots of generation `number` (called once per generation, then persisted).
  virtual std::vector<SlotPlan> plan(int number, int population) = 0;
  // The prompt of one agent (rendered from templates/ with the observations so far).
  virtual std::string prompt(const AgentRecord& agent) = 0;
  // After every agent of the generation is checkpointed, in two steps:
  // observe_generation: the slow part (the agents' traces, observer.command for up to its timeout), called
  // outside any store transaction; it only reads run.db.
  virtual void observe_generation(int number, const std::vector<AgentRecord>& agents) = 0;
  // finish_generation: record what was observed (observations, observations.md, convergence), called inside the
  // transaction that completes the generation, so a crash before it commits leaves nothing half-recorded.
  virtual GenerationSummary finish_generation(int number, const std::vector<AgentRecord>& agents) = 0;
};

}  // namespace harness

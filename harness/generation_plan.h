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

// A queued attempt given another strategy mid-generation (strategies.reallocate_after).
struct SlotMove {
  std::string agent_id;
  std::string from, to;
  std::string observation;              // the [important] observation the failed agents shared
  std::vector<std::string> failed_agents;
};

// What one finished agent taught the rest of its generation.
struct AgentLesson {
  bool observed = false;  // false: nothing to observe (never launched), or observer.incremental is off
  int new_observations = 0;
  int total_observations = 0;
  std::vector<SlotMove> moved;
  std::string write_error;  // observations.md could not be written (run.db has the observations)
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
  // After one agent of a running generation is checkpointed (observer.incremental): its findings join the
  // observations that the prompts of agents launched later get, and attempts still in `queued` may be given
  // other strategies. What it changes in `queued` is saved with the findings, in one transaction.
  virtual AgentLesson learn_from_agent(const AgentRecord& finished, std::vector<AgentRecord>& queued) {
    (void)finished;
    (void)queued;
    return {};
  }
};

}  // namespace harness

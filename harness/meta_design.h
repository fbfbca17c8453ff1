// Before each generation after the first: the meta-agent (strategies.meta_command, or the strategies.meta preset
// through its Advisor) designs the generation from the last one's digest, the observations and the strategies'
// results (strategies::plan_with_meta_agent validates, and retries a preset once). What it proposed is recorded on
// the run span (meta.proposed: per slot the strategy, whether it is new, what it is based on, why, the observation
// ids; meta.retried; meta.failed with the policy used instead) and logged. Called on the loop's thread, holding no
// store transaction (a model may take minutes).
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "harness/advisor/advisor.h"
#include "harness/agent_run.h"
#include "strategies/allocation.h"
#include "strategies/strategy.h"

namespace harness {

struct MetaDesignRequest {
  int generation = 0;  // the one to design
  int slots = 0;
  std::vector<strategies::Strategy> fallback;  // the policy's allocation for it (`slots` entries)
  nlohmann::json digest = nlohmann::json::object();       // of generation - 1
  nlohmann::json observations = nlohmann::json::array();  // ranked, with ids
  std::vector<strategies::Strategy> known;
  std::vector<strategies::StrategyStats> stats;
};

// `advisor` null: strategies.meta_command is run. Returns `slots` strategies (the fallback on any failure).
std::vector<strategies::Strategy> design_with_meta_agent(AgentEnvironment& env, Advisor* advisor,
                                                         const MetaDesignRequest& request);

}  // namespace harness

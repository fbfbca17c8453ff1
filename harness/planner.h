// The real GenerationPlanner: strategies/ allocates, templates/ renders the prompt with the observations chosen
// under a size budget, observer/ extracts and merges observations after each generation.
#pragma once

#include <memory>

#include "harness/agent_run.h"
#include "harness/generation_plan.h"

namespace harness {

std::unique_ptr<GenerationPlanner> make_planner(AgentEnvironment& env);

}  // namespace harness

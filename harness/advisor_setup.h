// The built-in advisors of a run (harness/advisor/): the LLM observer (observer.llm) and the meta-agent
// (strategies.meta) set up from the config and wired to the run's telemetry and budget. Each question registers
// its span with the LLM proxy when it runs (the CLI's calls then hang under the advisor's span and pass its budget
// check), and settles what the session cost into the SpendLedger under the observed generation; a resumed run seeds
// the ledger with what earlier advisors cost. Called on the loop's thread.
#pragma once

#include <optional>

#include "harness/advisor/advisor.h"
#include "harness/agent_run.h"

namespace harness {

// nullopt when the key is "none". Throws std::runtime_error when the prompt template cannot be read.
std::optional<Advisor> make_observer_advisor(AgentEnvironment& env);
std::optional<Advisor> make_meta_advisor(AgentEnvironment& env);
// Resume: every advisor session already in run.db is counted in the ledger again.
void seed_advisor_spend(AgentEnvironment& env);

}  // namespace harness

// The observer's step after one agent while its generation still runs (observer.incremental): the rules over that
// agent's trace, merged into the run's ObservationSet, so the agents launched later in the same generation start
// with what it showed. The LLM observer is not run here: it reads the whole generation at its end. Two phases, as
// for a generation (observe_generation.h): assess_agent only reads run.db; record_agent saves the set, marks the
// agent observed (with every observation it matched) and rewrites observations.md, inside the caller's
// transaction. assess_generation skips the agents already observed, so no finding is counted twice, and a resumed
// run knows which agents were observed from run.db. Not thread-safe (the set is the caller's).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "observer/observation_set.h"
#include "observer/rules.h"
#include "trace/store.h"

namespace observer {

struct AgentFindings {
  std::string agent_id;       // "g02-a03"
  std::string agent_span_id;  // one attempt
  int generation = 0;
  std::vector<std::string> new_ids;  // observations first seen with this agent
  // Every observation this agent's findings merged into, new or already known, in the rules' order.
  std::vector<std::string> matched;
};

// Throws trace::StoreError only.
AgentFindings assess_agent(trace::Store& store, const AgentOutcome& outcome, ObservationSet& observations,
                           const RuleOptions& options = {});
// Saves the set and the findings, and writes observations.md when `markdown_path` is set. Returns "" or the
// error writing observations.md (the run goes on: run.db holds the observations).
std::string record_agent(trace::Store& store, const AgentFindings& findings, const ObservationSet& observations,
                         const std::string& markdown_path);

// The agents of `generation` observed one by one so far, by agent span id (0: every generation).
std::map<std::string, AgentFindings> observed_agents(trace::Store& store, int generation = 0);

}  // namespace observer

// The observer's whole step after a generation, in one call for the generation loop: rules over every agent,
// the optional LLM observer, merge into the run's ObservationSet, save to run.db, rewrite observations.md
// atomically, store the convergence record, and record the step as an `observer` span. Failures of the LLM
// observer or of writing observations.md are returned, never thrown. Not thread-safe (the set is the caller's).
#pragma once

#include <string>
#include <vector>

#include "observer/convergence.h"
#include "observer/llm_observer.h"
#include "observer/observation_set.h"
#include "observer/rules.h"
#include "trace/store.h"

namespace observer {

struct ObserveOptions {
  RuleOptions rules;
  LlmObserverOptions llm;     // llm.command empty: no LLM observer
  std::string markdown_path;  // observations.md; empty: not written
  // Where the `observer` span goes (the generation span); trace_id empty: no span is written.
  std::string trace_id;
  std::string parent_span_id;
  int64_t wall_ms = 0;  // the generation's wall time, for the convergence record
  // Build ObserveResult::digest even without an LLM observer (a meta-agent reads it). Built from the same traces.
  bool want_digest = false;
  DigestOptions digest;
};

struct ObserveResult {
  std::vector<std::string> new_ids;  // observations first seen in this generation (rules' and LLM's)
  std::string llm_error;    // "" when the LLM observer was not configured or succeeded
  std::string write_error;  // "" when observations.md was written (or not asked for)
  GenerationRecord record;  // as saved in the convergence table
  // The digest given to the LLM observer (built before its observations were merged); an empty object when
  // neither llm.command nor want_digest asked for one.
  nlohmann::json digest = nlohmann::json::object();
};

// Throws trace::StoreError only (a run store that cannot be written is fatal for the run anyway).
ObserveResult observe_generation(trace::Store& store, int generation, const std::vector<AgentOutcome>& outcomes,
                                 ObservationSet& observations, const ObserveOptions& options);

}  // namespace observer

// The observer's step after a generation, in two phases for the generation loop:
// - assess_generation: rules over every agent not observed yet (observe_agent.h), the optional LLM observer (observer.command, up to its timeout),
//   merged into the run's ObservationSet in memory. It only reads run.db, so it runs outside any store
//   transaction and never holds the write lock the receiver and proxy threads need while the command runs.
// - record_generation: save the set to run.db, rewrite observations.md atomically, store the convergence record
//   and record the step as an `observer` span; quick, meant to run inside the transaction that completes the
//   generation (a crash before it commits leaves nothing of the step behind, and resume observes again).
// Failures of the LLM observer or of writing observations.md are returned, never thrown. Not thread-safe (the
// set is the caller's).
#pragma once

#include <set>
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
  LlmObserverOptions llm;     // llm.command empty and no llm.ask: no LLM observer
  std::string markdown_path;  // observations.md; empty: not written
  // Where the `observer` span goes (the generation span); trace_id empty: no span is written.
  std::string trace_id;
  std::string parent_span_id;
  int64_t wall_ms = 0;  // the generation's wall time, for the convergence record
  // Build ObserveResult::digest even without an LLM observer (a meta-agent reads it). Built from the same traces.
  bool want_digest = false;
  DigestOptions digest;
  // With an LLM observer: the digest's "search" lists where each agent's failure shows up elsewhere in run.db
  // (observer/digest_search.h; the search index is built on the first generation, then kept).
  bool digest_search = true;
  // Agent span ids already observed one by one (observe_agent.h): the rules are not run on them again (their
  // findings are in the set), though they are in the digest and the convergence record like every agent.
  std::set<std::string> already_observed;
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

// What assess_generation found, not yet written anywhere.
struct Assessment {
  int generation = 0;
  int64_t started_ns = 0;
  std::vector<std::string> new_ids;
  std::string llm_error;
  std::string llm_stderr_tail;
  std::string llm_retried_error;  // the first answer's error when the observer was asked again
  int llm_attempts = 0;
  nlohmann::json digest = nlohmann::json::object();
};

// Both throw trace::StoreError only (a run store that cannot be read or written is fatal for the run anyway).
Assessment assess_generation(trace::Store& store, int generation, const std::vector<AgentOutcome>& outcomes,
                             ObservationSet& observations, const ObserveOptions& options);
ObserveResult record_generation(trace::Store& store, Assessment assessment, const std::vector<AgentOutcome>& outcomes,
                                const ObservationSet& observations, const ObserveOptions& options);

// Both phases in one call (tools and tests that hold no transaction).
ObserveResult observe_generation(trace::Store& store, int generation, const std::vector<AgentOutcome>& outcomes,
                                 ObservationSet& observations, const ObserveOptions& options);

}  // namespace observer

// The rules: one agent's trace plus what the harness knows of its end (AgentOutcome) -> observations, each with a
// priority, a text written for the next agent, and evidence links. Pure over an AgentTrace; the Store overload
// loads it first. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "observer/agent_trace.h"
#include "observer/observation.h"
#include "trace/store.h"

namespace observer {

enum class AgentStatus {
  completed, crashed, killed_stuck, killed_timeout, killed_budget, killed_loop, interrupted, launch_failed
};
std::string_view to_string(AgentStatus status);
std::optional<AgentStatus> agent_status_from(std::string_view name);

struct VerifyOutcome {
  bool ran = false;
  bool passed = false;  // every repeat passed: a validated fix
  int passes = 0;       // repeats that passed
  int repeats = 0;      // repeats run
  std::string first_failure;  // first failing test or assertion line from verify.log ("" when unknown)
  std::string log_tail;       // last lines of verify.log
};

// What the harness knows about an agent once it has ended; the rules combine it with the trace.
struct AgentOutcome {
  std::string agent_id;       // "g02-a03"
  int generation = 0;
  std::string agent_span_id;  // the agent's span in run.db; its subtree is the agent's trace
  std::string strategy;       // strategy name
  AgentStatus status = AgentStatus::completed;
  std::string exit_description;  // "exit 0", "signal 9 (Killed)", "idle for 300s", "token budget 200000 reached"
  VerifyOutcome verify;
  std::vector<std::string> changed_files;  // relative to the workspace (Workspace::changed_files)
  int64_t tokens_in = 0;
  int64_t tokens_out = 0;
  double cost_usd = 0;
  int64_t duration_ms = 0;
  std::string goal;       // the prompt's goal line (bug summary / strategy approach)
  std::string workspace;  // absolute workspace path: removed from paths in texts so they read as repo paths
};

struct RuleOptions {
  int retry_storm_min = 3;          // the same tool with the same arguments this many times = a retry storm
  size_t refactor_min_files = 3;    // edits across this many files = a refactor
  size_t max_files_edited = 20;     // files_edited observations per agent (the refactor one lists them all)
  size_t max_dead_end_files = 10;   // dead-end files per failing agent, most read first
  size_t max_text_bytes = 300;      // observation texts are clipped to this
};

// Observations for one agent, merged within the agent by fingerprint (counts added), important ones first.
std::vector<Observation> extract_observations(const AgentTrace& trace, const AgentOutcome& outcome,
                                              const RuleOptions& options = {});
std::vector<Observation> extract_observations(trace::Store& store, const AgentOutcome& outcome,
                                              const RuleOptions& options = {});

// True when the agent produced a fix that passed every verify repeat.
inline bool validated_fix(const AgentOutcome& o) { return o.verify.ran && o.verify.passed; }
// True when some but not all repeats passed.
inline bool partial_fix(const AgentOutcome& o) {
  return o.verify.ran && !o.verify.passed && o.verify.passes > 0 && o.verify.passes < o.verify.repeats;
}

}  // namespace observer

// An observation: one finding about the agents' traces that the next generation should know ("`pytest -x` failed
// with ImportError", "the fix in queue.c passed 2 of 5 repeats"), with its priority and links to the evidence.
// Plain values; safe to copy between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace observer {

enum class Priority { important, possible, informational };

// What a rule (or the LLM observer) found. `llm` is for an LLM observer's finding of a kind not listed here.
enum class Kind {
  tool_error, crash, stuck, failed_fix, retry_storm, budget_exhausted, loop,  // important
  files_edited, refactor, hypothesis, partial_fix,                      // possible
  goal, usage, dead_end, duration,                                      // informational
  llm
};

std::string_view to_string(Priority priority);
std::string_view to_string(Kind kind);
std::optional<Priority> priority_from(std::string_view name);
std::optional<Kind> kind_from(std::string_view name);
// The priority a rule gives each kind (an LLM observer states its own).
Priority default_priority(Kind kind);

// Where an observation was seen: an agent, and the span (and event, when there is one) in run.db that shows it.
struct Evidence {
  std::string agent;    // "g02-a03"
  std::string span_id;  // may be empty when only an event is known
  int64_t event_id = 0;  // 0: none
  // "g02-a03#e41" (event), "g02-a03#s<span id>" (span only), "g02-a03" (neither).
  std::string label() const;
  bool operator==(const Evidence&) const = default;
};

// Evidence kept per observation: enough to open it, bounded so a finding seen 10,000 times stays small.
constexpr size_t kMaxEvidence = 10;

struct Observation {
  std::string id;  // "O-0042", assigned by ObservationSet in order of first appearance; empty before merging
  Priority priority = Priority::informational;
  Kind kind = Kind::llm;
  std::string text;         // one line, written for the next agent: names files, commands, the error
  std::string fingerprint;  // hash of kind + normalised text (fingerprint.h): equal fingerprint = same finding
  std::vector<Evidence> evidence;  // first kMaxEvidence
  std::vector<std::string> agents;  // every agent that saw it, in order of first sighting
  int first_gen = 0;
  int last_gen = 0;
  int64_t count = 1;  // sightings (one agent may contribute several, e.g. the same tool error three times)
};

// A new observation for a rule to emit: fingerprint computed, one agent, generation set.
Observation make_observation(Kind kind, std::string text, const std::string& agent, int generation,
                             std::vector<Evidence> evidence = {}, int64_t count = 1);

// Adds `more` to `into` (same fingerprint): counts add, agents and evidence are unioned (evidence bounded),
// generations widen, the higher priority wins. The text of the first sighting is kept.
void absorb(Observation& into, const Observation& more);

}  // namespace observer

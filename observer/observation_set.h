// Every observation of a run, merged across agents and generations by fingerprint: one entry per finding with its
// count, agents, generations and evidence; ids (O-0001, ...) in order of first appearance. Persisted in run.db
// (tables observations, observation_evidence, observation_generations) and rendered to observations.md.
// Not thread-safe: the generation loop owns it; the Store it saves to is thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "observer/observation.h"
#include "trace/store.h"

namespace observer {

constexpr int kObserverSchemaVersion = 2;  // 2: observed_agents (observe_agent.h)
// Creates the observer's tables in run.db (observations, evidence, per-generation additions, convergence).
void ensure_observer_schema(trace::Store& store);

class ObservationSet {
 public:
  // Merges one generation's findings (the rules' output for each agent, then the LLM observer's), in order.
  // Returns the ids of observations first seen in this generation. Calling it again for the same generation
  // adds to it (e.g. the LLM observer's output after the rules').
  std::vector<std::string> add(int generation, const std::vector<Observation>& found);

  const std::vector<Observation>& all() const { return items_; }
  size_t size() const { return items_.size(); }
  const Observation* find(const std::string& id) const;
  const Observation* find_fingerprint(const std::string& fingerprint) const;
  // Ids first seen in `generation` (empty for an unknown generation), and every generation merged so far.
  std::vector<std::string> added_in(int generation) const;
  std::vector<int> generations() const;
  int last_generation() const { return generations_.empty() ? 0 : generations_.rbegin()->first; }

  // The observations for a prompt: ranked by priority, then count (descending), then recency (last_gen
  // descending), then id; taken in that order while their rendered lines (render_line + '\n') fit in
  // `budget_chars` bytes; one that does not fit is skipped and smaller ones after it may still be taken.
  std::vector<Observation> select_for_prompt(size_t budget_chars) const;
  // Every observation in that ranking.
  std::vector<Observation> ranked() const;

  // observations.md: a summary line, sections by priority (ranked as above) and "What each generation added".
  std::string render_markdown() const;

  // run.db: save() rewrites the observer's tables in one transaction; load() reads them back (ensure_schema first).
  void save(trace::Store& store) const;
  static ObservationSet load(trace::Store& store);

 private:
  std::vector<Observation> items_;
  std::map<std::string, size_t> by_fingerprint_;
  std::map<int, std::vector<std::string>> generations_;  // generation -> ids first seen in it
};

// One observation as a markdown list line (no newline):
//   - [important] O-0012 (seen 7×, gens 1–3) text — evidence g2-a3#e41, g2-a4#e97
// "gen 2" when first and last generation are the same; at most 3 evidence labels; no evidence part when none.
std::string render_line(const Observation& o);
// Lines for a prompt, one per observation, each ending in '\n'.
std::string render_lines(const std::vector<Observation>& observations);

// Writes `content` to `path` atomically (a temporary file beside it, fsync, rename). Returns "" or an error text.
std::string write_file_atomically(const std::string& path, const std::string& content);

}  // namespace observer

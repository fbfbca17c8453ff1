// The figures runs are compared by. `harness runs DIR` (harness/runs_view.cpp) lays the runs of a folder side by
// side; the report of a run started --from puts the runs it started from beside it (report_inherited.cpp). Both
// read the figures here, from a run's ReportData, so the two always agree. Plain values; reentrant.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "harness/state/run_target.h"

namespace harness {

struct ReportData;
struct ReportObservation;

struct RunFigures {
  std::string dir, run_id;
  std::string error;  // set: the run could not be read (its dir gone, a store error); only dir and run_id hold
  std::string status, config_hash;
  uint64_t seed = 0;
  std::optional<TargetIdentity> target;
  int generations = 0, agents = 0, attempts = 0, validated_fixes = 0;
  // The first validated fix: its generation, and the agent runs launched up to and including it.
  std::optional<int> first_fix_generation, agent_runs_to_first_fix;
  int64_t tokens = 0;  // the agents' and the advisors'
  double cost_usd = 0;
  std::vector<std::string> from;  // ids of the runs it started from
  std::optional<int64_t> tokens_per_fix() const;
  std::optional<double> cost_usd_per_fix() const;
};

// An important failure that the own generations of two runs or more saw (equal fingerprint).
struct SharedFailure {
  std::string fingerprint, text;
  std::vector<std::string> runs;  // run ids, sorted
  int64_t count = 0;              // times seen, all runs added
};

// Collects the important observations runs saw themselves (last seen in generation 1 or later: an inherited one
// counts only when the run saw it again) and tells which are shared.
class FailureTally {
 public:
  void add(const std::string& run_id, const std::vector<ReportObservation>& observations);
  // Those two runs or more saw, most runs first, then most seen; at most `limit`.
  std::vector<SharedFailure> shared(size_t limit) const;

 private:
  struct Seen {
    std::string text;
    std::set<std::string> runs;
    int64_t count = 0;
  };
  std::map<std::string, Seen> by_fingerprint_;
};

// The figures of the run `d` describes; `target` is what it recorded (recorded_target).
RunFigures run_figures(const ReportData& d, std::optional<TargetIdentity> target);
// Opens `dir`/run.db read-only and reads its figures (not opening the runs it started from in turn); its
// observations go to `observations` (for a FailureTally). Never throws: a dir that is gone or cannot be read gives
// figures with `error` set.
RunFigures load_run_figures(const std::string& dir, std::vector<ReportObservation>& observations);

// "ledger@1a2b3c4": the repository's folder name and the commit's first 7 characters; "?" when not recorded.
std::string short_target(const std::optional<TargetIdentity>& target);

// The columns a comparison of runs shows (those `harness runs` prints), and one readable run's cells in them as
// text, so that report.html and report.md show the same figures the same way.
struct FigureColumn {
  std::string_view head;
  bool numeric;
};
std::span<const FigureColumn> figure_columns();
std::vector<std::string> figure_cells(const RunFigures& f);

}  // namespace harness

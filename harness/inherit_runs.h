// `harness run CONFIG --from RUN_DIR...` (config `from`): a new run starts with the observations of earlier runs.
// Each earlier run's observations are merged by fingerprint (counts kept) as "generation 0" of the new run; their
// evidence labels are prefixed with the earlier run's id (`<run-id>/g02-a01#e41`) and the new run records where
// that run lives (meta `from.<run-id>`), so `harness trace why NEW_DIR <run-id>/g02-a01#e41` opens the event in
// the older store. An earlier run of another target (repository or base commit) is refused unless forced, and
// then said so (event run.inherited, the report). Called once, when the run is created.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/config/config.h"
#include "harness/state/run_target.h"
#include "trace/store.h"

namespace harness {

// The target `config` names (TargetIdentity: harness/state/run_target.h, where recorded_target reads an earlier
// run's). Throws UsageError when base_ref does not name a commit of the repository.
TargetIdentity target_identity(const Config& config);

struct InheritedRun {
  std::string dir;     // absolute
  std::string run_id;
  int observations = 0;
  bool other_target = false;  // accepted with --force
  std::string target_note;    // what differs ("base commit 1a2b3c4 != 5d6e7f8")
};

// Opens each earlier run dir read-only and checks its target. Throws UsageError naming the dir for a missing or
// unreadable run, a duplicate, or another target without `force`.
std::vector<InheritedRun> check_earlier_runs(const std::vector<std::string>& dirs, const TargetIdentity& target,
                                             bool force);
// Merges their observations into the new run's store (observer tables, meta from.<run-id>, event run.inherited on
// `run_span_id`), inside one transaction. Returns the runs with their observation counts filled in.
std::vector<InheritedRun> inherit_observations(trace::Store& store, std::vector<InheritedRun> runs,
                                               const std::string& run_span_id, int64_t now_ns);

// `<run-id>/<label>` -> the earlier run's dir (from `store`'s meta) and the label within it; nullopt when `ref`
// names no inherited run.
struct InheritedRef {
  std::string dir, ref;
};
std::optional<InheritedRef> inherited_ref(trace::Store& store, const std::string& ref);

}  // namespace harness

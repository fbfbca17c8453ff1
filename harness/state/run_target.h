// What a run is about, as it recorded it on its run span: the repository and the commit its workspaces start from.
// Here, beside the run's records, because both the loop (`--from` checks an earlier run's target) and the report
// (which compares a run with the runs it started from) read it. Thread-safe through the Store's lock.
#pragma once

#include <optional>
#include <string>

#include "trace/store.h"

namespace harness {

struct TargetIdentity {
  std::string repo;         // canonical path
  std::string base_commit;  // full hash
  bool operator==(const TargetIdentity&) const = default;
};

// The target a run recorded on its run span (harness.target.repo / harness.target.base_commit); nullopt for a run
// from before they were recorded.
std::optional<TargetIdentity> recorded_target(trace::Store& store);

}  // namespace harness

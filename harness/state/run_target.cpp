// recorded_target: see run_target.h.
#include "harness/state/run_target.h"

#include "harness/state/run_state.h"

namespace harness {

std::optional<TargetIdentity> recorded_target(trace::Store& store) {
  RunState state(store);
  auto run = state.run();
  if (!run) return std::nullopt;
  auto span = store.span(run->span_id);
  if (!span || !span->attributes.contains("harness.target.repo")) return std::nullopt;
  return TargetIdentity{span->attributes.value("harness.target.repo", ""),
                        span->attributes.value("harness.target.base_commit", "")};
}

}  // namespace harness

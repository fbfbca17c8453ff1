// `harness status`: the state of a run (possibly still running in another process) from its run.db, as JSON with
// a documented shape ({status, generations: [{number, agents: [{id, strategy, status, verify}], validated_fixes,
// observations_total}], ...}) and as text. Read-only.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "harness/state/run_state.h"

namespace harness {

nlohmann::json build_status(trace::Store& store, RunState& state);
std::string format_status(const nlohmann::json& status);

}  // namespace harness

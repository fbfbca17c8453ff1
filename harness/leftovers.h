// After a crash, the agents of interrupted attempts may still run (they live in process groups of their own).
// Before `resume` re-runs an attempt, whatever is left of the old one is killed: every process whose environment
// carries that attempt's markers (HARNESS_RUN_DIR and HARNESS_AGENT_ID), whatever its group or session now.
#pragma once

#include <string>

namespace harness {

// Returns how many processes were killed.
int kill_leftover_agent_processes(const std::string& run_dir, const std::string& agent_id);

}  // namespace harness

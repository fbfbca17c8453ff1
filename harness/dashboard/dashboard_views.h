// What the dashboard shows, as JSON, read from run dirs only (never written): the runs under the served folder,
// one run's live state and one agent's trace. Each call opens run.db read-only through its own connection (WAL
// readers do not block the run's writer), so the views work the same on a run in progress and a finished one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace harness::dashboard {

// The run dirs the server shows: `dir` itself when it holds a run.db, else its immediate subfolders that do, by
// name. Each entry is {name, path}; `name` is what the page's ?run= names (the folder's name, "." for dir itself).
struct ServedRun {
  std::string name;
  std::string path;
};
std::vector<ServedRun> find_runs(const std::string& dir);

// {"runs": [{name, status, run_id, generations, validated_fixes} or {name, error}]}.
nlohmann::json runs_view(const std::vector<ServedRun>& runs);

// The run's state: summary.json's content (docs/summary-schema.md, the same numbers the report shows) plus what
// only a live view needs: "live" per attempt (tool calls, errors, tokens from its spans so far, its last event while
// it runs, and whether a patch.diff exists), "budget" from the run's config snapshot, "chart_svg" (report.html's convergence
// chart) and "now" (for elapsed time). Throws trace::StoreError / ReportError when run.db cannot be read.
nlohmann::ordered_json run_view(const std::string& run_dir);

// One agent attempt's trace: {"agent", "tree": [{span_id, depth, kind, name, status, duration_ms, tool_calls,
// tool_errors, tokens}], "replay": trace replay's JSON of its first session (subagents inlined)}. `agent` is an
// agent id (g01-a02, its latest attempt). Throws std::invalid_argument when the run has no such agent.
nlohmann::json agent_view(const std::string& run_dir, const std::string& agent);

// The agent's patch.diff (latest attempt), or nullopt when it left none.
std::optional<std::string> agent_patch(const std::string& run_dir, const std::string& agent);

// A cheap fingerprint of what the run has written (size and mtime of run.db, its WAL and observations.md): the
// server recomputes run_view only when it changes.
std::string change_stamp(const std::string& run_dir);

}  // namespace harness::dashboard

// Everything the morning report shows, gathered once from a run directory (run.db records, generation spans,
// observations, the winner's patch and trace tree) so that the four renderers (md, html, json, junit) only format.
// Plain values; loading reads the store under its lock, so it may run while the loop writes in another thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/report/run_figures.h"
#include "harness/state/run_state.h"

namespace harness {

// An observation as the report needs it. The observer's own type lives in observer/; this one keeps the report
// independent of its storage (see load_observations()).
struct ReportObservation {
  std::string id;        // O-0042
  std::string priority;  // important | possible | informational
  std::string kind;      // failed_fix, crash, error, file_created, ...
  std::string text;
  int count = 1;
  int first_gen = 0, last_gen = 0;
  std::vector<std::string> evidence;  // "g02-a03#e41"
  std::string fingerprint{};          // equal fingerprint = the same finding, in another run too
};
int priority_rank(std::string_view priority);  // 0 important, 1 possible, 2 informational, 3 other

// One row of the per-generation and per-strategy tables. Agents, fixes and kills count slots (the latest attempt
// of each); tokens, cost and time add up every attempt, because an interrupted attempt was still paid for.
struct ReportTally {
  int agents = 0, attempts = 0, validated_fixes = 0, partial_fixes = 0, kills = 0, crashes = 0;
  int64_t input_tokens = 0, output_tokens = 0;
  double cost_usd = 0;
  int64_t agent_time_ns = 0;  // sum of the attempts' durations
  int64_t tokens() const { return input_tokens + output_tokens; }
};

// An agent whose change verify rejected (fully or in part): what the next generation should not try again.
struct RuledOut {
  std::string agent, strategy;
  std::vector<std::string> files;
  VerifyResult verify;
};

struct ReportGeneration {
  int number = 0;
  GenerationStatus status = GenerationStatus::running;
  int64_t started_ns = 0, finished_ns = 0;
  int64_t wall_ns = 0;  // finished - started, or up to its last finished agent while it runs
  ReportTally tally;
  // Convergence, from the generation span (harness.* attributes), or counted from the observations when the
  // span has none yet (a generation the observer has not finished).
  int total_observations = 0, new_observations = 0, new_important = 0;
  bool observer_figures = false;  // true when the span carried them
  std::vector<size_t> learned;  // indices in ReportData::observations: new important ones (first seen here)
  std::vector<std::string> strategies;            // tried, in slot order, unique
  std::vector<std::pair<std::string, int>> files_changed;  // path, number of agents that changed it
  std::vector<RuledOut> ruled_out;
  // How its strategies were chosen when a meta-agent was asked (report_advisors.cpp): one line per strategy it
  // proposed ("lock-audit (new, from minimal-fix): why … [O-0003]"), or the fallback and its reason; and what
  // the LLM observer of this generation did when it failed.
  std::vector<std::string> design_lines;
  std::vector<std::string> advisor_notes;
};

// What the run's advisors (the LLM observer and the meta-agent, harness/advisor/) asked and spent; their model
// calls are counted in the run's budget beside the agents'.
// An earlier run this one started from (harness run --from): its observations were inherited (generation 0).
struct ReportInherited {
  std::string run_id, dir;
  int observations = 0;
  bool other_target = false;  // accepted with --force
  std::string target_note;
};

struct ReportAdvisors {
  int questions = 0, failed = 0;
  int64_t llm_calls = 0, input_tokens = 0, output_tokens = 0;
  double cost_usd = 0;
  int64_t tokens() const { return input_tokens + output_tokens; }
};

struct ReportStrategy {
  std::string name;
  ReportTally tally;
};

// An agent whose CLI stated a cost more than 10% away from what the price table makes of its calls
// (event cost.disagreement, harness/agent_finish.cpp).
struct CostDisagreement {
  std::string agent;  // "g01-a02"
  double stated_usd = 0, priced_usd = 0;
  std::string price_table;  // the table's date
};

struct ReportWinner {
  AgentRecord agent;
  std::string patch;             // patch.diff text, clipped to kPatchLimit
  std::string patch_path;        // relative to the run dir; empty when the agent left none
  bool patch_clipped = false;
  std::string trace_tree;        // compact text tree of the spans under its agent span
  int trace_spans = 0;
};

struct ReportData {
  std::string run_dir;
  RunRecord run;
  std::string name;              // config `name`, when the snapshot has one
  std::string stop_reason;       // from the run span, once the run finished
  std::string sandbox;           // from the run span: on | off | unconfined (empty: a run from before sandboxes)
  std::string sandbox_warning;   // why agents ran unconfined although the config asked for isolation
  std::string verify_command;    // from the config snapshot
  int verify_repeat = 0;
  int planned_generations = 0;   // config `generations`, 0 when unknown
  bool finished = false;         // run.status completed|failed: otherwise this is a partial report
  std::vector<ReportGeneration> generations;
  std::vector<ReportStrategy> strategies;      // by validated fixes, then partial fixes, then name
  std::vector<AgentRecord> attempts;           // every attempt, by generation, slot, attempt
  std::optional<ReportWinner> winner;          // the first validated fix (earliest to finish)
  std::optional<AgentRecord> best_partial;     // when there is no winner: the most repeats passed
  std::vector<ReportObservation> observations; // by priority, count (desc), id
  std::vector<CostDisagreement> cost_disagreements;  // in the order they were found
  bool observations_available = false;         // false: no observer output found in this run
  ReportTally totals;
  ReportAdvisors advisors;
  std::vector<ReportInherited> inherited;  // empty: the run started blind
  // This run beside the runs it started from, as `harness runs` shows them: one row per run of `inherited`, in its
  // order (with its error when its dir is gone or cannot be read), then this run; and the important failures this
  // run shares with them. Empty when it started blind, or when loaded with EarlierRuns::named.
  std::vector<RunFigures> compared;
  std::vector<SharedFailure> shared_failures;
  int observations_added = 0;              // first seen by this run's own generations (not inherited)
  int64_t wall_ns = 0;                         // run duration so far
  int64_t generated_ns = 0;
};

constexpr size_t kPatchLimit = 200u << 10;  // a bigger patch is clipped in the report; the file stays whole

// Whether the runs a run started from are opened to fill ReportData::compared, or only named. The figures of a run
// among others (run_figures.h) only name them, so a chain of runs started --from each other is not opened in turn.
enum class EarlierRuns { compared, named };

// Reads the run in `run_dir` through `store` (which must hold the harness tables). `observations`, when given,
// replaces what load_observations() finds (tests; the loop when it has them in memory). Throws ReportError
// (report.h) when run.db holds no run record, trace::StoreError when it cannot be read (an earlier run that cannot
// be read is a row of `compared` with its error, never a throw).
ReportData load_report_data(const std::string& run_dir, trace::Store& store,
                            std::optional<std::vector<ReportObservation>> observations = std::nullopt,
                            EarlierRuns earlier = EarlierRuns::compared);

// The advisors' spans and the meta-agent's and LLM observer's events (report_advisors.cpp).
void fill_advisors(ReportData& d, trace::Store& store);
// The runs it started from (event run.inherited), what its own generations added and, when `earlier` says so, the
// figures of those runs beside its own (report_inherited.cpp).
void fill_inherited(ReportData& d, trace::Store& store, EarlierRuns earlier);
// "40 observations inherited from run a (/runs/a); this run added 7." ("" when it started blind).
std::string inherited_line(const ReportData& d);

// The observer's observations stored in `store`, or nullopt when the run has none stored (no table).
// The only place that knows the observer's table layout.
std::optional<std::vector<ReportObservation>> load_observations(trace::Store& store);

// The compact text tree of the spans under `root_span_id` (sessions, tools, subagents; runs of LLM calls folded).
std::string render_trace_tree(trace::Store& store, const std::string& root_span_id, int max_lines, int* span_count);

}  // namespace harness

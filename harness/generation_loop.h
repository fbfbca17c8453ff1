// The spine of `harness run` and `harness resume`: generation after generation, N agents in parallel (up to
// `concurrency`), each an AgentRun; budgets enforced, stuck agents killed, a checkpoint after every agent and
// every generation, observations fed forward, stop rules applied. Single-threaded: it drives every process
// through env.processes (AgentProcesses), waiting on all of them at once. The run's course is in
// generation_loop.cpp, one generation's in generation_pass.cpp, budgets in generation_budgets.cpp, what a
// resume re-runs in generation_resume.cpp.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "harness/agent_run.h"
#include "harness/generation_plan.h"

namespace harness {

struct LoopResult {
  int exit_code = 1;  // see ExitCode in cli.h
  int validated_fixes = 0;
  std::string stop_reason;
};

// budget.{agent,generation,run} as the ledger's limits.
telemetry::SpendLimits spend_limits(const Config& config);

class GenerationLoop {
 public:
  // How long one wait on the agents' processes lasts at most: timeouts and budgets are checked this often.
  static constexpr std::chrono::milliseconds kPumpInterval{100};

  GenerationLoop(AgentEnvironment& env, GenerationPlanner& planner);
  // Runs (or continues) the run recorded in env.state until done, stopped or interrupted. A store that fails
  // under it (disk full, an I/O error) ends it with a trace::StoreError that says how to resume.
  LoopResult run();

 private:
  enum class GenEnd { completed, interrupted, run_budget, system_failure };
  using ActiveRuns = std::vector<std::unique_ptr<AgentRun>>;
  // One generation while it runs.
  struct Pass {
    int number = 0;
    std::string span_id;
    std::vector<AgentRecord> queue;  // attempts not launched yet, the next one last
    ActiveRuns active;
    bool stop_launching = false;
    std::vector<AgentRecord> failed_in_a_row;  // launches that failed because of Slurm, the latest streak
  };

  // The run's course and its end (generation_loop.cpp).
  LoopResult run_generations();
  LoopResult end_interrupted(int generation);
  LoopResult end_on_system_failure(int generation);
  LoopResult finalize_run(LoopResult result);
  std::string should_stop(int completed_generation);
  void write_reports_now();
  int64_t run_event(const std::string& type, nlohmann::json payload);

  // One generation (generation_pass.cpp).
  GenEnd run_generation(int number);
  GenerationRecord open_generation(int number);
  void launch_ready(Pass& pass);
  void close_unlaunched(Pass& pass);
  // The agents of the pass that just finished, observed one by one (observer.incremental) in slot order.
  void learn_from_finished(Pass& pass);
  void report_lesson(const AgentRecord& agent, const AgentLesson& lesson);
  void interrupt_agents(Pass& pass);
  void pump(ActiveRuns& active, std::chrono::milliseconds timeout);
  GenEnd end_on_system_failure(Pass& pass);
  void finish_generation(GenerationRecord& gen);
  void report_progress(int generation, int total, const ActiveRuns& active);

  // Budgets (generation_budgets.cpp): true when a generation or run budget tripped now.
  bool enforce_budgets(int generation, ActiveRuns& active);
  // The spend of attempts already recorded (a resumed run), into the ledger.
  void seed_ledger();

  // What a resume re-runs (generation_resume.cpp).
  std::vector<AgentRecord> attempts_to_run(int number);
  void discard_unkept_workspaces();
  // Before an interrupted attempt runs again: what it left (Slurm jobs first, then local processes) is ended.
  void end_leftovers(const AgentRecord& attempt);

  AgentEnvironment& env_;
  GenerationPlanner& planner_;
  RunRecord run_;
  bool run_budget_exceeded_ = false;
  int budget_tripped_in_ = 0;
  // When the proxy first refused each agent a call (agent span id -> steady ms); killed kRefusalGraceMs later.
  std::map<std::string, int64_t> refused_at_;
  static constexpr int64_t kRefusalGraceMs = 10'000;       // the generation whose budget tripped (its event is sent once)
  std::string system_stop_reason_;  // set when Slurm failed every launch of a streak (see launch_ready)
  int64_t last_progress_ms_ = 0;
};

}  // namespace harness

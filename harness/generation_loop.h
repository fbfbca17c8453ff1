// The spine of `harness run` and `harness resume`: generation after generation, N agents in parallel (up to
// `concurrency`), each an AgentRun; budgets enforced, stuck agents killed, a checkpoint after every agent and every
// generation, observations fed forward, stop rules applied. Single-threaded: one poll() loop drives every process.
#pragma once

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

class GenerationLoop {
 public:
  GenerationLoop(AgentEnvironment& env, GenerationPlanner& planner);
  // Runs (or continues) the run recorded in env.state until done, stopped or interrupted.
  LoopResult run();

 private:
  enum class GenEnd { completed, interrupted, run_budget, system_failure };
  GenEnd run_generation(int number);
  GenerationRecord open_generation(int number);
  std::vector<AgentRecord> attempts_to_run(int number);
  void discard_unkept_workspaces();
  // Before an interrupted attempt runs again: what it left (Slurm jobs first, then local processes) is ended.
  void end_leftovers(const AgentRecord& attempt);
  void pump(std::vector<std::unique_ptr<AgentRun>>& active, std::chrono::milliseconds timeout);
  bool enforce_budgets(int generation, std::vector<std::unique_ptr<AgentRun>>& active, bool& stop_generation);
  std::string should_stop(int completed_generation);
  void write_reports_now();
  int64_t run_event(const std::string& type, nlohmann::json payload);
  void report_progress(int generation, int total, const std::vector<std::unique_ptr<AgentRun>>& active);

  AgentEnvironment& env_;
  GenerationPlanner& planner_;
  runners::ProcessReactor reactor_;
  RunRecord run_;
  bool run_budget_exceeded_ = false;
  int budget_tripped_in_ = 0;  // the generation whose budget tripped (its event is sent once)
  std::string system_stop_reason_;  // set when Slurm failed every launch of a streak (see run_generation)
  int64_t last_progress_ms_ = 0;
};

}  // namespace harness

// The run's course: generation after generation until the last, a stop rule, an interrupt or a Slurm outage,
// then the run's final record. See generation_loop.h.
#include "harness/generation_loop.h"

#include <fmt/format.h>

#include "harness/exit_codes.h"
#include "harness/report/report.h"

namespace harness {

GenerationLoop::GenerationLoop(AgentEnvironment& env, GenerationPlanner& planner)
    : env_(env), planner_(planner) {}

int64_t GenerationLoop::run_event(const std::string& type, nlohmann::json payload) {
  trace::Event e;
  e.span_id = run_.span_id;
  e.time_ns = env_.clock.wall_ns();
  e.type = type;
  e.payload = std::move(payload);
  return env_.store.put_event(e);
}

void GenerationLoop::write_reports_now() {
  // A report after every generation and when a run stops early, so an interrupted run still has one. Never
  // fatal: the next one replaces it. The final report is (finalize_run).
  auto written = write_reports(env_.dir.root, env_.store);
  if (!written.ok()) env_.progress.log(fmt::format("report: {}", written.error));
}

LoopResult GenerationLoop::run() {
  try {
    return run_generations();
  } catch (const trace::StoreError& e) {
    // Nothing more can be recorded; every transaction committed before stands (each checkpoint is one), and
    // the one that failed was rolled back, so the run continues from its last checkpoint. Exit 3 (exit_codes.h).
    throw trace::StoreError(fmt::format("{}; the run stopped at its last checkpoint: once the disk is fixed, "
                                        "`harness resume {}` continues it",
                                        e.what(), env_.dir.root));
  }
}

LoopResult GenerationLoop::run_generations() {
  run_ = *env_.state.run();
  LoopResult result;
  discard_unkept_workspaces();
  seed_ledger();
  for (int g = 1; g <= env_.config.generations; ++g) {
    auto existing = env_.state.generation(g);
    if (existing && existing->status == GenerationStatus::completed) continue;  // resume: done before, never re-run
    if (g > 1) {
      std::string stop = should_stop(g - 1);
      if (!stop.empty()) {
        result.stop_reason = stop;
        break;
      }
    }
    GenEnd end = run_generation(g);
    if (end == GenEnd::interrupted) return end_interrupted(g);
    if (end == GenEnd::system_failure) return end_on_system_failure(g);
    if (end == GenEnd::run_budget) {
      result.stop_reason = "run budget exceeded";
      break;
    }
  }
  return finalize_run(std::move(result));
}

LoopResult GenerationLoop::end_interrupted(int g) {
  run_.status = RunStatus::interrupted;
  run_.exit_code = kExitInterrupted;
  env_.store.transaction([&] {
    env_.state.save_run(run_);
    run_event("checkpoint.saved", {{"status", "interrupted"}, {"generation", g}});
  });
  write_reports_now();
  env_.progress.log(
      fmt::format("interrupted in generation {}; `harness resume {}` continues", g, env_.dir.root));
  LoopResult result;
  result.exit_code = kExitInterrupted;
  result.stop_reason = "interrupted";
  return result;
}

LoopResult GenerationLoop::end_on_system_failure(int g) {
  // The launches that failed and the slots never launched are left to `harness resume`.
  run_.status = RunStatus::failed;
  run_.exit_code = kExitInfra;
  env_.store.transaction([&] {
    env_.state.save_run(run_);
    run_event("run.stopped", {{"reason", system_stop_reason_}, {"generation", g}, {"exit_code", kExitInfra}});
  });
  write_reports_now();
  env_.progress.log(fmt::format("stopped in generation {}: {}; `harness resume {}` re-runs what did not run",
                                g, system_stop_reason_, env_.dir.root));
  LoopResult result;
  result.exit_code = kExitInfra;
  result.stop_reason = system_stop_reason_;
  return result;
}

LoopResult GenerationLoop::finalize_run(LoopResult result) {
  if (result.stop_reason.empty()) {
    std::string stop = should_stop(env_.config.generations);
    result.stop_reason = stop.empty() ? fmt::format("{} generations done", env_.config.generations) : stop;
  }
  for (const auto& a : env_.state.agents())
    if (is_validated_fix(a)) ++result.validated_fixes;
  result.exit_code = result.validated_fixes > 0 ? kExitOk : kExitNoFix;
  // Set: the run was finalized before and only its final report failed; a resume writes the report again.
  const bool finalized_before = run_.finished_ns != 0;
  run_.status = RunStatus::completed;
  run_.exit_code = result.exit_code;
  if (!finalized_before) run_.finished_ns = env_.clock.wall_ns();
  env_.store.transaction([&] {
    auto span = env_.store.span(run_.span_id);
    if (span) {
      span->end_ns = run_.finished_ns;
      span->status = result.validated_fixes > 0 ? trace::SpanStatus::ok : trace::SpanStatus::error;
      span->attributes["harness.stop_reason"] = result.stop_reason;
      env_.store.put_span(*span);
    }
    env_.state.save_run(run_);
    if (!finalized_before)
      run_event("run.finalized", {{"validated_fixes", result.validated_fixes},
                                  {"stop_reason", result.stop_reason},
                                  {"exit_code", result.exit_code}});
  });
  auto written = write_reports(env_.dir.root, env_.store);
  if (written.ok()) return result;
  // The morning's reader has no report of the finished run: not done yet. Exit 3 (resumable) as for any
  // infrastructure failure; `harness resume` finds the run failed, every generation completed, and writes it.
  std::string reason = "the final report could not be written: " + written.error;
  run_.status = RunStatus::failed;
  run_.exit_code = kExitInfra;
  env_.store.transaction([&] {
    env_.state.save_run(run_);
    run_event("run.stopped", {{"reason", reason}, {"exit_code", kExitInfra}});
  });
  env_.progress.log(fmt::format("{}; `harness resume {}` writes it", reason, env_.dir.root));
  result.exit_code = kExitInfra;
  result.stop_reason = reason;
  return result;
}

std::string GenerationLoop::should_stop(int completed_generation) {
  const StopConfig& stop = env_.config.stop;
  auto agents = env_.state.agents();
  int fixes = 0;
  for (const auto& a : agents)
    if (is_validated_fix(a)) ++fixes;
  if (stop.after_fixes > 0 && fixes >= stop.after_fixes)
    return fmt::format("{} validated fix{} found", fixes, fixes == 1 ? "" : "es");
  if (run_budget_exceeded_) return "run budget exceeded";
  if (stop.wall_clock_s > 0 && (env_.clock.wall_ns() - run_.created_ns) / 1e9 > stop.wall_clock_s)
    return fmt::format("wall-clock limit of {}s reached", stop.wall_clock_s);
  if (stop.no_progress_generations > 0) {
    // Progress: a validated or partial fix, or a new important observation (recorded on the generation span).
    int streak = 0;
    for (int g = completed_generation; g >= 1 && streak < stop.no_progress_generations; --g) {
      bool progress = false;
      for (const auto& a : agents)
        if (a.generation == g && (is_validated_fix(a) || is_partial_fix(a)))
          progress = true;
      auto gen = env_.state.generation(g);
      if (gen) {
        auto span = env_.store.span(gen->span_id);
        if (span && span->attributes.value("harness.new_important_observations", 0) > 0) progress = true;
      }
      if (progress) break;
      ++streak;
    }
    if (streak >= stop.no_progress_generations)
      return fmt::format("no progress in {} generations", stop.no_progress_generations);
  }
  return "";
}

}  // namespace harness

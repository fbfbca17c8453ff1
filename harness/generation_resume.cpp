// What a resumed run does before it runs anything again: an attempt found `running` (the harness died under
// it) or `interrupted` has what it left ended and its workspace discarded, is recorded as interrupted and
// becomes a new pending attempt of the same slot; workspaces the keep policy does not want go. Part of
// GenerationLoop.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harness/generation_loop.h"

namespace harness {

// A harness that died between an agent's checkpoint and the removal of its workspace left one the keep policy
// does not want; one that died between making an attempt's workspace and recording the attempt running
// (AgentRun::start) left one for an attempt still pending, which would then fail to launch. On resume they go
// (kept winners stay).
void GenerationLoop::discard_unkept_workspaces() {
  for (const auto& a : env_.state.agents()) {
    // A running one's processes may be alive still: attempts_to_run() kills them first, then discards.
    if (a.status == AttemptStatus::running || keeps_workspace(env_.config.workspace.keep, a)) continue;
    try {
      env_.workspaces.discard(workspace_name(a));
    } catch (const std::exception& e) {
      env_.progress.log(
          fmt::format("{}: could not remove the workspace of attempt {}: {}", a.id, a.attempt, e.what()));
    }
  }
}

std::vector<AgentRecord> GenerationLoop::attempts_to_run(int number) {
  std::vector<AgentRecord> out;
  for (auto& [slot, a] : latest_attempts(env_.state.agents(number))) {
    if (a.status == AttemptStatus::completed) continue;
    if (a.status == AttemptStatus::pending) {
      out.push_back(a);
      continue;
    }
    // running (the harness died under it) or interrupted (Ctrl-C): kill what is left of it, record it as
    // interrupted and run a new attempt. Generation and slot stay; only the attempt number grows.
    end_leftovers(a);
    // Its workspace holds half-done work nobody will verify; the new attempt starts from the base.
    try {
      env_.workspaces.discard(workspace_name(a));
    } catch (const std::exception& e) {
      env_.progress.log(
          fmt::format("{}: could not remove the workspace of attempt {}: {}", a.id, a.attempt, e.what()));
    }
    AgentRecord old = a;
    old.status = AttemptStatus::interrupted;
    if (old.outcome == AgentOutcome::none) old.outcome = AgentOutcome::interrupted;  // keeps launch_failed
    if (old.end_reason.empty()) old.end_reason = "harness stopped while it ran";
    AgentRecord next = a;
    next.attempt = a.attempt + 1;
    next.status = AttemptStatus::pending;
    next.outcome = AgentOutcome::none;
    next.verify = {};
    next.span_id.clear();
    next.external_id.clear();
    next.changed_files.clear();
    next.end_reason.clear();
    env_.store.transaction([&] {
      env_.state.save_agent(old);
      env_.state.save_agent(next);
    });
    out.push_back(next);
  }
  return out;
}

void GenerationLoop::end_leftovers(const AgentRecord& a) {
  LeftoversEnded ended = env_.processes.end_leftovers(a);
  if (!ended.slurm_jobs.empty()) {
    env_.progress.log(fmt::format("{}: cancelled leftover Slurm job(s) {} of attempt {}", a.id,
                                  fmt::join(ended.slurm_jobs, " "), a.attempt));
    run_event("slurm.leftover_cancelled",
              {{"agent", a.id}, {"attempt", a.attempt}, {"jobs", ended.slurm_jobs}});
  }
  if (!ended.slurm_error.empty()) {
    env_.progress.log(
        fmt::format("{}: leftover Slurm jobs of attempt {}: {}", a.id, a.attempt, ended.slurm_error));
    run_event("slurm.error", {{"agent", a.id}, {"attempt", a.attempt}, {"error", ended.slurm_error}});
  }
  if (ended.processes > 0)
    env_.progress.log(
        fmt::format("{}: killed {} leftover process(es) of attempt {}", a.id, ended.processes, a.attempt));
}

}  // namespace harness

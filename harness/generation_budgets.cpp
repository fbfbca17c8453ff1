// Budgets while a generation runs: an agent over `budget.agent` is killed; over `budget.generation` or
// `budget.run` launching stops and the generation's running agents are killed (a run budget also ends the
// run). Each trip is one budget.exceeded event on the run span. What was spent is the run's SpendLedger: the
// larger of what the LLM proxy saw and what the agents report, so the proxy (which refuses calls once a budget
// is used up) and the loop judge the same figures. Part of GenerationLoop.
#include <fmt/format.h>

#include "harness/generation_loop.h"

namespace harness {

telemetry::SpendLimits spend_limits(const Config& c) {
  return {{c.agent_budget.tokens, c.agent_budget.usd},
          {c.generation_budget.tokens, c.generation_budget.usd},
          {c.run_budget.tokens, c.run_budget.usd}};
}

void GenerationLoop::seed_ledger() {
  // Resume: what earlier attempts spent still counts against the generation and run budgets.
  for (const auto& r : env_.state.agents())
    if (r.status == AttemptStatus::completed || r.status == AttemptStatus::interrupted)
      env_.ledger.seed(r.generation, {r.input_tokens + r.output_tokens, r.cost_usd});
}

bool GenerationLoop::enforce_budgets(int generation, ActiveRuns& active) {
  const telemetry::SpendLimits& limits = env_.ledger.limits();
  for (auto& a : active) {
    if (a->phase() != AgentRun::Phase::running) continue;
    const std::string& id = a->record().span_id;
    const auto& act = a->activity();
    env_.ledger.report_live(id, {act.tokens(), act.usage().cost_usd});
    telemetry::Spend s = env_.ledger.agent(id);
    auto refusal = env_.ledger.refused(id);
    const bool over = limits.agent.exceeded_by(s), refused = refusal && refusal->scope == "agent";
    if (!over && !refused) continue;
    // Refused by the proxy at "used up", or over budget through calls the proxy saw (it refuses the next one):
    // either way it can spend no more, so the CLI gets time to show the error and stop on its own (it ends as
    // killed_budget all the same); one that hangs on is killed after the grace. An agent whose spend the proxy
    // does not see is killed at once: nothing else stops it.
    if (refused || env_.ledger.proxy_calls(id) > 0) {
      auto [at, fresh] = refused_at_.emplace(id, env_.clock.steady_ms());
      if (env_.clock.steady_ms() - at->second < kRefusalGraceMs) continue;
    }
    run_event("budget.exceeded", {{"scope", "agent"}, {"agent", a->record().id}, {"tokens", s.tokens}, {"cost_usd", s.usd}});
    a->kill(AgentOutcome::killed_budget, refusal ? refusal->message()
                                                 : fmt::format("agent budget exceeded ({} tokens, ${:.4f})", s.tokens, s.usd));
  }
  if (!limits.generation.any() && !limits.run.any()) return false;
  // Tripped already: its agents were stopped and the event sent. Agents still verifying keep the totals over
  // the limit, which is no news.
  if (run_budget_exceeded_ || budget_tripped_in_ == generation) return false;
  telemetry::Spend gen = env_.ledger.generation(generation), run = env_.ledger.run();
  // The proxy refuses at "used up" (>=), the loop at "over" (>): a refusal trips the scope it names too.
  bool refused_gen = false, refused_run = false;
  for (auto& a : active)
    if (auto r = env_.ledger.refused(a->record().span_id)) {
      refused_gen = refused_gen || r->scope == "generation";
      refused_run = refused_run || r->scope == "run";
    }
  const char* scope = nullptr;
  if (limits.run.exceeded_by(run) || refused_run) {
    scope = "run";
    run_budget_exceeded_ = true;
  } else if (limits.generation.exceeded_by(gen) || refused_gen) {
    scope = "generation";
  }
  if (!scope) return false;
  budget_tripped_in_ = generation;
  bool run_scope = std::string(scope) == "run";
  run_event("budget.exceeded", {{"scope", scope},
                                {"generation", generation},
                                {"tokens", run_scope ? run.tokens : gen.tokens},
                                {"cost_usd", run_scope ? run.usd : gen.usd}});
  for (auto& a : active) a->request_stop();
  for (auto& a : active)
    if (a->phase() == AgentRun::Phase::running)
      a->kill(AgentOutcome::killed_budget, fmt::format("{} budget exceeded", scope));
  return true;
}

}  // namespace harness

// Budgets while a generation runs: an agent over `budget.agent` is killed; over `budget.generation` or
// `budget.run` launching stops and the generation's running agents are killed (a run budget also ends the
// run). Each trip is one budget.exceeded event on the run span. Part of GenerationLoop.
#include <fmt/format.h>

#include "harness/generation_loop.h"

namespace harness {
namespace {

bool over(const Budget& b, int64_t tokens, double usd) {
  return (b.tokens > 0 && tokens > b.tokens) || (b.usd > 0 && usd > b.usd);
}

bool has_limit(const Budget& b) { return b.tokens > 0 || b.usd > 0; }

}  // namespace

bool GenerationLoop::enforce_budgets(int generation, ActiveRuns& active) {
  const Config& c = env_.config;
  for (auto& a : active) {
    if (a->phase() != AgentRun::Phase::running) continue;
    const auto& act = a->activity();
    if (over(c.agent_budget, act.tokens(), act.usage().cost_usd)) {
      run_event("budget.exceeded", {{"scope", "agent"},
                                    {"agent", a->record().id},
                                    {"tokens", act.tokens()},
                                    {"cost_usd", act.usage().cost_usd}});
      a->kill(AgentOutcome::killed_budget,
              fmt::format("agent budget exceeded ({} tokens, ${:.4f})", act.tokens(), act.usage().cost_usd));
    }
  }
  if (!has_limit(c.generation_budget) && !has_limit(c.run_budget)) return false;
  // Tripped already: its agents were stopped and the event sent. Agents still verifying keep the totals over
  // the limit, which is no news.
  if (run_budget_exceeded_ || budget_tripped_in_ == generation) return false;
  int64_t gen_tokens = 0, run_tokens = 0;
  double gen_usd = 0, run_usd = 0;
  for (const auto& r : env_.state.agents()) {
    if (r.status != AttemptStatus::completed && r.status != AttemptStatus::interrupted) continue;
    run_tokens += r.input_tokens + r.output_tokens;
    run_usd += r.cost_usd;
    if (r.generation == generation) {
      gen_tokens += r.input_tokens + r.output_tokens;
      gen_usd += r.cost_usd;
    }
  }
  for (auto& a : active) {
    if (a->phase() != AgentRun::Phase::running) continue;
    gen_tokens += a->activity().tokens();
    run_tokens += a->activity().tokens();
    gen_usd += a->activity().usage().cost_usd;
    run_usd += a->activity().usage().cost_usd;
  }
  const char* scope = nullptr;
  if (over(c.run_budget, run_tokens, run_usd)) {
    scope = "run";
    run_budget_exceeded_ = true;
  } else if (over(c.generation_budget, gen_tokens, gen_usd)) {
    scope = "generation";
  }
  if (!scope) return false;
  budget_tripped_in_ = generation;
  bool run_scope = std::string(scope) == "run";
  run_event("budget.exceeded", {{"scope", scope},
                                {"generation", generation},
                                {"tokens", run_scope ? run_tokens : gen_tokens},
                                {"cost_usd", run_scope ? run_usd : gen_usd}});
  for (auto& a : active) a->request_stop();
  for (auto& a : active)
    if (a->phase() == AgentRun::Phase::running)
      a->kill(AgentOutcome::killed_budget, fmt::format("{} budget exceeded", scope));
  return true;
}

}  // namespace harness

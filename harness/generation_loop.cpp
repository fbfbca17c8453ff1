#include "harness/generation_loop.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harness/interrupt.h"
#include "harness/launchers.h"
#include "harness/leftovers.h"
#include "harness/report/report.h"
#include "trace/ids.h"

namespace harness {
namespace {

// The latest attempt of each slot.
std::map<int, AgentRecord> latest_attempts(const std::vector<AgentRecord>& agents) {
  std::map<int, AgentRecord> latest;
  for (const auto& a : agents) {
    auto it = latest.find(a.slot);
    if (it == latest.end() || it->second.attempt < a.attempt) latest[a.slot] = a;
  }
  return latest;
}

bool over(const Budget& b, int64_t tokens, double usd) {
  return (b.tokens > 0 && tokens > b.tokens) || (b.usd > 0 && usd > b.usd);
}

}  // namespace

GenerationLoop::GenerationLoop(AgentEnvironment& env, GenerationPlanner& planner) : env_(env), planner_(planner) {
  env_.reactor = &reactor_;
}

int64_t GenerationLoop::run_event(const std::string& type, nlohmann::json payload) {
  trace::Event e;
  e.span_id = run_.span_id;
  e.time_ns = env_.clock.wall_ns();
  e.type = type;
  e.payload = std::move(payload);
  return env_.store.put_event(e);
}

void GenerationLoop::write_reports_now() {
  // A report after every generation and at the end, so an interrupted run still has one. Never fatal.
  auto written = write_reports(env_.dir.root, env_.store);
  if (!written.ok()) env_.progress.log(fmt::format("report: {}", written.error));
}

LoopResult GenerationLoop::run() {
  run_ = *env_.state.run();
  LoopResult result;
  discard_unkept_workspaces();
  for (int g = 1; g <= env_.config.generations; ++g) {
    auto existing = env_.state.generation(g);
    if (existing && existing->status == "completed") continue;  // resume: done before, never re-run
    if (g > 1) {
      std::string stop = should_stop(g - 1);
      if (!stop.empty()) {
        result.stop_reason = stop;
        break;
      }
    }
    GenEnd end = run_generation(g);
    if (end == GenEnd::interrupted) {
      run_.status = "interrupted";
      run_.exit_code = 130;
      env_.store.transaction([&] {
        env_.state.save_run(run_);
        run_event("checkpoint.saved", {{"status", "interrupted"}, {"generation", g}});
      });
      write_reports_now();
      env_.progress.log(fmt::format("interrupted in generation {}; `harness resume {}` continues", g, env_.dir.root));
      result.exit_code = 130;
      result.stop_reason = "interrupted";
      return result;
    }
    if (end == GenEnd::system_failure) {
      // The launches that failed and the slots never launched are left to `harness resume`.
      run_.status = "failed";
      run_.exit_code = 3;
      env_.store.transaction([&] {
        env_.state.save_run(run_);
        run_event("run.stopped", {{"reason", system_stop_reason_}, {"generation", g}, {"exit_code", 3}});
      });
      write_reports_now();
      env_.progress.log(fmt::format("stopped in generation {}: {}; `harness resume {}` re-runs what did not run", g,
                                    system_stop_reason_, env_.dir.root));
      result.exit_code = 3;
      result.stop_reason = system_stop_reason_;
      return result;
    }
    if (end == GenEnd::run_budget) {
      result.stop_reason = "run budget exceeded";
      break;
    }
  }
  if (result.stop_reason.empty()) {
    std::string stop = should_stop(env_.config.generations);
    result.stop_reason = stop.empty() ? fmt::format("{} generations done", env_.config.generations) : stop;
  }
  for (const auto& a : env_.state.agents())
    if (a.status == "completed" && a.verify.passed()) ++result.validated_fixes;
  result.exit_code = result.validated_fixes > 0 ? 0 : 1;
  run_.status = "completed";
  run_.exit_code = result.exit_code;
  run_.finished_ns = env_.clock.wall_ns();
  env_.store.transaction([&] {
    auto span = env_.store.span(run_.span_id);
    if (span) {
      span->end_ns = run_.finished_ns;
      span->status = result.validated_fixes > 0 ? trace::SpanStatus::ok : trace::SpanStatus::error;
      span->attributes["harness.stop_reason"] = result.stop_reason;
      env_.store.put_span(*span);
    }
    env_.state.save_run(run_);
    run_event("run.finalized", {{"validated_fixes", result.validated_fixes}, {"stop_reason", result.stop_reason},
                                {"exit_code", result.exit_code}});
  });
  write_reports_now();
  return result;
}

std::string GenerationLoop::should_stop(int completed_generation) {
  const StopConfig& stop = env_.config.stop;
  auto agents = env_.state.agents();
  int fixes = 0;
  for (const auto& a : agents)
    if (a.status == "completed" && a.verify.passed()) ++fixes;
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
        if (a.generation == g && a.status == "completed" && (a.verify.passed() || a.verify.partial())) progress = true;
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

GenerationRecord GenerationLoop::open_generation(int number) {
  if (auto existing = env_.state.generation(number)) {
    run_event("checkpoint.resumed", {{"generation", number}});
    env_.progress.log(fmt::format("generation {} resumed", number));
    return *existing;
  }
  GenerationRecord gen;
  gen.number = number;
  gen.started_ns = env_.clock.wall_ns();
  gen.span_id = trace::derive_span_id(env_.trace_id, fmt::format("generation:{}", number));
  auto plans = planner_.plan(number, env_.config.population);
  trace::Span span;
  span.trace_id = env_.trace_id;
  span.span_id = gen.span_id;
  span.parent_span_id = run_.span_id;
  span.kind = trace::SpanKind::generation;
  span.name = fmt::format("generation {}", number);
  span.start_ns = gen.started_ns;
  span.attributes = {{"harness.generation", number}};
  // The allocation is saved with the generation: a resumed generation runs exactly the strategies it had.
  env_.store.transaction([&] {
    env_.store.put_span(span);
    env_.state.save_generation(gen);
    for (int slot = 1; slot <= (int)plans.size(); ++slot) {
      AgentRecord a;
      a.id = agent_id(number, slot);
      a.generation = number;
      a.slot = slot;
      a.strategy = plans[slot - 1].strategy;
      a.strategy_json = plans[slot - 1].strategy_json;
      env_.state.save_agent(a);
    }
    trace::Event e;
    e.span_id = gen.span_id;
    e.time_ns = gen.started_ns;
    e.type = "generation.started";
    e.payload = {{"generation", number}, {"population", plans.size()}};
    env_.store.put_event(e);
  });
  env_.progress.log(fmt::format("generation {}/{} started: {} agents", number, env_.config.generations, plans.size()));
  return gen;
}

// A harness that died between an agent's checkpoint and the removal of its workspace left one the keep policy
// does not want. On resume they go (kept winners stay).
void GenerationLoop::discard_unkept_workspaces() {
  for (const auto& a : env_.state.agents()) {
    // A running one's processes may be alive still: attempts_to_run() kills them first, then discards.
    if (a.status == "pending" || a.status == "running" || keeps_workspace(env_.config.workspace.keep, a)) continue;
    try {
      env_.workspaces.discard(workspace_name(a));
    } catch (const std::exception& e) {
      env_.progress.log(fmt::format("{}: could not remove the workspace of attempt {}: {}", a.id, a.attempt, e.what()));
    }
  }
}

std::vector<AgentRecord> GenerationLoop::attempts_to_run(int number) {
  std::vector<AgentRecord> out;
  for (auto& [slot, a] : latest_attempts(env_.state.agents(number))) {
    if (a.status == "completed") continue;
    if (a.status == "pending") {
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
      env_.progress.log(fmt::format("{}: could not remove the workspace of attempt {}: {}", a.id, a.attempt, e.what()));
    }
    AgentRecord old = a;
    old.status = "interrupted";
    if (old.outcome == AgentOutcome::none) old.outcome = AgentOutcome::interrupted;  // keeps launch_failed
    if (old.end_reason.empty()) old.end_reason = "harness stopped while it ran";
    AgentRecord next = a;
    next.attempt = a.attempt + 1;
    next.status = "pending";
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
  std::string run_dir = std::filesystem::absolute(env_.dir.root).string();
  if (uses_slurm(env_.config) || a.external_id.rfind("slurm:", 0) == 0) {
    auto cancelled = cancel_leftover_slurm_jobs(slurm_options(env_.config, 0), slurm_job_name(run_dir, a.id),
                                                a.external_id);
    if (!cancelled.job_ids.empty()) {
      env_.progress.log(fmt::format("{}: cancelled leftover Slurm job(s) {} of attempt {}", a.id,
                                    fmt::join(cancelled.job_ids, " "), a.attempt));
      run_event("slurm.leftover_cancelled", {{"agent", a.id}, {"attempt", a.attempt}, {"jobs", cancelled.job_ids}});
    }
    if (!cancelled.error.empty()) {
      env_.progress.log(fmt::format("{}: leftover Slurm jobs of attempt {}: {}", a.id, a.attempt, cancelled.error));
      run_event("slurm.error", {{"agent", a.id}, {"attempt", a.attempt}, {"error", cancelled.error}});
    }
  }
  int killed = kill_leftover_agent_processes(run_dir, a.id);
  if (killed > 0) env_.progress.log(fmt::format("{}: killed {} leftover process(es) of attempt {}", a.id, killed, a.attempt));
}

GenerationLoop::GenEnd GenerationLoop::run_generation(int number) {
  GenerationRecord gen = open_generation(number);
  std::vector<AgentRecord> queue = attempts_to_run(number);
  std::reverse(queue.begin(), queue.end());  // pop_back() launches slot order
  int total = env_.config.population;
  std::vector<std::unique_ptr<AgentRun>> active;
  bool stop_launching = false;
  GenEnd end = GenEnd::completed;
  // The stop rule for Slurm failures (docs/slurm.md): when as many launches in a row as could run at once failed
  // because of Slurm (controller down, every job rejected), launching stops; the agents already running finish,
  // then the run stops with exit 3 and leaves the failed attempts and the slots never launched to `resume`.
  const int system_failure_limit = std::min(env_.config.concurrency, env_.config.population);
  std::vector<AgentRecord> failed_in_a_row;
  while (!queue.empty() || !active.empty()) {
    if (interrupt_requested()) {
      // All at once first: stubborn agents then cost one kill grace in all, not one each.
      for (auto& a : active) a->request_stop();
      for (auto& a : active) a->kill(AgentOutcome::interrupted, "interrupted (Ctrl-C / TERM)");
      return GenEnd::interrupted;
    }
    if (env_.config.stop.wall_clock_s > 0 &&
        (env_.clock.wall_ns() - run_.created_ns) / 1e9 > env_.config.stop.wall_clock_s && !queue.empty()) {
      stop_launching = true;
    }
    while (!stop_launching && !queue.empty() && (int)active.size() < env_.config.concurrency) {
      AgentRecord next = queue.back();
      queue.pop_back();
      auto run = std::make_unique<AgentRun>(env_, next, gen.span_id, planner_.prompt(next));
      run->start();
      if (run->launched()) {
        failed_in_a_row.clear();
      } else if (!run->system_failure().empty()) {
        failed_in_a_row.push_back(run->record());
        if ((int)failed_in_a_row.size() >= system_failure_limit) {
          system_stop_reason_ = fmt::format("{} launch{} in a row failed because of Slurm: {}", failed_in_a_row.size(),
                                            failed_in_a_row.size() == 1 ? "" : "es", run->system_failure());
          stop_launching = true;
          queue.clear();  // never launched: they stay pending for `resume`
        }
      }
      if (run->phase() != AgentRun::Phase::done) active.push_back(std::move(run));
    }
    if (stop_launching && !queue.empty()) {
      // Slots never launched are closed as such, so the generation can complete and resume does not run them.
      for (auto& a : queue) {
        a.status = "completed";
        a.outcome = AgentOutcome::none;
        a.end_reason = "not launched: stop rule or budget";
        env_.state.save_agent(a);
      }
      queue.clear();
    }
    if (active.empty()) continue;
    pump(active, std::chrono::milliseconds(100));
    for (auto& a : active) a->check_timeouts();
    bool stop_generation = false;
    if (enforce_budgets(number, active, stop_generation)) {
      stop_launching = true;
      if (run_budget_exceeded_) end = GenEnd::run_budget;
    }
    active.erase(std::remove_if(active.begin(), active.end(),
                                [](const auto& a) { return a->phase() == AgentRun::Phase::done; }),
                 active.end());
    report_progress(number, total, active);
  }
  if (!system_stop_reason_.empty()) {
    env_.store.transaction([&] {
      for (AgentRecord a : failed_in_a_row) {
        a.status = "interrupted";  // run again by `resume`; outcome and Slurm's message stay
        env_.state.save_agent(a);
      }
    });
    return GenEnd::system_failure;
  }

  auto agents = env_.state.agents(number);
  gen.status = "completed";
  int fixes = 0, partial = 0;
  for (const auto& [slot, a] : latest_attempts(agents)) {
    fixes += a.verify.passed();
    partial += a.verify.partial();
  }
  GenerationSummary summary;
  // Observations, convergence and the generation's completion commit together: a crash in between re-runs the
  // whole finish on resume instead of counting a generation's observations twice.
  env_.store.transaction([&] {
    summary = planner_.finish_generation(number, agents);
    gen.finished_ns = env_.clock.wall_ns();
    auto span = env_.store.span(gen.span_id);
    if (span) {
      span->end_ns = gen.finished_ns;
      span->status = fixes > 0 ? trace::SpanStatus::ok : trace::SpanStatus::unset;
      span->attributes["harness.validated_fixes"] = fixes;
      span->attributes["harness.partial_fixes"] = partial;
      span->attributes["harness.new_observations"] = summary.new_observations;
      span->attributes["harness.new_important_observations"] = summary.new_important;
      span->attributes["harness.total_observations"] = summary.total_observations;
      env_.store.put_span(*span);
    }
    env_.state.save_generation(gen);
    trace::Event e;
    e.span_id = gen.span_id;
    e.time_ns = gen.finished_ns;
    e.type = "checkpoint.saved";
    e.payload = {{"generation", number}, {"validated_fixes", fixes}, {"partial_fixes", partial}};
    env_.store.put_event(e);
  });
  env_.progress.log(fmt::format("generation {} done: {} validated fix{}, {} partial; {}", number, fixes,
                                fixes == 1 ? "" : "es", partial, summary.note));
  write_reports_now();
  return end;
}

void GenerationLoop::pump(std::vector<std::unique_ptr<AgentRun>>& active, std::chrono::milliseconds timeout) {
  // Output is handed to each AgentRun during wait() (it registered itself); exits come back here.
  auto progress = reactor_.wait(timeout);
  for (const auto& finished : progress.finished)
    for (auto& a : active)
      if (a->process() == finished.process) {
        a->on_exit(finished.status);
        break;
      }
}

bool GenerationLoop::enforce_budgets(int generation, std::vector<std::unique_ptr<AgentRun>>& active,
                                     bool& stop_generation) {
  const Config& c = env_.config;
  bool exceeded = false;
  for (auto& a : active) {
    if (a->phase() != AgentRun::Phase::running) continue;
    const auto& act = a->activity();
    if (over(c.agent_budget, act.tokens(), act.usage().cost_usd)) {
      run_event("budget.exceeded", {{"scope", "agent"}, {"agent", a->record().id}, {"tokens", act.tokens()},
                                    {"cost_usd", act.usage().cost_usd}});
      a->kill(AgentOutcome::killed_budget, fmt::format("agent budget exceeded ({} tokens, ${:.4f})", act.tokens(),
                                                        act.usage().cost_usd));
    }
  }
  if (c.generation_budget.tokens <= 0 && c.generation_budget.usd <= 0 && c.run_budget.tokens <= 0 &&
      c.run_budget.usd <= 0)
    return false;
  // Tripped already: its agents were stopped and the event sent. Agents still verifying keep the totals over
  // the limit, which is no news.
  if (run_budget_exceeded_ || budget_tripped_in_ == generation) return false;
  int64_t gen_tokens = 0, run_tokens = 0;
  double gen_usd = 0, run_usd = 0;
  for (const auto& r : env_.state.agents()) {
    if (r.status != "completed" && r.status != "interrupted") continue;
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
  exceeded = true;
  stop_generation = true;
  run_event("budget.exceeded", {{"scope", scope}, {"generation", generation},
                                {"tokens", std::string(scope) == "run" ? run_tokens : gen_tokens},
                                {"cost_usd", std::string(scope) == "run" ? run_usd : gen_usd}});
  for (auto& a : active) a->request_stop();
  for (auto& a : active)
    if (a->phase() == AgentRun::Phase::running)
      a->kill(AgentOutcome::killed_budget, fmt::format("{} budget exceeded", scope));
  return exceeded;
}

void GenerationLoop::report_progress(int generation, int total,
                                     const std::vector<std::unique_ptr<AgentRun>>& active) {
  int64_t now = env_.clock.steady_ms();
  if (now - last_progress_ms_ < 250) return;  // the view redraws at most 4×/s; no need to query more often
  last_progress_ms_ = now;
  GenerationProgress p;
  p.generation = generation;
  p.generations = env_.config.generations;
  p.total = total;
  for (const auto& [slot, a] : latest_attempts(env_.state.agents(generation)))
    if (a.status == "completed") {
      ++p.done;
      p.validated_fixes += a.verify.passed();
    }
  for (const auto& a : active) {
    AgentProgress ap;
    ap.id = a->record().id;
    ap.strategy = a->record().strategy;
    ap.phase = a->phase() == AgentRun::Phase::verifying ? "verifying" : "running";
    ap.elapsed_ms = a->elapsed_ms();
    ap.tool_calls = a->activity().tool_calls();
    ap.tokens = a->activity().tokens();
    ap.last_action = a->activity().last_action();
    p.running.push_back(std::move(ap));
  }
  env_.progress.update(p);
}

}  // namespace harness

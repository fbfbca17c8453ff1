// One generation: opened (its allocation persisted), its attempts launched up to `concurrency`, driven
// through one wait on all their processes (timeouts, budgets, Ctrl-C, the stop rule for Slurm failures), then
// finished (observer, convergence, checkpoint) in one transaction. Part of GenerationLoop.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "harness/generation_loop.h"
#include "harness/interrupt.h"
#include "trace/ids.h"

namespace harness {

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
  env_.progress.log(
      fmt::format("generation {}/{} started: {} agents", number, env_.config.generations, plans.size()));
  return gen;
}

GenerationLoop::GenEnd GenerationLoop::run_generation(int number) {
  GenerationRecord gen = open_generation(number);
  Pass pass;
  pass.number = number;
  pass.span_id = gen.span_id;
  pass.queue = attempts_to_run(number);
  std::reverse(pass.queue.begin(), pass.queue.end());  // pop_back() launches slot order
  // A resumed generation: attempts that completed before the crash but were not observed yet are observed now,
  // before anything launches, as they would have been.
  for (const auto& [slot, a] : latest_attempts(env_.state.agents(number)))
    if (a.status == AttemptStatus::completed) report_lesson(a, planner_.learn_from_agent(a, pass.queue));
  GenEnd end = GenEnd::completed;
  while (!pass.queue.empty() || !pass.active.empty()) {
    if (interrupt_requested()) {
      interrupt_agents(pass);
      return GenEnd::interrupted;
    }
    if (env_.config.stop.wall_clock_s > 0 &&
        (env_.clock.wall_ns() - run_.created_ns) / 1e9 > env_.config.stop.wall_clock_s &&
        !pass.queue.empty()) {
      pass.stop_launching = true;
    }
    launch_ready(pass);
    close_unlaunched(pass);
    if (pass.active.empty()) continue;
    pump(pass.active, kPumpInterval);
    for (auto& a : pass.active) {
      a->check_loops();
      a->check_timeouts();
    }
    if (enforce_budgets(number, pass.active)) {
      pass.stop_launching = true;
      if (run_budget_exceeded_) end = GenEnd::run_budget;
    }
    learn_from_finished(pass);
    std::erase_if(pass.active, [](const auto& a) { return a->phase() == AgentRun::Phase::done; });
    report_progress(number, env_.config.population, pass.active);
  }
  if (!system_stop_reason_.empty()) return end_on_system_failure(pass);
  finish_generation(gen);
  return end;
}

void GenerationLoop::interrupt_agents(Pass& pass) {
  // All at once first: stubborn agents then cost one kill grace in all, not one each.
  for (auto& a : pass.active) a->request_stop();
  for (auto& a : pass.active) a->kill(AgentOutcome::interrupted, "interrupted (Ctrl-C / TERM)");
}

void GenerationLoop::launch_ready(Pass& pass) {
  // The stop rule for Slurm failures (docs/slurm.md): when as many launches in a row as could run at once
  // failed because of Slurm (controller down, every job rejected), launching stops; the agents already
  // running finish, then the run stops with exit 3 and leaves the failed attempts and the slots never
  // launched to `resume`.
  const int system_failure_limit = std::min(env_.config.concurrency, env_.config.population);
  while (!pass.stop_launching && !pass.queue.empty() && (int)pass.active.size() < env_.config.concurrency) {
    AgentRecord next = pass.queue.back();
    pass.queue.pop_back();
    auto run = std::make_unique<AgentRun>(env_, next, pass.span_id, planner_.prompt(next));
    run->start();
    if (run->launched()) {
      pass.failed_in_a_row.clear();
    } else if (!run->system_failure().empty()) {
      pass.failed_in_a_row.push_back(run->record());
      if ((int)pass.failed_in_a_row.size() >= system_failure_limit) {
        system_stop_reason_ =
            fmt::format("{} launch{} in a row failed because of Slurm: {}", pass.failed_in_a_row.size(),
                        pass.failed_in_a_row.size() == 1 ? "" : "es", run->system_failure());
        pass.stop_launching = true;
        pass.queue.clear();  // never launched: they stay pending for `resume`
      }
    }
    if (run->phase() != AgentRun::Phase::done) pass.active.push_back(std::move(run));
  }
}

void GenerationLoop::learn_from_finished(Pass& pass) {
  // Slot order when several finished in the same wait, so a run's observation ids do not depend on the order
  // the processes' exits were read in.
  std::vector<const AgentRun*> done;
  for (const auto& a : pass.active)
    if (a->phase() == AgentRun::Phase::done) done.push_back(a.get());
  std::sort(done.begin(), done.end(), [](const auto* x, const auto* y) { return x->record().slot < y->record().slot; });
  for (const auto* a : done) report_lesson(a->record(), planner_.learn_from_agent(a->record(), pass.queue));
}

void GenerationLoop::report_lesson(const AgentRecord& agent, const AgentLesson& lesson) {
  if (!lesson.observed) return;
  if (lesson.new_observations > 0)
    env_.progress.log(fmt::format("{} observed: {} new observation{} ({} in all) for the agents still to launch",
                                  agent.id, lesson.new_observations, lesson.new_observations == 1 ? "" : "s",
                                  lesson.total_observations));
  for (const auto& m : lesson.moved)
    env_.progress.log(fmt::format("{} moved from {} to {}: {} failed the same way ({})", m.agent_id, m.from, m.to,
                                  fmt::join(m.failed_agents, " and "), m.observation));
  if (!lesson.write_error.empty()) env_.progress.log(fmt::format("observations.md: {}", lesson.write_error));
}

void GenerationLoop::close_unlaunched(Pass& pass) {
  if (!pass.stop_launching || pass.queue.empty()) return;
  // Slots never launched are closed as such, so the generation can complete and resume does not run them.
  for (auto& a : pass.queue) {
    a.status = AttemptStatus::completed;
    a.outcome = AgentOutcome::none;
    a.end_reason = "not launched: stop rule or budget";
    env_.state.save_agent(a);
  }
  pass.queue.clear();
}

void GenerationLoop::pump(ActiveRuns& active, std::chrono::milliseconds timeout) {
  // Output is handed to each AgentRun during wait() (it gave a handler at start); exits come back here.
  for (const auto& exit : env_.processes.wait(timeout))
    for (auto& a : active)
      if (a->process() == exit.process) {
        a->on_exit(exit);
        break;
      }
}

GenerationLoop::GenEnd GenerationLoop::end_on_system_failure(Pass& pass) {
  env_.store.transaction([&] {
    for (AgentRecord a : pass.failed_in_a_row) {
      a.status = AttemptStatus::interrupted;  // run again by `resume`; outcome and Slurm's message stay
      env_.state.save_agent(a);
    }
  });
  return GenEnd::system_failure;
}

void GenerationLoop::finish_generation(GenerationRecord& gen) {
  const int number = gen.number;
  auto agents = env_.state.agents(number);
  gen.status = GenerationStatus::completed;
  int fixes = 0, partial = 0;
  for (const auto& [slot, a] : latest_attempts(agents)) {
    fixes += a.verify.passed();
    partial += a.verify.partial();
  }
  // The slow part first, holding no transaction: the receiver and proxy threads keep writing meanwhile.
  planner_.observe_generation(number, agents);
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
}

void GenerationLoop::report_progress(int generation, int total, const ActiveRuns& active) {
  int64_t now = env_.clock.steady_ms();
  if (now - last_progress_ms_ < 250) return;  // the view redraws at most 4×/s; no need to query more often
  last_progress_ms_ = now;
  GenerationProgress p;
  p.generation = generation;
  p.generations = env_.config.generations;
  p.total = total;
  for (const auto& [slot, a] : latest_attempts(env_.state.agents(generation)))
    if (a.status == AttemptStatus::completed) {
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

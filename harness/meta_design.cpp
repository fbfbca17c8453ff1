// design_with_meta_agent: see meta_design.h.
#include "harness/meta_design.h"

#include <fmt/format.h>

#include "observer/shell_command.h"
#include "strategies/meta_agent.h"

namespace harness {
namespace {

void run_event(AgentEnvironment& env, const std::string& type, nlohmann::json payload) {
  auto run = env.state.run();
  if (!run) return;
  trace::Event e;
  e.span_id = run->span_id;
  e.time_ns = env.clock.wall_ns();
  e.type = type;
  e.payload = std::move(payload);
  env.store.put_event(e);
}

}  // namespace

std::vector<strategies::Strategy> design_with_meta_agent(AgentEnvironment& env, Advisor* advisor,
                                                         const MetaDesignRequest& in) {
  const int number = in.generation;
  strategies::MetaAgentRequest request;
  const std::string preset = advisor ? env.config.strategies.meta : "";
  request.command = advisor ? "strategies.meta " + preset : env.config.strategies.meta_command;
  request.label = advisor ? "meta-agent " + preset : "meta.command";
  request.retries = advisor ? 1 : 0;
  request.generation = number;
  request.slots = in.slots;
  request.digest = in.digest;
  request.observations = in.observations;
  request.known = in.known;
  request.stats = in.stats;
  strategies::CommandRunner runner;
  if (advisor) {
    // The question is about the generation it read (its span goes under that generation's observer span).
    runner = [advisor, number](const std::string&, const std::string& input) {
      nlohmann::json doc = nlohmann::json::parse(input, nullptr, false);
      AdvisorOutcome o = advisor->ask(number - 1, doc, doc.contains("previous_error") ? 2 : 1);
      return strategies::CommandOutcome{o.output, o.error};
    };
  } else {
    runner = [&env](const std::string& command, const std::string& input) {
      observer::ShellCommandOptions opts;
      opts.timeout_s = env.config.observer.command_timeout_s;
      auto r = observer::run_shell_command(command, input, opts);
      return strategies::CommandOutcome{r.output, r.error};
    };
  }
  auto meta = strategies::plan_with_meta_agent(request, runner, in.fallback);
  nlohmann::json base = {{"generation", number}, {"attempts", meta.attempts}};
  if (advisor) base["preset"] = preset;
  if (!meta.retried_error.empty()) {
    nlohmann::json p = base;
    p["error"] = meta.retried_error;
    run_event(env, "meta.retried", p);
  }
  if (!meta.from_meta_agent) {
    env.progress.log(fmt::format("{} failed, using the {} policy: {}", request.label,
                                 env.config.strategies.allocation, meta.error));
    base["error"] = meta.error;
    base["policy"] = env.config.strategies.allocation;
    run_event(env, "meta.failed", base);
    return in.fallback;
  }
  nlohmann::json proposed = nlohmann::json::array();
  for (size_t i = 0; i < meta.proposals.size() && i < meta.strategies.size(); ++i) {
    const auto& p = meta.proposals[i];
    const auto& s = meta.strategies[i];
    proposed.push_back({{"slot", i + 1}, {"name", p.name}, {"new", p.is_new}, {"based_on", p.based_on},
                        {"why", p.why}, {"observations", p.observations}, {"params", s.params}, {"model", s.model}});
    if (p.is_new)
      env.progress.log(fmt::format("{} proposed a new strategy for generation {}: {}{}", request.label, number,
                                   p.name, p.why.empty() ? "" : " (" + p.why + ")"));
  }
  base["strategies"] = proposed;
  run_event(env, "meta.proposed", base);
  return meta.strategies;
}

}  // namespace harness

// The paragraph `harness validate` prints: what a run of this config would do, in one breath.
#include <fmt/format.h>

#include "harness/config/config.h"
#include "harness/config/config_text.h"

namespace harness {
namespace {

std::string plural(int64_t n, const std::string& one, const std::string& many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string budget_text(const char* scope, const Budget& b) {
  std::vector<std::string> parts;
  if (b.tokens > 0) parts.push_back(fmt::format("{} tokens", b.tokens));
  if (b.usd > 0) parts.push_back(fmt::format("${:.2f}", b.usd));
  return parts.empty() ? "" : fmt::format("{} {}", join(parts, " and "), scope);
}

}  // namespace

std::string describe_config(const Config& c) {
  std::vector<std::string> s;
  s.push_back(fmt::format("Run '{}': up to {} of {} ({} at a time) on {} at {}.", c.name,
                          plural(c.generations, "generation", "generations"), plural(c.population, "agent", "agents"),
                          c.concurrency, c.target.repo, c.target.base_ref));
  std::string runner = c.runner.preset.empty() ? "a custom runner" : fmt::format("runner '{}'", c.runner.preset);
  std::string program = c.runner.command.empty() ? "no command" : c.runner.command[0];
  s.push_back(fmt::format("Agents: {} ({}{}), {} output, killed after {} or {} idle.", runner, program,
                          c.runner.command.size() > 1 ? " ..." : "", c.runner.format,
                          format_duration(c.runner.wall_timeout_s), format_duration(c.runner.idle_timeout_s)));
  std::string verify = fmt::format("Verify: `{}`", c.verify.command);
  if (c.verify.repeat > 1) verify += fmt::format(", all of {} runs must pass", c.verify.repeat);
  verify += fmt::format(", each within {}", format_duration(c.verify.timeout_s));
  if (!c.verify.protected_paths.empty())
    verify += fmt::format(", {} restored first", plural(c.verify.protected_paths.size(), "protected path",
                                                        "protected paths"));
  verify += c.verify.baseline ? "; it must fail on the base first." : "; no baseline check.";
  s.push_back(verify);
  std::vector<std::string> names;
  for (const auto& strategy : c.strategies.list) names.push_back(strategy.name);
  s.push_back(names.empty() ? fmt::format("Strategies: the built-in default, {}.", c.strategies.allocation)
                            : fmt::format("Strategies ({}): {}.", c.strategies.allocation, join(names)));
  std::vector<std::string> stops;
  if (c.stop.after_fixes > 0) stops.push_back(fmt::format("after {}", plural(c.stop.after_fixes, "validated fix",
                                                                            "validated fixes")));
  if (c.stop.no_progress_generations > 0)
    stops.push_back(fmt::format("after {} without progress",
                                plural(c.stop.no_progress_generations, "generation", "generations")));
  if (c.stop.wall_clock_s > 0) stops.push_back(fmt::format("after {}", format_duration(c.stop.wall_clock_s)));
  s.push_back(stops.empty() ? "Stops after the last generation." : "Stops " + join(stops, " or ") + ".");
  std::vector<std::string> budgets;
  for (auto [scope, b] : {std::pair{"per agent", &c.agent_budget}, std::pair{"per generation", &c.generation_budget},
                          std::pair{"per run", &c.run_budget}})
    if (auto text = budget_text(scope, *b); !text.empty()) budgets.push_back(text);
  s.push_back(budgets.empty() ? "No budgets." : "Budgets: " + join(budgets, ", ") + ".");
  s.push_back(fmt::format("Workspaces kept: {}. Config hash {}.", c.workspace.keep, c.hash.substr(0, 12)));
  return join(s, " ");
}

}  // namespace harness

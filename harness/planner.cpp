// INTERIM planner until observer/ and strategies/ land: round-robin strategies, a plain prompt, no observations.
#include "harness/planner.h"

#include <fmt/format.h>

namespace harness {
namespace {

class InterimPlanner : public GenerationPlanner {
 public:
  explicit InterimPlanner(AgentEnvironment& env) : env_(env) {}
  std::vector<SlotPlan> plan(int number, int population) override {
    std::vector<SlotPlan> out;
    const auto& list = env_.config.strategies.list;
    for (int slot = 0; slot < population; ++slot) {
      SlotPlan p;
      if (list.empty()) {
        p.strategy = "default";
      } else {
        const auto& s = list[(slot + number - 1) % list.size()];
        p.strategy = s.name;
        p.strategy_json = {{"name", s.name}, {"params", s.params}, {"model", s.model}};
      }
      out.push_back(p);
    }
    return out;
  }
  std::string prompt(const AgentRecord& a) override {
    return fmt::format("# Bug\n{}\n\n# Strategy: {}\n{}\n\n# Generation {}\n", env_.config.target.bug, a.strategy,
                       a.strategy_json.dump(2), a.generation);
  }
  GenerationSummary finish_generation(int, const std::vector<AgentRecord>&) override { return {}; }

 private:
  AgentEnvironment& env_;
};

}  // namespace

std::unique_ptr<GenerationPlanner> make_planner(AgentEnvironment& env) { return std::make_unique<InterimPlanner>(env); }

}  // namespace harness

// The headline every report format opens with: was a validated fix found, by whom, and how far the run got.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harness/report/report.h"
#include "harness/report/report_text.h"

namespace harness {

Headline make_headline(const ReportData& d) {
  Headline h;
  const int gens = static_cast<int>(d.generations.size());
  const std::string status(to_string(d.run.status));
  h.status = fmt::format("run {}: {}", d.run.id.empty() ? "?" : d.run.id, status);
  if (d.finished || d.run.exit_code >= 0) h.status += fmt::format(", exit {}", d.run.exit_code);
  if (!d.stop_reason.empty()) h.status += ", " + d.stop_reason;
  if (d.winner) {
    const AgentRecord& a = d.winner->agent;
    h.fix_found = true;
    h.title = "Validated fix found";
    h.detail = fmt::format("by {} (strategy {}) in generation {}", a.id, a.strategy, a.generation);
    if (d.totals.validated_fixes > 1) h.detail += fmt::format("; {} validated fixes in all", d.totals.validated_fixes);
  } else {
    const std::string progress =
        d.planned_generations > 0 ? fmt::format("{} of {} generations", gens, d.planned_generations)
                                  : fmt::format("{} generation{}", gens, gens == 1 ? "" : "s");
    if (d.run.status == RunStatus::interrupted) {
      h.title = "Run interrupted: no validated fix yet";
      h.detail = fmt::format("stopped during {}, {} agents", progress, d.totals.agents);
    } else if (!d.finished) {
      h.title = "Run in progress: no validated fix yet";
      h.detail = fmt::format("partial report after {}, {} agents", progress, d.totals.agents);
    } else {
      h.title = "No validated fix";
      h.detail = fmt::format("after {}, {} agents", progress, d.totals.agents);
    }
    if (d.best_partial)
      h.detail += fmt::format("; closest: {} (strategy {}) passed {}/{} verify repeats", d.best_partial->id,
                              d.best_partial->strategy, d.best_partial->verify.passes,
                              d.best_partial->verify.repeats);
  }
  if (d.sandbox == "unconfined")
    h.warning = "agents ran unconfined (no sandbox): " +
                (d.sandbox_warning.empty() ? std::string("the sandbox could not be used here") : d.sandbox_warning);
  if (!d.cost_disagreements.empty()) {
    const auto& c = d.cost_disagreements;
    std::vector<std::string> parts;
    for (size_t i = 0; i < c.size() && i < 3; ++i)
      parts.push_back(fmt::format("{} stated {}, priced {}", c[i].agent, report_text::cost(c[i].stated_usd),
                                  report_text::cost(c[i].priced_usd)));
    std::string more = c.size() > 3 ? fmt::format(" and {} more", c.size() - 3) : "";
    h.cost_note = fmt::format(
        "the CLI's stated cost and the price table ({}) disagree by more than 10% for {} agent{}: {}{}; the "
        "budgets count the larger, budget.prices can correct the table",
        c.front().price_table.empty() ? "built in" : c.front().price_table, c.size(), c.size() == 1 ? "" : "s",
        fmt::join(parts, "; "), more);
  }
  if (d.run.status == RunStatus::interrupted) h.resume_hint = fmt::format("harness resume {}", d.run_dir);
  return h;
}

}  // namespace harness

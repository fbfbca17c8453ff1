// junit.xml: one testcase per generation, failed when the generation produced no validated fix, with its top
// observations as the failure message, so a CI system lists the run like a test suite.
#include <fmt/format.h>

#include "harness/report/report.h"
#include "harness/report/report_text.h"

namespace rt = harness::report_text;

namespace harness {
namespace {

constexpr size_t kMessageObservations = 3;

// The observations a generation is best summed up by: first those it found, then those it saw again.
std::vector<const ReportObservation*> top_observations(const ReportData& d, int generation, size_t max) {
  std::vector<const ReportObservation*> out;
  for (const auto& o : d.observations)
    if (o.first_gen == generation && out.size() < max) out.push_back(&o);
  for (const auto& o : d.observations)
    if (o.first_gen < generation && o.last_gen >= generation && out.size() < max) out.push_back(&o);
  return out;
}

std::string failure_message(const ReportData& d, const ReportGeneration& g) {
  std::string message = g.status == GenerationStatus::completed ? "no validated fix" : "no validated fix (generation not finished)";
  if (g.tally.partial_fixes > 0) message += fmt::format(", {} partial", g.tally.partial_fixes);
  auto top = top_observations(d, g.number, kMessageObservations);
  if (!top.empty()) message += "; top observations:";
  for (size_t i = 0; i < top.size(); ++i)
    message += fmt::format("{} {} [{}] {}", i ? ";" : "", top[i]->id, top[i]->priority, rt::one_line(top[i]->text, 160));
  return message;
}

std::string failure_body(const ReportData& d, const ReportGeneration& g) {
  std::string body;
  for (const auto* o : top_observations(d, g.number, 20))
    body += fmt::format("{} [{}] {} (seen {}x, generations {}-{})\n", o->id, o->priority, o->text, o->count,
                        o->first_gen, o->last_gen);
  for (const auto& r : g.ruled_out)
    body += fmt::format("ruled out: {} ({}) verify {} {}/{}{}\n", r.agent, r.strategy, r.verify.label(),
                        r.verify.passes, r.verify.repeats,
                        r.verify.first_failure.empty() ? "" : ": " + r.verify.first_failure);
  for (const auto& [path, n] : g.files_changed) body += fmt::format("changed: {} ({} agents)\n", path, n);
  return body;
}

}  // namespace

std::string render_junit(const ReportData& d) {
  int failures = 0;
  double total_s = 0;
  for (const auto& g : d.generations) {
    failures += g.tally.validated_fixes == 0;
    total_s += rt::seconds(g.wall_ns);
  }
  const std::string suite = rt::xml_escape("harness run " + d.run.id);
  const std::string classname = rt::xml_escape("harness." + (d.name.empty() ? d.run.id : d.name));
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"harness\" tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"{:.3f}\">\n",
                     d.generations.size(), failures, total_s);
  out += fmt::format(
      "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\" time=\"{:.3f}\"{}>\n", suite,
      d.generations.size(), failures, total_s,
      d.run.created_ns > 0 ? fmt::format(" timestamp=\"{}\"", rt::iso_time(d.run.created_ns).substr(0, 19)) : "");
  out += "    <properties>\n";
  auto property = [&](const std::string& name, const std::string& value) {
    out += fmt::format("      <property name=\"{}\" value=\"{}\"/>\n", name, rt::xml_escape(value));
  };
  property("run_id", d.run.id);
  property("status", std::string(to_string(d.run.status)));
  property("validated_fixes", std::to_string(d.totals.validated_fixes));
  property("cost_usd", fmt::format("{:.4f}", d.totals.cost_usd));
  if (d.winner) property("winner", d.winner->agent.id);
  out += "    </properties>\n";
  for (const auto& g : d.generations) {
    out += fmt::format("    <testcase classname=\"{}\" name=\"generation {:02}\" time=\"{:.3f}\"", classname,
                       g.number, rt::seconds(g.wall_ns));
    if (g.tally.validated_fixes > 0) {
      std::string fixed_by;
      for (const auto& a : d.attempts)
        if (a.generation == g.number && is_validated_fix(a))
          fixed_by += fmt::format("{}{} ({}, verify {}/{})", fixed_by.empty() ? "" : ", ", a.id, a.strategy,
                                  a.verify.passes, a.verify.repeats);
      out += fmt::format(">\n      <system-out>{}</system-out>\n    </testcase>\n",
                         rt::xml_escape("validated fix by " + fixed_by));
      continue;
    }
    out += fmt::format(">\n      <failure type=\"NoValidatedFix\" message=\"{}\">{}</failure>\n",
                       rt::xml_escape(failure_message(d, g)), rt::xml_escape(failure_body(d, g)));
    out += fmt::format("      <system-out>{}</system-out>\n    </testcase>\n",
                       rt::xml_escape(fmt::format("{} agents, {} partial fixes, {} kills, {} tokens, ${:.4f}",
                                                  g.tally.agents, g.tally.partial_fixes, g.tally.kills,
                                                  g.tally.tokens(), g.tally.cost_usd)));
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace harness

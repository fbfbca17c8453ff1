// summary.json: the report for machines (CI, dashboards). Its schema is docs/summary.schema.json, described in
// docs/summary-schema.md; a change to the shape bumps kSummarySchemaVersion. Keys keep the report's order.
#include <cmath>

#include <nlohmann/json.hpp>

#include "harness/report/report.h"
#include "harness/report/report_text.h"

namespace rt = harness::report_text;

namespace harness {
namespace {

using SummaryJson = nlohmann::ordered_json;
constexpr int kSummarySchemaVersion = 2;  // 2: totals.advisors, generations[].design and advisor_notes

double money(double usd) { return std::round(usd * 1e6) / 1e6; }
SummaryJson time_or_null(int64_t ns) { return ns > 0 ? SummaryJson(rt::iso_time(ns)) : SummaryJson(nullptr); }
SummaryJson text(std::string_view s) { return rt::valid_utf8(s); }

SummaryJson strings(const std::vector<std::string>& items) {
  SummaryJson out = SummaryJson::array();
  for (const auto& s : items) out.push_back(text(s));
  return out;
}

SummaryJson tally(const ReportTally& t) {
  return {{"agents", t.agents},
          {"attempts", t.attempts},
          {"validated_fixes", t.validated_fixes},
          {"partial_fixes", t.partial_fixes},
          {"kills", t.kills},
          {"crashes", t.crashes},
          {"input_tokens", t.input_tokens},
          {"output_tokens", t.output_tokens},
          {"tokens", t.tokens()},
          {"cost_usd", money(t.cost_usd)},
          {"agent_time_s", rt::seconds(t.agent_time_ns)}};
}

SummaryJson verify(const VerifyResult& v) {
  return {{"result", v.label()}, {"passes", v.passes}, {"repeats", v.repeats}, {"first_failure", text(v.first_failure)}};
}

SummaryJson winner(const ReportData& d) {
  if (!d.winner) return nullptr;
  const auto& w = *d.winner;
  const AgentRecord& a = w.agent;
  return {{"agent", a.id},
          {"generation", a.generation},
          {"slot", a.slot},
          {"attempt", a.attempt},
          {"strategy", text(a.strategy)},
          {"verify", {{"command", text(d.verify_command)}, {"passes", a.verify.passes}, {"repeats", a.verify.repeats}}},
          {"changed_files", strings(a.changed_files)},
          {"patch_path", w.patch_path.empty() ? SummaryJson(nullptr) : SummaryJson(w.patch_path)},
          {"patch_clipped", w.patch_clipped},
          {"tokens", a.input_tokens + a.output_tokens},
          {"cost_usd", money(a.cost_usd)},
          {"duration_s", rt::seconds(a.finished_ns > a.started_ns ? a.finished_ns - a.started_ns : 0)},
          {"trace_spans", w.trace_spans},
          {"trace_tree", text(w.trace_tree)}};
}

SummaryJson generation(const ReportData& d, const ReportGeneration& g) {
  SummaryJson learned = SummaryJson::array(), files = SummaryJson::array(), ruled_out = SummaryJson::array();
  for (size_t i : g.learned) learned.push_back(text(d.observations[i].id));
  for (const auto& [path, n] : g.files_changed) files.push_back({{"path", text(path)}, {"agents", n}});
  for (const auto& r : g.ruled_out)
    ruled_out.push_back({{"agent", r.agent}, {"strategy", text(r.strategy)}, {"changed_files", strings(r.files)},
                         {"verify", verify(r.verify)}});
  SummaryJson out = {{"number", g.number},
              {"status", std::string(to_string(g.status))},
              {"started_at", time_or_null(g.started_ns)},
              {"finished_at", time_or_null(g.finished_ns)},
              {"wall_time_s", rt::seconds(g.wall_ns)}};
  out.update(tally(g.tally));
  out["learned"] = learned;
  out["strategies"] = strings(g.strategies);
  out["changed_files"] = files;
  out["ruled_out"] = ruled_out;
  out["design"] = strings(g.design_lines);
  out["advisor_notes"] = strings(g.advisor_notes);
  return out;
}

SummaryJson agent(const AgentRecord& a) {
  return {{"id", a.id},
          {"generation", a.generation},
          {"slot", a.slot},
          {"attempt", a.attempt},
          {"strategy", text(a.strategy)},
          {"status", std::string(to_string(a.status))},
          {"outcome", std::string(to_string(a.outcome))},
          {"verify", verify(a.verify)},
          {"started_at", time_or_null(a.started_ns)},
          {"finished_at", time_or_null(a.finished_ns)},
          {"duration_s", rt::seconds(a.started_ns > 0 && a.finished_ns > a.started_ns ? a.finished_ns - a.started_ns : 0)},
          {"input_tokens", a.input_tokens},
          {"output_tokens", a.output_tokens},
          {"cost_usd", money(a.cost_usd)},
          {"tool_calls", a.tool_calls},
          {"tool_errors", a.tool_errors},
          {"changed_files", strings(a.changed_files)},
          {"end_reason", text(a.end_reason)}};
}

}  // namespace

nlohmann::ordered_json summary_json(const ReportData& d) {
  Headline h = make_headline(d);
  SummaryJson out;
  out["schema"] = "harness.summary";
  out["schema_version"] = kSummarySchemaVersion;
  out["generated_at"] = rt::iso_time(d.generated_ns);
  out["partial"] = !d.finished;
  out["run"] = {{"id", text(d.run.id)},
                {"name", text(d.name)},
                {"status", std::string(to_string(d.run.status))},
                {"exit_code", d.run.exit_code >= 0 ? SummaryJson(d.run.exit_code) : SummaryJson(nullptr)},
                {"stop_reason", text(d.stop_reason)},
                {"config_hash", d.run.config_hash},
                {"seed", d.run.seed},
                {"started_at", time_or_null(d.run.created_ns)},
                {"finished_at", time_or_null(d.run.finished_ns)},
                {"wall_time_s", rt::seconds(d.wall_ns)},
                {"planned_generations", d.planned_generations},
                {"sandbox", d.sandbox.empty() ? SummaryJson(nullptr) : SummaryJson(d.sandbox)},
                {"run_dir", text(d.run_dir)}};
  out["headline"] = {{"validated_fix", h.fix_found}, {"title", h.title}, {"detail", text(h.detail)},
                     {"resume_command", h.resume_hint.empty() ? SummaryJson(nullptr) : SummaryJson(text(h.resume_hint))},
                     {"warning", h.warning.empty() ? SummaryJson(nullptr) : SummaryJson(text(h.warning))},
                     {"cost_note", h.cost_note.empty() ? SummaryJson(nullptr) : SummaryJson(text(h.cost_note))}};
  out["winner"] = winner(d);
  SummaryJson convergence = SummaryJson::array(), generations = SummaryJson::array(), strategies = SummaryJson::array();
  for (const auto& g : d.generations) {
    convergence.push_back({{"generation", g.number},
                           {"total_observations", g.total_observations},
                           {"new_observations", g.new_observations},
                           {"new_important_observations", g.new_important},
                           {"validated_fixes", g.tally.validated_fixes},
                           {"partial_fixes", g.tally.partial_fixes},
                           {"from_observer", g.observer_figures}});
    generations.push_back(generation(d, g));
  }
  for (const auto& s : d.strategies) {
    SummaryJson row = {{"name", text(s.name)}};
    row.update(tally(s.tally));
    strategies.push_back(std::move(row));
  }
  out["convergence"] = convergence;
  out["generations"] = generations;
  out["strategies"] = strategies;
  SummaryJson observations = SummaryJson::array();
  for (const auto& o : d.observations)
    observations.push_back({{"id", text(o.id)},
                            {"priority", text(o.priority)},
                            {"kind", text(o.kind)},
                            {"text", text(o.text)},
                            {"count", o.count},
                            {"first_generation", o.first_gen},
                            {"last_generation", o.last_gen},
                            {"evidence", strings(o.evidence)}});
  out["observations_available"] = d.observations_available;
  out["observations"] = observations;
  SummaryJson agents = SummaryJson::array();
  for (const auto& a : d.attempts) agents.push_back(agent(a));
  out["agents"] = agents;
  SummaryJson totals = tally(d.totals);
  totals["wall_time_s"] = rt::seconds(d.wall_ns);
  totals["advisors"] = {{"questions", d.advisors.questions},       {"failed", d.advisors.failed},
                        {"llm_calls", d.advisors.llm_calls},       {"input_tokens", d.advisors.input_tokens},
                        {"output_tokens", d.advisors.output_tokens}, {"tokens", d.advisors.tokens()},
                        {"cost_usd", d.advisors.cost_usd}};
  out["totals"] = totals;
  return out;
}

std::string render_summary_json(const ReportData& d) {
  return summary_json(d).dump(2, ' ', false, SummaryJson::error_handler_t::replace) + "\n";
}

}  // namespace harness

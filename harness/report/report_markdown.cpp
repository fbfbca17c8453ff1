// report.md: ReportData turned into Mustache data and rendered with templates/report.md.mustache. Variables are
// escaped for Markdown table cells ({{x}}); blocks that must stay verbatim (the patch, the trace tree) use {{{x}}}
// inside a fence chosen longer than any backtick run they contain.
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <kainjow/mustache.hpp>

#include "harness/config/config_presets.h"
#include "harness/report/report.h"
#include "harness/report/report_text.h"

namespace rt = harness::report_text;

namespace harness {
namespace {

using Data = kainjow::mustache::data;
constexpr size_t kTopObservations = 20;
constexpr size_t kRuledOutShown = 10;  // per generation; the agents table lists them all

Data list() { return Data(Data::type::list); }
Data flag(bool b) { return Data(b ? Data::type::bool_true : Data::type::bool_false); }

Data tally_row(const std::string& label, const ReportTally& t, int64_t wall_ns) {
  Data row;
  row.set("label", label);
  row.set("agents", std::to_string(t.agents));
  row.set("attempts", std::to_string(t.attempts));
  row.set("fixes", std::to_string(t.validated_fixes));
  row.set("partial", std::to_string(t.partial_fixes));
  row.set("kills", std::to_string(t.kills));
  row.set("crashes", std::to_string(t.crashes));
  row.set("tokens", rt::tokens(t.tokens()));
  row.set("cost", rt::cost(t.cost_usd));
  row.set("agent_time", rt::duration(t.agent_time_ns));
  row.set("wall_time", wall_ns > 0 ? rt::duration(wall_ns) : std::string("–"));
  return row;
}

// Blocks end with a newline so the closing fence that follows them in the template starts a line.
std::string with_final_newline(std::string s) {
  if (!s.empty() && s.back() != '\n') s += '\n';
  return s;
}

std::string joined(const std::vector<std::string>& items, size_t max) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < max; ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > max) out += fmt::format(" (+{} more)", items.size() - max);
  return out;
}

// A text bar chart: Markdown has no pictures, and a fenced block renders the same everywhere.
std::string text_chart(const ReportData& d) {
  int max_obs = 1, max_fix = 1;
  for (const auto& g : d.generations) {
    max_obs = std::max(max_obs, g.total_observations);
    max_fix = std::max(max_fix, g.tally.validated_fixes + g.tally.partial_fixes);
  }
  std::string out = fmt::format("{:>4}  {:<36} {}\n", "gen", "observations (accumulated)", "fixes (# validated, + partial)");
  for (const auto& g : d.generations) {
    int bar = g.total_observations * 30 / max_obs;
    std::string obs;
    for (int i = 0; i < bar; ++i) obs += "█";
    std::string fixes = std::string(g.tally.validated_fixes * 10 / max_fix, '#') +
                        std::string(g.tally.partial_fixes * 10 / max_fix, '+');
    out += fmt::format("{:>4}  {:>5} {}{} {:>2} {}\n", g.number, g.total_observations, obs,
                       std::string(30 - bar, ' '), g.tally.validated_fixes, fixes);
  }
  return out;
}

Data observation_data(const ReportObservation& o) {
  Data row;
  row.set("id", o.id);
  row.set("priority", o.priority);
  row.set("kind", o.kind);
  row.set("text", o.text);
  row.set("count", std::to_string(o.count));
  row.set("generations", o.first_gen == o.last_gen ? std::to_string(o.first_gen)
                                                   : fmt::format("{}–{}", o.first_gen, o.last_gen));
  row.set("evidence", joined(o.evidence, 5));
  return row;
}

Data generation_path(const ReportData& d, const ReportGeneration& g) {
  Data gen;
  gen.set("number", std::to_string(g.number));
  gen.set("running", flag(g.status != GenerationStatus::completed));
  gen.set("new_observations", std::to_string(g.new_observations));
  gen.set("fixes", std::to_string(g.tally.validated_fixes));
  Data learned = list();
  for (size_t i : g.learned) learned.push_back(observation_data(d.observations[i]));
  gen.set("learned", learned);
  gen.set("has_learned", flag(!g.learned.empty()));
  gen.set("strategies", joined(g.strategies, 20));
  std::vector<std::string> files;
  for (const auto& [path, n] : g.files_changed) files.push_back(n > 1 ? fmt::format("{} ×{}", path, n) : path);
  gen.set("files", files.empty() ? std::string("none") : joined(files, 10));
  Data ruled = list();
  for (size_t i = 0; i < g.ruled_out.size() && i < kRuledOutShown; ++i) {
    const RuledOut& r = g.ruled_out[i];
    Data row;
    row.set("agent", r.agent);
    row.set("strategy", r.strategy);
    row.set("files", r.files.empty() ? std::string("no files") : joined(r.files, 5));
    row.set("verify", fmt::format("{} {}/{}", r.verify.label(), r.verify.passes, r.verify.repeats));
    row.set("first_failure", r.verify.first_failure);
    row.set("has_failure", flag(!r.verify.first_failure.empty()));
    ruled.push_back(row);
  }
  Data design = list(), notes = list();
  for (const auto& line : g.design_lines) {
    Data row;
    row.set("line", line);
    design.push_back(row);
  }
  for (const auto& line : g.advisor_notes) {
    Data row;
    row.set("line", line);
    notes.push_back(row);
  }
  gen.set("design", design);
  gen.set("has_design", flag(!g.design_lines.empty()));
  gen.set("notes", notes);
  gen.set("ruled_out", ruled);
  gen.set("has_ruled_out", flag(!g.ruled_out.empty()));
  gen.set("has_ruled_out_more", flag(g.ruled_out.size() > kRuledOutShown));
  gen.set("ruled_out_more", g.ruled_out.size() > kRuledOutShown
                                ? fmt::format("{} more (see Every agent)", g.ruled_out.size() - kRuledOutShown)
                                : std::string());
  return gen;
}

Data agent_row(const AgentRecord& a) {
  Data row;
  row.set("id", a.attempt > 1 ? fmt::format("{} (attempt {})", a.id, a.attempt) : a.id);
  row.set("strategy", a.strategy);
  row.set("status", std::string(a.status == AttemptStatus::completed ? to_string(a.outcome) : to_string(a.status)));
  row.set("verify", a.verify.ran ? fmt::format("{} {}/{}", a.verify.label(), a.verify.passes, a.verify.repeats)
                                 : std::string("not run"));
  row.set("duration", rt::duration(a.finished_ns > a.started_ns && a.started_ns > 0 ? a.finished_ns - a.started_ns : 0));
  row.set("tokens", rt::tokens(a.input_tokens + a.output_tokens));
  row.set("cost", rt::cost(a.cost_usd));
  row.set("reason", a.end_reason.empty() ? std::string("–") : a.end_reason);
  return row;
}

// This run beside the runs it started from: a row of cells per run (the last one is this run), then the failures
// it shares with them.
void set_compared(Data& root, const ReportData& d) {
  Data rows = list(), shared = list();
  for (size_t i = 0; i < d.compared.size(); ++i) {
    const RunFigures& f = d.compared[i];
    std::vector<std::string> cells = f.error.empty() ? figure_cells(f)
                                                     : std::vector<std::string>{f.run_id, "cannot be read: " + f.error};
    if (i + 1 == d.compared.size()) cells[0] += " (this run)";
    Data row = list();
    for (auto& c : cells) row.push_back(Data(c));
    Data wrapped;
    wrapped.set("cells", row);
    rows.push_back(wrapped);
  }
  for (const auto& f : d.shared_failures) {
    Data row;
    row.set("text", f.text);
    row.set("runs", joined(f.runs, 20));
    row.set("count", std::to_string(f.count));
    shared.push_back(row);
  }
  // The header from the same column list, so the table cannot drift from the cells.
  std::string head = "|", rule = "|";
  for (const auto& c : figure_columns()) {
    head += fmt::format(" {} |", c.head);
    rule += c.numeric ? "---:|" : "---|";
  }
  root.set("compared_head", head + "\n" + rule);
  root.set("has_compared", flag(!d.compared.empty()));
  root.set("compared", rows);
  root.set("has_shared_failures", flag(!d.shared_failures.empty()));
  root.set("shared_failures", shared);
}

Data build_data(const ReportData& d) {
  Data root;
  Headline h = make_headline(d);
  root.set("title", h.title);
  root.set("detail", h.detail);
  root.set("status_line", h.status);
  root.set("resume_hint", h.resume_hint);
  root.set("warning", h.warning);
  root.set("has_warning", flag(!h.warning.empty()));
  root.set("cost_note", h.cost_note);
  root.set("has_cost_note", flag(!h.cost_note.empty()));
  root.set("inherited", inherited_line(d));
  root.set("has_inherited", flag(!d.inherited.empty()));
  root.set("has_resume_hint", flag(!h.resume_hint.empty()));
  root.set("partial_report", flag(!d.finished));
  root.set("generated", rt::utc_time(d.generated_ns));
  root.set("fix_found", flag(d.winner.has_value()));
  if (d.winner) {
    const auto& w = *d.winner;
    Data win;
    win.set("verify_command", d.verify_command.empty() ? std::string("verify") : d.verify_command);
    win.set("passes", std::to_string(w.agent.verify.passes));
    win.set("repeats", std::to_string(w.agent.verify.repeats));
    win.set("files", joined(w.agent.changed_files, 20));
    win.set("has_patch", flag(!w.patch.empty()));
    win.set("patch", with_final_newline(rt::valid_utf8(w.patch)));
    win.set("patch_fence", rt::md_fence(w.patch));
    win.set("patch_path", w.patch_path);
    win.set("patch_clipped", flag(w.patch_clipped));
    win.set("has_tree", flag(!w.trace_tree.empty()));
    win.set("tree", with_final_newline(rt::valid_utf8(w.trace_tree)));
    win.set("tree_fence", rt::md_fence(w.trace_tree));
    win.set("tree_spans", std::to_string(w.trace_spans));
    win.set("agent", w.agent.id);
    root.set("winner", win);
  }
  root.set("chart", text_chart(d));
  root.set("has_generations", flag(!d.generations.empty()));
  Data path = list(), gens = list(), strategies = list(), agents = list(), observations = list();
  for (const auto& g : d.generations) {
    path.push_back(generation_path(d, g));
    Data row = tally_row(std::to_string(g.number), g.tally, g.wall_ns);
    row.set("observations", std::to_string(g.total_observations));
    row.set("new_important", std::to_string(g.new_important));
    gens.push_back(row);
  }
  for (const auto& s : d.strategies) strategies.push_back(tally_row(s.name, s.tally, 0));
  for (const auto& a : d.attempts) agents.push_back(agent_row(a));
  for (size_t i = 0; i < d.observations.size() && i < kTopObservations; ++i)
    observations.push_back(observation_data(d.observations[i]));
  root.set("path", path);
  root.set("has_advisors", flag(d.advisors.questions > 0));
  root.set("advisors", fmt::format("{} question(s), {} failed, {} model call(s), {} tokens, {}", d.advisors.questions,
                                   d.advisors.failed, d.advisors.llm_calls, rt::tokens(d.advisors.tokens()),
                                   rt::cost(d.advisors.cost_usd)));
  root.set("generations", gens);
  root.set("strategies", strategies);
  root.set("agents", agents);
  root.set("observations", observations);
  root.set("has_observations", flag(!d.observations.empty()));
  root.set("observations_shown", std::to_string(std::min(d.observations.size(), kTopObservations)));
  root.set("observations_total", std::to_string(d.observations.size()));
  root.set("observations_missing", flag(!d.observations_available));
  root.set("totals", tally_row("total", d.totals, d.wall_ns));
  set_compared(root, d);
  return root;
}

}  // namespace

std::string report_template_path() { return (harness_home() / "templates" / "report.md.mustache").string(); }

std::string render_markdown(const ReportData& d, const std::string& template_text) {
  kainjow::mustache::mustache tmpl(template_text);
  if (!tmpl.is_valid()) throw ReportError("report template: " + tmpl.error_message());
  tmpl.set_custom_escape([](const std::string& s) { return rt::md_cell(s, 400); });
  return tmpl.render(build_data(d));
}

std::string render_markdown(const ReportData& d) {
  std::string path = report_template_path();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ReportError(fmt::format("{}: cannot read the report template (set HARNESS_HOME)", path));
  std::ostringstream text;
  text << in.rdbuf();
  return render_markdown(d, text.str());
}

}  // namespace harness

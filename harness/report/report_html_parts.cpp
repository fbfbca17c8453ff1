#include "harness/report/report_html_parts.h"

#include <fmt/format.h>

#include "harness/report/report_text.h"

namespace rt = harness::report_text;

namespace harness {
namespace {

constexpr size_t kTopObservations = 20;
constexpr size_t kOpenAll = 6;  // up to this many generations every <details> starts open

std::string esc(std::string_view s) { return rt::xml_escape(s); }

std::string duration_of(const AgentRecord& a) {
  return rt::duration(a.started_ns > 0 && a.finished_ns > a.started_ns ? a.finished_ns - a.started_ns : 0);
}

std::string verify_cell(const VerifyResult& v) {
  if (!v.ran) return R"(<span class="muted">not run</span>)";
  const char* cls = v.passed() ? "ok" : v.partial() ? "warn" : "bad";
  return fmt::format(R"(<span class="{}">{} {}/{}</span>)", cls, v.label(), v.passes, v.repeats);
}

std::string code_list(const std::vector<std::string>& items, size_t max) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < max; ++i) out += fmt::format("{}<code>{}</code>", i ? " " : "", esc(items[i]));
  if (items.size() > max) out += fmt::format(R"( <span class="muted">+{} more</span>)", items.size() - max);
  return out;
}

// Open: everything in a short run; otherwise the generation that found the fix and the latest one.
bool open_by_default(const ReportData& d, int generation) {
  if (d.generations.size() <= kOpenAll) return true;
  if (d.winner && d.winner->agent.generation == generation) return true;
  return !d.generations.empty() && d.generations.back().number == generation;
}

std::string observation_item(const ReportObservation& o) {
  return fmt::format(R"(<li><strong>{}</strong> <span class="prio-{}">[{}]</span> {}</li>)", esc(o.id),
                     esc(o.priority), esc(o.priority), esc(o.text));
}

std::string tally_cells(const ReportTally& t) {
  return fmt::format(
      R"(<td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td>)"
      R"(<td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td>)",
      t.agents, t.attempts, t.validated_fixes, t.partial_fixes, t.kills, t.crashes, rt::tokens(t.tokens()),
      rt::cost(t.cost_usd), rt::duration(t.agent_time_ns));
}

constexpr const char* kTallyHeads =
    R"(<th class="n">agents</th><th class="n">attempts</th><th class="n">validated</th><th class="n">partial</th>)"
    R"(<th class="n">kills</th><th class="n">crashes</th><th class="n">tokens</th><th class="n">cost</th>)"
    R"(<th class="n">agent time</th>)";

std::string row_class(const ReportTally& t) {
  return t.validated_fixes > 0 ? R"( class="fix")" : t.partial_fixes > 0 ? R"( class="partial")" : "";
}

}  // namespace

std::string html_path_section(const ReportData& d) {
  std::string out = R"(<section id="path"><h2>Convergence path</h2>)";
  if (d.generations.empty()) return out + R"(<p class="muted">No generation has started yet.</p></section>)";
  for (const auto& g : d.generations) {
    out += fmt::format(
        R"(<details class="generation"{}><summary>Generation {} <span class="muted">· {} new observation(s), {} )"
        R"(important · {} validated, {} partial · {} ruled out{}</span></summary>)",
        open_by_default(d, g.number) ? " open" : "", g.number, g.new_observations, g.new_important,
        g.tally.validated_fixes, g.tally.partial_fixes, g.ruled_out.size(),
        g.status == GenerationStatus::completed ? "" : " · not finished");
    out += "<p><strong>Learned:</strong></p><ul>";
    if (g.learned.empty()) out += R"(<li class="muted">no new important observation</li>)";
    for (size_t i : g.learned) out += observation_item(d.observations[i]);
    out += "</ul><p><strong>Tried:</strong> ";
    for (size_t i = 0; i < g.strategies.size(); ++i) out += (i ? ", " : "") + esc(g.strategies[i]);
    out += "; changed ";
    if (g.files_changed.empty()) out += R"(<span class="muted">no files</span>)";
    for (size_t i = 0; i < g.files_changed.size() && i < 12; ++i)
      out += fmt::format("{}<code>{}</code>{}", i ? ", " : "", esc(g.files_changed[i].first),
                         g.files_changed[i].second > 1 ? fmt::format(" ×{}", g.files_changed[i].second) : "");
    if (g.files_changed.size() > 12) out += fmt::format(R"( <span class="muted">+{} more</span>)", g.files_changed.size() - 12);
    out += "</p>";
    if (!g.design_lines.empty()) {
      out += "<p><strong>Designed:</strong></p><ul>";
      for (const auto& line : g.design_lines) out += "<li>" + esc(line) + "</li>";
      out += "</ul>";
    }
    for (const auto& note : g.advisor_notes) out += "<p><strong>LLM observer:</strong> " + esc(note) + "</p>";
    out += "<p><strong>Ruled out:</strong></p><ul>";
    if (g.ruled_out.empty()) out += R"(<li class="muted">nothing: no change failed verification</li>)";
    for (const auto& r : g.ruled_out)
      out += fmt::format("<li><strong>{}</strong> ({}) changed {}: verify {}{}</li>", esc(r.agent), esc(r.strategy),
                         r.files.empty() ? std::string("no files") : code_list(r.files, 6), verify_cell(r.verify),
                         r.verify.first_failure.empty() ? "" : " — <code>" + esc(r.verify.first_failure) + "</code>");
    out += "</ul></details>";
  }
  return out + "</section>";
}

std::string html_tally_sections(const ReportData& d) {
  std::string out = R"(<section id="generations"><h2>Per generation</h2><div class="scroll"><table><thead><tr>)"
                    R"(<th class="n">gen</th>)" + std::string(kTallyHeads) +
                    R"(<th class="n">wall time</th><th class="n">observations</th><th class="n">new important</th>)"
                    R"(</tr></thead><tbody>)";
  for (const auto& g : d.generations)
    out += fmt::format(R"(<tr{}><td class="n">{}</td>{}<td class="n">{}</td><td class="n">{}</td><td class="n">{}</td></tr>)",
                       row_class(g.tally), g.number, tally_cells(g.tally), rt::duration(g.wall_ns),
                       g.total_observations, g.new_important);
  out += R"(</tbody></table></div></section><section id="strategies"><h2>Per strategy</h2><div class="scroll"><table>)"
         R"(<thead><tr><th>strategy</th>)" + std::string(kTallyHeads) + "</tr></thead><tbody>";
  for (const auto& s : d.strategies)
    out += fmt::format("<tr{}><td>{}</td>{}</tr>", row_class(s.tally), esc(s.name), tally_cells(s.tally));
  return out + "</tbody></table></div></section>";
}

std::string html_observations_section(const ReportData& d) {
  std::string out = R"(<section id="observations"><h2>Top observations</h2>)";
  if (!d.observations_available && d.observations.empty())
    return out + R"(<p class="muted">No observations were stored for this run.</p></section>)";
  out += fmt::format(R"(<p class="muted">{} of {}, most important first.</p><div class="scroll"><table><thead><tr>)"
                     R"(<th>id</th><th>priority</th><th>kind</th><th>observation</th><th class="n">seen</th>)"
                     R"(<th class="n">generations</th><th>evidence</th></tr></thead><tbody>)",
                     std::min(d.observations.size(), kTopObservations), d.observations.size());
  for (size_t i = 0; i < d.observations.size() && i < kTopObservations; ++i) {
    const auto& o = d.observations[i];
    out += fmt::format(
        R"(<tr><td>{}</td><td class="prio-{}">{}</td><td>{}</td><td>{}</td><td class="n">{}</td><td class="n">{}</td>)"
        "<td>{}</td></tr>",
        esc(o.id), esc(o.priority), esc(o.priority), esc(o.kind), esc(o.text), o.count,
        o.first_gen == o.last_gen ? std::to_string(o.first_gen) : fmt::format("{}–{}", o.first_gen, o.last_gen),
        code_list(o.evidence, 5));
  }
  out += "</tbody></table></div>";
  if (d.observations.size() > kTopObservations) {
    out += fmt::format("<details><summary>The other {} observations</summary><ul>",
                       d.observations.size() - kTopObservations);
    for (size_t i = kTopObservations; i < d.observations.size(); ++i) out += observation_item(d.observations[i]);
    out += "</ul></details>";
  }
  return out + "</section>";
}

std::string html_agents_section(const ReportData& d) {
  std::string out = R"(<section id="agents"><h2>Every agent</h2>)";
  if (d.attempts.empty()) return out + R"(<p class="muted">No agent has run yet.</p></section>)";
  size_t i = 0;
  for (const auto& g : d.generations) {
    out += fmt::format(
        R"(<details class="agents"{}><summary>Generation {} <span class="muted">· {} agents, {} validated, {} partial,)"
        R"( {} killed, {} crashed · {} tokens, {}</span></summary><div class="scroll"><table><thead><tr><th>agent</th>)"
        R"(<th>strategy</th><th>ended</th><th>verify</th><th class="n">duration</th><th class="n">tokens</th>)"
        R"(<th class="n">cost</th><th class="n">tools (errors)</th><th>why it ended</th><th>changed</th></tr></thead><tbody>)",
        open_by_default(d, g.number) ? " open" : "", g.number, g.tally.agents, g.tally.validated_fixes,
        g.tally.partial_fixes, g.tally.kills, g.tally.crashes, rt::tokens(g.tally.tokens()), rt::cost(g.tally.cost_usd));
    while (i < d.attempts.size() && d.attempts[i].generation < g.number) ++i;
    for (; i < d.attempts.size() && d.attempts[i].generation == g.number; ++i) {
      const AgentRecord& a = d.attempts[i];
      bool fix = is_validated_fix(a), partial = is_partial_fix(a);
      out += fmt::format(
          R"(<tr{}><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td class="n">{}</td><td class="n">{}</td>)"
          R"(<td class="n">{}</td><td class="n">{} ({})</td><td>{}</td><td>{}</td></tr>)",
          fix ? R"( class="fix")" : partial ? R"( class="partial")" : "", esc(a.id),
          a.attempt > 1 ? fmt::format(R"( <span class="muted">attempt {}</span>)", a.attempt) : "", esc(a.strategy),
          esc(std::string(a.status == AttemptStatus::completed ? to_string(a.outcome) : to_string(a.status))), verify_cell(a.verify),
          duration_of(a), rt::tokens(a.input_tokens + a.output_tokens), rt::cost(a.cost_usd), a.tool_calls,
          a.tool_errors, esc(a.end_reason), code_list(a.changed_files, 4));
    }
    out += "</tbody></table></div></details>";
  }
  return out + "</section>";
}

std::string html_compared_section(const ReportData& d) {
  if (d.compared.empty()) return "";
  std::string out = R"(<section id="compared"><h2>Compared with the runs it started from</h2>)"
                    R"(<div class="scroll"><table><thead><tr>)";
  for (const auto& c : figure_columns())
    out += fmt::format("<th{}>{}</th>", c.numeric ? R"( class="n")" : "", esc(c.head));
  out += "</tr></thead><tbody>";
  for (size_t i = 0; i < d.compared.size(); ++i) {
    const RunFigures& f = d.compared[i];
    if (!f.error.empty()) {
      out += fmt::format(
          R"(<tr class="unreadable"><td>{}</td><td class="bad" colspan="{}">cannot be read: {}</td></tr>)",
          esc(f.run_id), figure_columns().size() - 1, esc(f.error));
      continue;
    }
    const bool this_run = i + 1 == d.compared.size();  // fill_inherited puts this run last
    std::vector<std::string> cells = figure_cells(f);
    out += this_run ? R"(<tr class="this">)" : "<tr>";
    for (size_t c = 0; c < cells.size(); ++c)
      out += fmt::format(R"(<td{}>{}{}</td>)", figure_columns()[c].numeric ? R"( class="n")" : "", esc(cells[c]),
                         c == 0 && this_run ? R"( <span class="muted">(this run)</span>)" : "");
    out += "</tr>";
  }
  out += "</tbody></table></div>";
  if (d.shared_failures.empty())
    return out + R"(<p class="muted">No important failure of this run was seen by the runs it started from.</p>)"
                 "</section>";
  out += R"(<p><strong>Failures it shares with them</strong> )"
         R"(<span class="muted">(important, equal fingerprint)</span></p><ul>)";
  for (const auto& f : d.shared_failures) {
    std::string runs;
    for (const auto& r : f.runs) runs += (runs.empty() ? "" : ", ") + r;
    out += fmt::format(
        R"(<li class="shared-failure">{} <span class="muted">· runs {} · seen {}× · <code>{}</code></span></li>)",
        esc(f.text), esc(runs), f.count, esc(f.fingerprint));
  }
  return out + "</ul></section>";
}

}  // namespace harness

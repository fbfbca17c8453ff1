// report.html: one self-contained page (inline CSS and SVG, no script, no outside asset) that stays readable with
// 50 generations × 20 agents: long lists sit in collapsible <details>, big tables scroll under sticky headers.
#include <fmt/format.h>

#include "harness/report/report.h"
#include "harness/report/report_html_parts.h"
#include "harness/report/report_text.h"

namespace rt = harness::report_text;

namespace harness {
namespace {

constexpr const char* kStyle = R"css(
:root{color-scheme:light dark;--fg:#1f2328;--muted:#656d76;--bg:#fff;--panel:#f6f8fa;--line:#d0d7de;
--ok:#16a34a;--bad:#dc2626;--warn:#b45309;--add:#dafbe1;--del:#ffebe9;--hunk:#ddf4ff}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#8d96a0;--bg:#0d1117;--panel:#161b22;--line:#30363d;
--add:#12361f;--del:#3d1519;--hunk:#0c2d6b}}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1200px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:28px;margin:0 0 4px}h2{font-size:20px;margin:32px 0 8px;border-bottom:1px solid var(--line)}
.headline{border-left:6px solid var(--bad);background:var(--panel);padding:16px 20px;border-radius:6px}
.headline.fix{border-left-color:var(--ok)}.headline .detail{font-size:17px;margin:4px 0}
.muted{color:var(--muted)}.badge{display:inline-block;padding:0 6px;border-radius:10px;font-size:12px;
border:1px solid var(--line);margin-left:6px}
nav{margin:12px 0;font-size:13px}nav a{margin-right:12px}
code,pre{font:12.5px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:10px 12px;overflow:auto;
max-height:70vh;white-space:pre}
.diff span{display:block;min-height:1.45em}.diff .add{background:var(--add)}.diff .del{background:var(--del)}
.diff .hunk{background:var(--hunk)}.diff .file{font-weight:bold}
.chart{max-width:1000px;color:var(--fg)}.chart svg{width:100%;height:auto}
.scroll{max-height:70vh;overflow:auto;border:1px solid var(--line);border-radius:6px}
table{border-collapse:separate;border-spacing:0;width:100%;font-size:13px}
th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{position:sticky;top:0;background:var(--panel);z-index:1;white-space:nowrap}
td.n,th.n{text-align:right;white-space:nowrap}td:first-child{white-space:nowrap}
tr.fix td{background:color-mix(in srgb,var(--ok) 14%,transparent)}
tr.partial td{background:color-mix(in srgb,var(--warn) 12%,transparent)}
tr.this td{font-weight:600}
.ok{color:var(--ok)}.bad{color:var(--bad)}.warn{color:var(--warn)}
details{border:1px solid var(--line);border-radius:6px;margin:6px 0;padding:0 12px}
details[open]{padding-bottom:8px}summary{cursor:pointer;padding:6px 0;font-weight:600}
summary .muted{font-weight:normal}
ul{margin:4px 0;padding-left:22px}.prio-important{color:var(--bad);font-weight:600}.prio-possible{color:var(--warn)}
footer{margin-top:32px;font-size:12px}
)css";

std::string headline_section(const ReportData& d) {
  Headline h = make_headline(d);
  std::string out = fmt::format(R"(<header id="headline" class="headline {}"><h1>{}</h1><p class="detail">{}</p>)",
                                h.fix_found ? "fix" : "nofix", rt::xml_escape(h.title), rt::xml_escape(h.detail));
  out += fmt::format(R"(<p class="muted">{}{}</p>)", rt::xml_escape(h.status),
                     d.finished ? "" : R"(<span class="badge">partial report</span>)");
  if (!h.resume_hint.empty())
    out += fmt::format("<p>Continue it with <code>{}</code>.</p>", rt::xml_escape(h.resume_hint));
  if (!h.warning.empty())
    out += fmt::format(R"(<p id="warning" class="bad"><strong>Warning:</strong> {}</p>)", rt::xml_escape(h.warning));
  if (!h.cost_note.empty())
    out += fmt::format(R"(<p id="cost-note"><strong>Cost:</strong> {}</p>)", rt::xml_escape(h.cost_note));
  if (!d.inherited.empty())
    out += fmt::format(R"(<p id="inherited"><strong>Started from:</strong> {}</p>)", rt::xml_escape(inherited_line(d)));
  if (d.winner) {
    const auto& w = *d.winner;
    out += fmt::format(R"(<p><strong>Verified:</strong> <code>{}</code> passed <strong>{}/{}</strong> repeats.)",
                       rt::xml_escape(d.verify_command.empty() ? "verify" : d.verify_command), w.agent.verify.passes,
                       w.agent.verify.repeats);
    if (!w.agent.changed_files.empty()) {
      out += " Changed:";
      for (const auto& f : w.agent.changed_files) out += fmt::format(" <code>{}</code>", rt::xml_escape(f));
    }
    out += "</p>";
  }
  out += "</header>";
  out += R"(<nav><a href="#patch">Patch</a><a href="#convergence">Convergence</a><a href="#path">Path</a>)"
         R"(<a href="#generations">Generations</a><a href="#strategies">Strategies</a>)"
         R"(<a href="#observations">Observations</a><a href="#trace">Trace</a><a href="#agents">Agents</a>)"
         R"(<a href="#totals">Totals</a>)";
  if (!d.compared.empty()) out += R"(<a href="#compared">Compared</a>)";
  out += "</nav>";
  return out;
}

std::string patch_section(const ReportData& d) {
  std::string out = R"(<section id="patch"><h2>The fix</h2>)";
  if (!d.winner) return out + R"(<p class="muted">No validated fix, so no patch.</p></section>)";
  const auto& w = *d.winner;
  if (w.patch.empty()) return out + fmt::format("<p>{} left no patch.diff.</p></section>", w.agent.id);
  out += fmt::format(R"(<p class="muted">{}{}</p><pre class="diff">)", rt::xml_escape(w.patch_path),
                     w.patch_clipped ? " (clipped here; the file holds all of it)" : "");
  size_t pos = 0;
  while (pos < w.patch.size()) {
    size_t end = w.patch.find('\n', pos);
    if (end == std::string::npos) end = w.patch.size();
    std::string_view line(w.patch.data() + pos, end - pos);
    // Every line a block of its own (no newline characters), so the added/removed colouring spans the width.
    const char* cls = line.starts_with("+++") || line.starts_with("---") || line.starts_with("diff ") ? "file"
                      : line.starts_with("@@")                                                      ? "hunk"
                      : line.starts_with("+")                                                       ? "add"
                      : line.starts_with("-")                                                       ? "del"
                                                                                                    : "ctx";
    out += fmt::format(R"(<span class="{}">{}</span>)", cls, rt::xml_escape(line));
    pos = end + 1;
  }
  return out + "</pre></section>";
}

std::string chart_section(const ReportData& d) {
  return R"(<section id="convergence"><h2>Convergence</h2><div class="chart">)" + render_convergence_svg(d) +
         "</div></section>";
}

std::string trace_section(const ReportData& d) {
  std::string out = R"(<section id="trace"><h2>The winning agent's trace</h2>)";
  if (!d.winner) return out + R"(<p class="muted">No validated fix, so no winner.</p></section>)";
  if (d.winner->trace_tree.empty())
    return out + fmt::format("<p>No spans were recorded under {}.</p></section>", rt::xml_escape(d.winner->agent.id));
  return out + fmt::format(R"(<p class="muted">{}: {} spans below its agent span.</p><pre>{}</pre></section>)",
                           rt::xml_escape(d.winner->agent.id), d.winner->trace_spans,
                           rt::xml_escape(d.winner->trace_tree));
}

std::string totals_section(const ReportData& d) {
  const ReportTally& t = d.totals;
  return fmt::format(
      R"(<section id="totals"><h2>Totals</h2><p>{} agents ({} attempts), <span class="ok">{} validated fix(es)</span>,)"
      R"( {} partial, {} killed, {} crashed; {} tokens ({} in, {} out), <strong>{}</strong>; wall time {},)"
      R"( agent time {}.</p></section>)",
      t.agents, t.attempts, t.validated_fixes, t.partial_fixes, t.kills, t.crashes, rt::tokens(t.tokens()),
      rt::tokens(t.input_tokens), rt::tokens(t.output_tokens), rt::cost(t.cost_usd), rt::duration(d.wall_ns),
      rt::duration(t.agent_time_ns));
}

}  // namespace

std::string render_html(const ReportData& d) {
  std::string out;
  out.reserve(64 * 1024 + d.attempts.size() * 600);
  out += fmt::format(
      R"(<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">)"
      R"(<meta name="viewport" content="width=device-width, initial-scale=1"><title>harness report: {}</title>)"
      R"(<style>{}</style></head><body><main>)",
      rt::xml_escape(d.run.id), kStyle);
  out += headline_section(d);
  out += patch_section(d);
  out += chart_section(d);
  out += html_path_section(d);
  out += html_tally_sections(d);
  out += html_observations_section(d);
  out += trace_section(d);
  out += html_agents_section(d);
  out += totals_section(d);
  out += html_compared_section(d);
  out += fmt::format(R"(<footer class="muted">Generated by harness at {} from {}.</footer></main></body></html>)",
                     rt::utc_time(d.generated_ns), rt::xml_escape(d.run_dir));
  return out;
}

}  // namespace harness

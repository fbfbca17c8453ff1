// The report's data and its Markdown and HTML renderings, for a finished run and an interrupted one (report_runs.cpp
// holds both runs; every expected figure below is added up by hand from there).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "harness/report/report.h"
#include "report_fixture.h"
#include "report_runs.h"
#include "tests/harness/loop_fixture.h"  // run_shell

namespace fs = std::filesystem;
using namespace harness;
using namespace harness_test;

namespace {

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/report-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }
  ReportData load(const std::string& dir, std::optional<std::vector<ReportObservation>> obs = std::nullopt) {
    auto store = trace::Store::open(dir + "/run.db", trace::Store::Mode::read_only);
    return load_report_data(dir, *store, std::move(obs));
  }
  std::string dir_;
};

size_t count_of(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + needle.size())) ++n;
  return n;
}

// Asserts that each of `needles` occurs in `text`, in this order.
void expect_in_order(const std::string& text, const std::vector<std::string>& needles) {
  size_t at = 0;
  for (const auto& n : needles) {
    size_t p = text.find(n, at);
    ASSERT_NE(p, std::string::npos) << "missing (or out of order): " << n;
    at = p + n.size();
  }
}

TEST_F(ReportTest, FinishedRunFiguresAddUp) {
  fill_finished_run(dir_, true);
  ReportData d = load(dir_);
  EXPECT_TRUE(d.finished);
  EXPECT_EQ(d.name, "ledger-race");
  EXPECT_EQ(d.verify_command, "make test");
  EXPECT_EQ(d.verify_repeat, 3);
  EXPECT_EQ(d.stop_reason, "2 validated fixes found");
  EXPECT_EQ(d.totals.agents, 9);
  EXPECT_EQ(d.totals.attempts, 10);
  EXPECT_EQ(d.totals.validated_fixes, 2);
  EXPECT_EQ(d.totals.partial_fixes, 1);
  EXPECT_EQ(d.totals.kills, 3);
  EXPECT_EQ(d.totals.crashes, 1);
  EXPECT_EQ(d.totals.input_tokens, 13000);
  EXPECT_EQ(d.totals.output_tokens, 1950);
  EXPECT_NEAR(d.totals.cost_usd, 1.30, 1e-9);
  EXPECT_EQ(d.totals.agent_time_ns, 5400 * kSecond);
  EXPECT_EQ(d.wall_ns, 3600 * kSecond);

  ASSERT_EQ(d.generations.size(), 3u);
  const int agents[] = {3, 3, 3}, attempts[] = {3, 3, 4}, fixes[] = {0, 0, 2}, partial[] = {0, 1, 0},
            kills[] = {1, 1, 1}, crashes[] = {0, 1, 0};
  const int64_t tokens[] = {2650, 7450, 4850}, agent_time[] = {1300, 1400, 2700};
  const double cost[] = {0.23, 0.65, 0.42};
  const int total_obs[] = {3, 5, 6}, new_obs[] = {3, 2, 1}, new_important[] = {1, 1, 0};
  for (int i = 0; i < 3; ++i) {
    const auto& g = d.generations[i];
    SCOPED_TRACE("generation " + std::to_string(i + 1));
    EXPECT_EQ(g.tally.agents, agents[i]);
    EXPECT_EQ(g.tally.attempts, attempts[i]);
    EXPECT_EQ(g.tally.validated_fixes, fixes[i]);
    EXPECT_EQ(g.tally.partial_fixes, partial[i]);
    EXPECT_EQ(g.tally.kills, kills[i]);
    EXPECT_EQ(g.tally.crashes, crashes[i]);
    EXPECT_EQ(g.tally.tokens(), tokens[i]);
    EXPECT_NEAR(g.tally.cost_usd, cost[i], 1e-9);
    EXPECT_EQ(g.tally.agent_time_ns, agent_time[i] * kSecond);
    EXPECT_EQ(g.wall_ns, 1000 * kSecond);
    EXPECT_TRUE(g.observer_figures);
    EXPECT_EQ(g.total_observations, total_obs[i]);
    EXPECT_EQ(g.new_observations, new_obs[i]);
    EXPECT_EQ(g.new_important, new_important[i]);
  }
  ASSERT_EQ(d.generations[0].learned.size(), 1u);
  EXPECT_EQ(d.observations[d.generations[0].learned[0]].id, "O-0001");
  ASSERT_EQ(d.generations[1].learned.size(), 1u);
  EXPECT_EQ(d.observations[d.generations[1].learned[0]].id, "O-0002");
  EXPECT_TRUE(d.generations[2].learned.empty());
  EXPECT_EQ(d.generations[1].strategies, (std::vector<std::string>{"bisect", "trace-first", "minimal-patch"}));
  EXPECT_EQ(d.generations[1].files_changed,
            (std::vector<std::pair<std::string, int>>{{"src/pool.c", 2}, {"src/ledger.c", 1}}));
  ASSERT_EQ(d.generations[0].ruled_out.size(), 1u);
  EXPECT_EQ(d.generations[0].ruled_out[0].agent, "g01-a01");
  ASSERT_EQ(d.generations[1].ruled_out.size(), 2u);
  EXPECT_EQ(d.generations[1].ruled_out[0].agent, "g02-a01");
  EXPECT_EQ(d.generations[1].ruled_out[1].verify.first_failure, "Assertion `pool->active == 0' failed");
  EXPECT_TRUE(d.generations[2].ruled_out.empty());

  ASSERT_EQ(d.strategies.size(), 3u);
  EXPECT_EQ(d.strategies[0].name, "bisect");
  EXPECT_EQ(d.strategies[0].tally.tokens(), 6500);
  EXPECT_NEAR(d.strategies[0].tally.cost_usd, 0.55, 1e-9);
  EXPECT_EQ(d.strategies[0].tally.agent_time_ns, 2100 * kSecond);
  EXPECT_EQ(d.strategies[1].name, "trace-first");
  EXPECT_EQ(d.strategies[1].tally.agents, 3);
  EXPECT_EQ(d.strategies[1].tally.attempts, 4);
  EXPECT_EQ(d.strategies[1].tally.tokens(), 4040);
  EXPECT_EQ(d.strategies[2].name, "minimal-patch");
  EXPECT_EQ(d.strategies[2].tally.kills, 2);
  EXPECT_NEAR(d.strategies[2].tally.cost_usd, 0.39, 1e-9);

  ASSERT_TRUE(d.winner.has_value());
  EXPECT_EQ(d.winner->agent.id, "g03-a01");  // finished before g03-a02's second attempt
  EXPECT_EQ(d.winner->patch_path, "gen-003/agent-01/patch.diff");
  EXPECT_EQ(d.winner->trace_spans, 12);
  EXPECT_EQ(d.winner->trace_tree, kFinishedRunWinnerTree);
  EXPECT_FALSE(d.best_partial.has_value());

  std::vector<std::string> order;
  for (const auto& o : d.observations) order.push_back(o.id);
  EXPECT_EQ(order, (std::vector<std::string>{"O-0001", "O-0002", "O-0003", "O-0005", "O-0004", "O-0006"}));
  EXPECT_EQ(d.observations[0].evidence, (std::vector<std::string>{"g01-a01#e12", "g02-a01#e40"}));
}

TEST_F(ReportTest, ObservationsComeFromTheTableOrTheCaller) {
  fill_finished_run(dir_, false);
  ReportData none = load(dir_);
  EXPECT_FALSE(none.observations_available);
  EXPECT_TRUE(none.observations.empty());
  EXPECT_NE(render_markdown(none).find("No observations were stored for this run."), std::string::npos);
  ReportData given = load(dir_, finished_run_observations());
  EXPECT_TRUE(given.observations_available);
  EXPECT_EQ(given.observations.size(), 6u);
}

// The observer's own layout (observer/observation_store.cpp): evidence in observation_evidence, one row per
// reference. The report once read only an `evidence` column, so a real run's summary.json had no evidence at all.
TEST_F(ReportTest, EvidenceComesFromTheObserversEvidenceTable) {
  fill_finished_run(dir_, false);
  {
    auto store = trace::Store::open(dir_ + "/run.db");
    store->execute("CREATE TABLE observations(id TEXT PRIMARY KEY, ord INTEGER NOT NULL, fingerprint TEXT NOT NULL "
                   "UNIQUE, priority TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL, agents TEXT NOT NULL, "
                   "first_gen INTEGER NOT NULL, last_gen INTEGER NOT NULL, count INTEGER NOT NULL)");
    store->execute("CREATE TABLE observation_evidence(observation_id TEXT NOT NULL, ord INTEGER NOT NULL, agent TEXT "
                   "NOT NULL, span_id TEXT NOT NULL, event_id INTEGER NOT NULL, PRIMARY KEY(observation_id, ord))");
    store->execute("INSERT INTO observations VALUES('O-0001', 1, 'fp1', 'important', 'tool_error', 'make test failed', "
                   "'g01-a02', 1, 1, 2)");
    store->execute("INSERT INTO observation_evidence VALUES('O-0001', 2, 'g01-a02', 'abcd', 0), "
                   "('O-0001', 1, 'g01-a02', '', 78), ('O-0001', 3, 'g01-a03', '', 0)");
  }
  ReportData d = load(dir_);
  ASSERT_EQ(d.observations.size(), 1u);
  EXPECT_EQ(d.observations[0].evidence, (std::vector<std::string>{"g01-a02#e78", "g01-a02#sabcd", "g01-a03"}));
  EXPECT_NE(render_summary_json(d).find("\"g01-a02#e78\""), std::string::npos);
}

TEST_F(ReportTest, InterruptedRunIsAPartialReport) {
  fill_interrupted_run(dir_);
  ReportData d = load(dir_, interrupted_run_observations());
  EXPECT_FALSE(d.finished);
  EXPECT_FALSE(d.winner.has_value());
  ASSERT_TRUE(d.best_partial.has_value());
  EXPECT_EQ(d.best_partial->id, "g02-a01");
  EXPECT_EQ(d.wall_ns, 700 * kSecond);  // up to the last finished agent
  ASSERT_EQ(d.generations.size(), 2u);
  const auto& g2 = d.generations[1];
  EXPECT_EQ(to_string(g2.status), "running");
  EXPECT_EQ(g2.wall_ns, 200 * kSecond);
  EXPECT_FALSE(g2.observer_figures);  // counted from the observations instead
  EXPECT_EQ(g2.total_observations, 3);
  EXPECT_EQ(g2.new_observations, 1);
  EXPECT_EQ(g2.new_important, 1);
  EXPECT_EQ(g2.tally.agents, 2);
  EXPECT_EQ(g2.tally.partial_fixes, 1);

  Headline h = make_headline(d);
  EXPECT_EQ(h.title, "Run interrupted: no validated fix yet");
  EXPECT_EQ(h.detail, "stopped during 2 of 4 generations, 4 agents; closest: g02-a01 (strategy bisect) passed 1/2 "
                      "verify repeats");
  EXPECT_EQ(h.status, "run interrupted-run: interrupted, exit 130");
  EXPECT_EQ(h.resume_hint, "harness resume " + dir_);

  std::string md = render_markdown(d);
  expect_in_order(md, {"# Run interrupted: no validated fix yet", "**partial report**", "Continue it with `harness resume",
                       "## Convergence", "### Generation 2 (not finished)", "O-0003 b.c: use after free under verify",
                       "g02-a01 (bisect) changed a.c, b.c: verify partial 1/2: FAIL: y", "No validated fix, so no winner.",
                       "| g02-a02 | trace-first | interrupted | not run | 1m00s | 55 | $0.0050 | interrupted (Ctrl-C / TERM) |"});
  std::string html = render_html(d);
  EXPECT_NE(html.find(R"(<span class="badge">partial report</span>)"), std::string::npos);
  EXPECT_NE(html.find("<code>harness resume " + dir_ + "</code>"), std::string::npos);
  EXPECT_EQ(count_of(html, R"(<details class="generation" open>)"), 2u);
}

// sandbox.mode auto where bubblewrap cannot work: the run goes on unconfined, and every report says so first.
TEST_F(ReportTest, UnconfinedAgentsAreAWarningInEveryFormat) {
  fill_interrupted_run(dir_);
  {
    auto store = trace::Store::open(dir_ + "/run.db");
    RunState state(*store);
    auto span = store->span(state.run()->span_id);
    span->attributes["harness.sandbox"] = "unconfined";
    span->attributes["harness.sandbox_warning"] = "bwrap: No permissions to create new namespace";
    store->put_span(*span);
    store->flush();
  }
  ReportData d = load(dir_, interrupted_run_observations());
  const std::string warning = "agents ran unconfined (no sandbox): bwrap: No permissions to create new namespace";
  EXPECT_EQ(make_headline(d).warning, warning);
  expect_in_order(render_markdown(d), {"# Run interrupted", "> **Warning:** " + warning, "## Convergence"});
  EXPECT_NE(render_html(d).find("<strong>Warning:</strong> " + warning), std::string::npos);
  nlohmann::json s = nlohmann::json::parse(render_summary_json(d));
  EXPECT_EQ(s["run"]["sandbox"], "unconfined");
  EXPECT_EQ(s["headline"]["warning"], warning);
  // A sandboxed run (or one from before sandboxes) has no warning.
  fs::create_directories(dir_ + "-plain");
  fill_interrupted_run(dir_ + "-plain");
  ReportData plain = load(dir_ + "-plain", interrupted_run_observations());
  EXPECT_EQ(make_headline(plain).warning, "");
  EXPECT_EQ(render_markdown(plain).find("Warning"), std::string::npos);
  EXPECT_TRUE(nlohmann::json::parse(render_summary_json(plain))["headline"]["warning"].is_null());
  fs::remove_all(dir_ + "-plain");
}

// A CLI's stated cost far from what the price table makes of its calls (event cost.disagreement): every report
// names the agent and both figures, not only run.db.
TEST_F(ReportTest, ACostDisagreementIsNamedInEveryFormat) {
  fill_interrupted_run(dir_);
  {
    auto store = trace::Store::open(dir_ + "/run.db");
    RunState state(*store);
    AgentRecord agent = state.agents().front();
    trace::Event e;
    e.span_id = agent.span_id;
    e.time_ns = 1;
    e.type = "cost.disagreement";
    e.payload = {{"stated_usd", 0.52}, {"priced_usd", 0.31}, {"priced_calls", 4}, {"unpriced_calls", 0},
                 {"price_table", "2025-11-01"}};
    store->put_event(e);
    store->flush();
    ASSERT_FALSE(agent.id.empty());
    ReportData d = load(dir_, interrupted_run_observations());
    ASSERT_EQ(d.cost_disagreements.size(), 1u);
    EXPECT_EQ(d.cost_disagreements[0].agent, agent.id);
    const std::string note = "the CLI's stated cost and the price table (2025-11-01) disagree by more than 10% for 1 "
                             "agent: " + agent.id + " stated $0.52, priced $0.31; the budgets count the larger, "
                             "budget.prices can correct the table";
    EXPECT_EQ(make_headline(d).cost_note, note);
    expect_in_order(render_markdown(d), {"# Run interrupted", "> **Cost:** " + note, "## Convergence"});
    std::string html_note = note;
    html_note.replace(html_note.find("CLI's"), 5, "CLI&#39;s");
    EXPECT_NE(render_html(d).find("<strong>Cost:</strong> " + html_note), std::string::npos);
    EXPECT_EQ(nlohmann::json::parse(render_summary_json(d))["headline"]["cost_note"], note);
  }
  fs::create_directories(dir_ + "-plain");
  fill_interrupted_run(dir_ + "-plain");
  ReportData plain = load(dir_ + "-plain", interrupted_run_observations());
  EXPECT_EQ(make_headline(plain).cost_note, "");
  EXPECT_EQ(render_markdown(plain).find("**Cost:**"), std::string::npos);
  EXPECT_TRUE(nlohmann::json::parse(render_summary_json(plain))["headline"]["cost_note"].is_null());
  fs::remove_all(dir_ + "-plain");
}

TEST_F(ReportTest, ConvergenceCarriesOnWithoutObservations) {
  fill_interrupted_run(dir_);
  ReportData d = load(dir_);  // no observations table and none given: generation 2 has no figures of its own
  EXPECT_FALSE(d.observations_available);
  ASSERT_EQ(d.generations.size(), 2u);
  EXPECT_EQ(d.generations[0].total_observations, 2);  // from generation 1's span
  EXPECT_EQ(d.generations[1].total_observations, 2);  // accumulated: never drops
  EXPECT_EQ(d.generations[1].new_observations, 0);
}

TEST_F(ReportTest, MarkdownFollowsTheIssueOrder) {
  fill_finished_run(dir_, true);
  std::string md = render_markdown(load(dir_));
  expect_in_order(md, {
      "# Validated fix found\n",
      "by g03-a01 (strategy bisect) in generation 3; 2 validated fixes in all",
      "_run ledger-20231114: completed, exit 0, 2 validated fixes found_",
      "**Verified:** `make test` passed 3/3 repeats in g03-a01's workspace.",
      "```diff\ndiff --git a/src/pool.c b/src/pool.c\n", "+    p->active++;\n   unlock(p);\n```\n",
      "## Convergence", "   1      3 ", "## Convergence path", "### Generation 1", "  - O-0001 Changing src/ledger.c",
      "- **Tried:** strategies bisect, trace-first, minimal-patch; changed src/ledger.c",
      "  - g01-a01 (bisect) changed src/ledger.c: verify failed 0/3: FAIL: test_transfer (balance mismatch)",
      "### Generation 3", "- **Ruled out:** nothing",
      "## Per generation", "| 2 | 3 | 3 | 0 | 1 | 1 | 1 | 5 | 1 | 7.5k | $0.65 | 16m40s | 23m20s |",
      "## Per strategy", "| bisect | 3 | 3 | 1 | 1 | 0 | 0 | 6.5k | $0.55 | 35m00s |",
      "| trace-first | 3 | 4 | 1 | 0 | 1 | 1 | 4.0k | $0.36 | 29m10s |",
      "## Top observations", "6 of 6, most important first.",
      "| O-0002 | important | crash | Assertion `pool->active == 0' failed after the retry \\| in pool.c | 1 | 2 |",
      "| O-0004 | informational | tokens | &lt;script>alert(1)&lt;/script> sessions use 3k tokens | 1 | 1 |",
      "## The winning agent's trace", "g03-a01: 12 spans below its agent span.", std::string("```\n") + kFinishedRunWinnerTree + "```",
      "## Every agent", "| g03-a02 (attempt 2) | trace-first | completed | passed 3/3 | 14m10s | 1.3k | $0.12 | exit 0 |",
      "## Totals", "9 agents (10 attempts), 2 validated fix(es), 1 partial, 3 killed,\n1 crashed; 15.0k tokens, **$1.30**; "
      "wall time 1h00m, agent time 1h30m."});
  EXPECT_EQ(count_of(md, "\n| g0"), 10u);  // every attempt has a row
}

TEST_F(ReportTest, MarkdownTemplateErrorsAreReported) {
  fill_finished_run(dir_, false);
  ReportData d = load(dir_);
  try {
    render_markdown(d, "{{#open}} never closed");
    FAIL() << "an invalid template must throw";
  } catch (const ReportError& e) {
    EXPECT_EQ(std::string(e.what()), "report template: Unclosed section \"open\" at 0");
  }
  setenv("HARNESS_HOME", "/nonexistent", 1);
  try {
    render_markdown(d);
    FAIL() << "a missing template must throw";
  } catch (const ReportError& e) {
    EXPECT_EQ(std::string(e.what()),
              "/nonexistent/templates/report.md.mustache: cannot read the report template (set HARNESS_HOME)");
  }
  unsetenv("HARNESS_HOME");
}

TEST_F(ReportTest, HtmlIsSelfContainedAndOrdered) {
  fill_finished_run(dir_, true);
  std::string html = render_html(load(dir_));
  expect_in_order(html, {"<!DOCTYPE html>", "<style>", R"(<header id="headline" class="headline fix"><h1>Validated fix found</h1>)",
                         R"(<section id="patch">)", R"(<span class="add">+    p-&gt;active++;</span>)",
                         R"(<section id="convergence">)", R"(<svg id="convergence-chart")", R"(<section id="path">)",
                         R"(<section id="generations">)", R"(<section id="strategies">)", R"(<section id="observations">)",
                         "&lt;script&gt;alert(1)&lt;/script&gt;", R"(<section id="trace">)",
                         "tool Bash `make test` 20.0s ✗ exit status 2", R"(<section id="agents">)",
                         R"(<section id="totals">)", "</html>"});
  for (const char* forbidden : {"<script", "src=", "href=\"http", "@import", "url("})
    EXPECT_EQ(html.find(forbidden), std::string::npos) << forbidden;
  EXPECT_EQ(count_of(html, "<details class=\"generation\" open>"), 3u);
  EXPECT_EQ(count_of(html, "<details class=\"agents\" open>"), 3u);
  EXPECT_EQ(count_of(html, "<circle "), 3u);  // one point per generation
  EXPECT_EQ(count_of(html, "<tr class=\"fix\">"), 2u + 1u + 2u);  // gen 3 row, bisect + trace-first rows, two agents

  // Balanced tags, checked by Python's HTML parser (void elements aside).
  std::string path = dir_ + "/page.html";
  write_file_atomically(path, html);
  write_file_atomically(dir_ + "/balanced.py", R"(import html.parser, sys
void = {"meta", "br", "hr", "img", "input", "link", "line", "rect", "circle", "polyline"}
class P(html.parser.HTMLParser):
    stack = []
    def handle_starttag(self, tag, attrs):
        if tag not in void: self.stack.append(tag)
    def handle_startendtag(self, tag, attrs): pass
    def handle_endtag(self, tag):
        if tag in void: return
        top = self.stack.pop() if self.stack else None
        if top != tag: sys.exit(f"</{tag}> closes <{top}>")
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read())
sys.exit(f"unclosed: {p.stack}" if p.stack else 0)
)");
  auto r = run_shell("python3 " + dir_ + "/balanced.py " + path);
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST_F(ReportTest, ManyGenerationsCollapse) {
  fill_synthetic_run(dir_, 12, 5, true, 2);
  ReportData d = load(dir_);
  std::string html = render_html(d);
  // Only the winner's generation (the last) opens by default.
  EXPECT_EQ(count_of(html, "<details class=\"generation\" open>"), 1u);
  EXPECT_EQ(count_of(html, "<details class=\"generation\">"), 11u);
  EXPECT_EQ(count_of(html, "<details class=\"agents\">"), 11u);
  EXPECT_EQ(count_of(html, "<circle "), 12u);
  // Axis labels every generation up to 25, fewer beyond.
  EXPECT_NE(html.find(R"(text-anchor="middle" fill="currentColor">12</text>)"), std::string::npos);
}

}  // namespace

namespace {

// The winner's tree in the report, on a chain of 6,000 subagents an agent printed (issue 18): one recursive call
// per level (and a token sum per line) overflowed the stack; the tree now stops drawing at 24 levels and says so,
// with each line's tokens summed once.
TEST_F(ReportTest, TheWinnersTreeOfAThousandsDeepChainIsBounded) {
  auto store = trace::Store::open(dir_ + "/run.db");
  auto span = [](const std::string& id, const std::string& parent, trace::SpanKind kind, const std::string& name) {
    trace::Span s;
    s.trace_id = std::string(32, 'a');
    s.span_id = id;
    s.parent_span_id = parent;
    s.kind = kind;
    s.name = name;
    s.start_ns = 1;
    s.end_ns = 2;
    s.status = trace::SpanStatus::ok;
    s.usage.input_tokens = 10;
    return s;
  };
  auto id = [](char kind, int n) { return fmt::format("{}{:015}", kind, n); };
  store->put_span(span(id('a', 0), "", trace::SpanKind::session, "claude"));
  constexpr int kLevels = 6000;
  for (int i = 1; i <= kLevels; ++i) {
    store->put_span(span(id('t', i), i == 1 ? id('a', 0) : id('s', i - 1), trace::SpanKind::tool, "Task"));
    store->put_span(span(id('s', i), id('t', i), trace::SpanKind::subagent, "nested"));
  }
  store->flush();
  int count = 0;
  std::string tree = render_trace_tree(*store, id('a', 0), 400, &count);
  EXPECT_EQ(count, 2 * kLevels);
  // The root's line counts every token below it: 12,001 spans of 10 tokens.
  EXPECT_NE(tree.find("session claude"), std::string::npos) << tree.substr(0, 300);
  EXPECT_NE(tree.find("120.0k tokens"), std::string::npos) << tree.substr(0, 300);
  EXPECT_NE(tree.find("… more nested deeper than 24 levels, not shown"), std::string::npos);
  EXPECT_LT(count_of(tree, "\n"), 30u);
}

}  // namespace

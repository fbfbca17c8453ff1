// The report of a run started --from: its "Compared with the runs it started from" section in report.html and
// report.md puts the earlier runs' figures (those of `harness runs`) beside its own, lists the important failures
// it shares with them, and says so when an earlier run dir is gone or unreadable, without failing the report.
// The earlier run is report_runs.cpp's finished run, whose figures report_test.cpp adds up by hand.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness/report/report.h"
#include "report_fixture.h"
#include "report_runs.h"

namespace fs = std::filesystem;
using namespace harness;
using namespace harness_test;

namespace {

constexpr const char* kEarlierId = "ledger-20231114";  // fill_finished_run's
constexpr const char* kRepo = "/src/ledger";
constexpr const char* kCommit = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d";

// An entry of event run.inherited: `run_id` started from, found in `dir`.
ReportInherited started_from(const std::string& run_id, const std::string& dir) { return {run_id, dir, 6, false, ""}; }

class ReportComparedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/report-compared-XXXXXX";
    root_ = ::mkdtemp(tmpl);
    earlier_ = root_ + "/a";
    later_ = root_ + "/b";
  }
  void TearDown() override { fs::remove_all(root_); }

  void fill_earlier() {
    fill_finished_run(earlier_, true);
    auto store = trace::Store::open(earlier_ + "/run.db");
    record_target(*store, kEarlierId, kRepo, kCommit);
    store->flush();
  }

  // A run of one generation started --from `from`: g01-a01 fails, g01-a02 (launched after it) finds the fix. It
  // saw the earlier run's O-0001 again (shared), inherited its O-0002 without seeing it (not shared), and found
  // one failure of its own.
  void fill_later(const std::string& dir, const std::string& run_id, const std::vector<ReportInherited>& from) {
    const int64_t t0 = kT0 + 86400 * kSecond;
    RunBuilder run(dir, run_id, t0);
    run.config("name: ledger-again\ngenerations: 1\npopulation: 2\nverify:\n  command: make test\n  repeat: 3\n");
    run.target(kRepo, kCommit);
    run.inherited(from);
    run.generation(1, "completed", t0, t0 + 600 * kSecond, std::array<int, 3>{3, 1, 1});
    auto a = make_agent(1, 1, "bisect", AgentOutcome::completed, t0, 300, 1000, 100, 0.10, "exit 0");
    a.verify = {true, 0, 3, "FAIL: test_transfer (balance mismatch)"};
    run.agent(a);
    a = make_agent(1, 2, "trace-first", AgentOutcome::completed, t0 + 10 * kSecond, 400, 2000, 200, 0.20, "exit 0");
    a.verify = {true, 3, 3, ""};
    run.agent(a);
    std::vector<ReportObservation> observations = {
        {"O-0001", "important", "failed_fix", "Changing src/ledger.c alone does not pass test_transfer", 5, 0, 1,
         {}, "fp-O-0001"},
        {"O-0002", "important", "crash", "Assertion `pool->active == 0' failed after the retry", 1, 0, 0, {},
         "fp-O-0002"},
        {"O-0003", "important", "error", "b.c: use after free under verify", 1, 1, 1, {}, "fp-later-only"}};
    run.observations_table(observations);
    run.finish("completed", 0, t0 + 600 * kSecond, "1 validated fix found");
  }

  ReportData load(const std::string& dir) {
    auto store = trace::Store::open(dir + "/run.db", trace::Store::Mode::read_only);
    return load_report_data(dir, *store);
  }

  std::string root_, earlier_, later_;
};

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::string kEarlierRow =
    R"(<tr><td>ledger-20231114</td><td>completed</td><td>ledger@1a2b3c4</td><td class="n">3</td>)"
    R"(<td class="n">9</td><td class="n">2</td><td class="n">3</td><td class="n">7</td><td class="n">15.0k</td>)"
    R"(<td class="n">$1.30</td><td class="n">$0.65</td><td>–</td></tr>)";
const std::string kLaterRow =
    R"(<tr class="this"><td>ledger-again <span class="muted">(this run)</span></td><td>completed</td>)"
    R"(<td>ledger@1a2b3c4</td><td class="n">1</td><td class="n">2</td><td class="n">1</td><td class="n">1</td>)"
    R"(<td class="n">2</td><td class="n">3.3k</td><td class="n">$0.30</td><td class="n">$0.30</td>)"
    R"(<td>ledger-20231114</td></tr>)";

TEST_F(ReportComparedTest, TheRunsItStartedFromStandBesideIt) {
  fill_earlier();
  fill_later(later_, "ledger-again", {started_from(kEarlierId, earlier_)});
  ReportData d = load(later_);
  ASSERT_EQ(d.compared.size(), 2u);
  const RunFigures& a = d.compared[0];
  EXPECT_EQ(a.error, "");
  EXPECT_EQ(a.run_id, kEarlierId);
  EXPECT_EQ(a.dir, earlier_);
  EXPECT_EQ(a.validated_fixes, 2);
  EXPECT_EQ(a.first_fix_generation, 3);
  // g01 ×3, g02 ×3, then g03-a01 (launched with g03-a02's first attempt and g03-a03, before them in slot order).
  EXPECT_EQ(a.agent_runs_to_first_fix, 7);
  EXPECT_EQ(a.tokens, 14950);
  EXPECT_NEAR(a.cost_usd, 1.30, 1e-9);
  EXPECT_EQ(a.target, (TargetIdentity{kRepo, kCommit}));
  EXPECT_TRUE(a.from.empty());
  const RunFigures& b = d.compared[1];
  EXPECT_EQ(b.run_id, "ledger-again");
  EXPECT_EQ(b.validated_fixes, 1);
  EXPECT_EQ(b.first_fix_generation, 1);
  EXPECT_EQ(b.agent_runs_to_first_fix, 2);
  EXPECT_EQ(b.from, std::vector<std::string>{kEarlierId});
  // O-0001 only: O-0002 was inherited but not seen again here, the third is this run's alone.
  ASSERT_EQ(d.shared_failures.size(), 1u);
  EXPECT_EQ(d.shared_failures[0].fingerprint, "fp-O-0001");
  EXPECT_EQ(d.shared_failures[0].runs, (std::vector<std::string>{kEarlierId, "ledger-again"}));
  EXPECT_EQ(d.shared_failures[0].count, 2 + 5);

  std::string html = render_html(d);
  EXPECT_NE(html.find(R"(<a href="#compared">Compared</a>)"), std::string::npos);
  size_t section = html.find(R"(<section id="compared"><h2>Compared with the runs it started from</h2>)");
  ASSERT_NE(section, std::string::npos);
  EXPECT_GT(section, html.find(R"(<section id="totals">)"));
  std::string body = html.substr(section, html.find("</section>", section) - section);
  EXPECT_NE(body.find(R"(<th class="n">agent runs</th>)"), std::string::npos);
  EXPECT_NE(body.find(kEarlierRow), std::string::npos) << body;
  EXPECT_NE(body.find(kLaterRow), std::string::npos) << body;
  EXPECT_LT(body.find(kEarlierRow), body.find(kLaterRow));
  EXPECT_NE(body.find(R"(<li class="shared-failure">Changing src/ledger.c alone does not pass test_transfer )"
                      R"(<span class="muted">· runs ledger-20231114, ledger-again · seen 7× · <code>fp-O-0001</code>)"),
            std::string::npos)
      << body;
  EXPECT_EQ(body.find("use after free"), std::string::npos);

  std::string md = render_markdown(d);
  EXPECT_NE(md.find("\n\n## Compared with the runs it started from\n\n"
                    "| run | status | target | gens | agents | fixes | first fix | agent runs | tokens | cost | per fix "
                    "| started from |\n|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n"
                    "| ledger-20231114 | completed | ledger@1a2b3c4 | 3 | 9 | 2 | 3 | 7 | 15.0k | $1.30 | $0.65 | – |\n"
                    "| ledger-again (this run) | completed | ledger@1a2b3c4 | 1 | 2 | 1 | 1 | 2 | 3.3k | $0.30 | $0.30 "
                    "| ledger-20231114 |\n\nFailures it shares with them (important, equal fingerprint):\n"
                    "- Changing src/ledger.c alone does not pass test_transfer (runs ledger-20231114, ledger-again; "
                    "seen 7×)\n"),
            std::string::npos)
      << md;
  EXPECT_TRUE(md.ends_with("seen 7×)\n")) << md.substr(md.size() - 200);
}

TEST_F(ReportComparedTest, AGoneOrUnreadableEarlierRunIsARowAndTheReportStillWrites) {
  fill_earlier();
  fs::create_directories(root_ + "/broken");
  std::ofstream(root_ + "/broken/run.db") << "not a database, truncated by a full disk";
  fill_later(later_, "ledger-again", {started_from(kEarlierId, earlier_), started_from("broken", root_ + "/broken")});
  fs::remove_all(earlier_);

  ReportWriteResult written = write_reports(later_);
  ASSERT_TRUE(written.ok()) << written.error;
  ReportData d = load(later_);
  ASSERT_EQ(d.compared.size(), 3u);
  EXPECT_EQ(d.compared[0].run_id, kEarlierId);
  EXPECT_EQ(d.compared[0].error, earlier_ + " is gone");
  EXPECT_EQ(d.compared[1].run_id, "broken");
  EXPECT_EQ(d.compared[1].error, root_ + "/broken/run.db: step: file is not a database (sqlite 26)");
  EXPECT_EQ(d.compared[2].error, "");
  EXPECT_EQ(d.compared[2].agent_runs_to_first_fix, 2);
  EXPECT_TRUE(d.shared_failures.empty());

  std::string html = read(later_ + "/report.html");
  EXPECT_NE(html.find(R"(<tr class="unreadable"><td>ledger-20231114</td><td class="bad" colspan="11">cannot be read: )" +
                      earlier_ + " is gone</td></tr>"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find(R"(<tr class="unreadable"><td>broken</td><td class="bad" colspan="11">cannot be read: )"),
            std::string::npos);
  EXPECT_NE(html.find(R"(<tr class="this"><td>ledger-again <span class="muted">(this run)</span>)"), std::string::npos);
  EXPECT_NE(html.find("No important failure of this run was seen by the runs it started from."), std::string::npos);
  std::string md = read(later_ + "/report.md");
  EXPECT_NE(md.find("\n| ledger-20231114 | cannot be read: " + earlier_ + " is gone |\n"), std::string::npos) << md;
  EXPECT_NE(md.find("\n| broken | cannot be read: "), std::string::npos) << md;
}

TEST_F(ReportComparedTest, ADirHoldingAnotherRunNowIsNotComparedWith) {
  RunBuilder stranger(earlier_, "stranger", kT0);
  stranger.finish("completed", 1, kT0 + kSecond, "");
  fill_later(later_, "ledger-again", {started_from(kEarlierId, earlier_)});
  ReportData d = load(later_);
  ASSERT_EQ(d.compared.size(), 2u);
  EXPECT_EQ(d.compared[0].run_id, kEarlierId);
  EXPECT_EQ(d.compared[0].error, earlier_ + " now holds run stranger, not ledger-20231114");
}

TEST_F(ReportComparedTest, AnEarlierRunsOwnEarlierRunsAreNotOpened) {
  fill_earlier();
  fill_later(later_, "ledger-again", {started_from(kEarlierId, earlier_)});
  fill_later(root_ + "/c", "ledger-third", {started_from("ledger-again", later_)});
  fs::remove_all(earlier_);  // c's report reads b's figures only: b's own earlier run may be gone
  ReportData d = load(root_ + "/c");
  ASSERT_EQ(d.compared.size(), 2u);
  EXPECT_EQ(d.compared[0].error, "");
  EXPECT_EQ(d.compared[0].run_id, "ledger-again");
  EXPECT_EQ(d.compared[0].from, std::vector<std::string>{kEarlierId});
  EXPECT_EQ(d.compared[1].run_id, "ledger-third");
  // Both saw O-0001 in their own generation 1.
  ASSERT_EQ(d.shared_failures.size(), 2u);
  EXPECT_EQ(d.shared_failures[0].runs, (std::vector<std::string>{"ledger-again", "ledger-third"}));
}

TEST_F(ReportComparedTest, ARunStartedBlindHasNoComparison) {
  fill_finished_run(later_, true);
  ReportData d = load(later_);
  EXPECT_TRUE(d.compared.empty());
  std::string html = render_html(d);
  EXPECT_EQ(html.find(R"(id="compared")"), std::string::npos);
  EXPECT_EQ(html.find(R"(href="#compared")"), std::string::npos);
  std::string md = render_markdown(d);
  EXPECT_EQ(md.find("Compared with"), std::string::npos);
  EXPECT_TRUE(md.ends_with("wall time 1h00m, agent time 1h30m.\n")) << md.substr(md.size() - 100);
}

}  // namespace

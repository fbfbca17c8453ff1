// summary.json against docs/summary.schema.json, junit.xml through a real XML parser, hostile text in every format,
// write_reports() and the `harness report` verb; plus the filled run the browser check (tests/e2e) renders.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "harness/report/report.h"
#include "json_schema_subset.h"
#include "report_fixture.h"
#include "report_runs.h"
#include "tests/harness/loop_fixture.h"  // run_shell

namespace fs = std::filesystem;
using namespace harness;
using namespace harness_test;
using Json = nlohmann::json;

namespace {

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Json summary_schema() { return Json::parse(read(HARNESS_SOURCE_DIR "/docs/summary.schema.json")); }

class ReportFormatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/report-formats-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }
  ReportData load(std::optional<std::vector<ReportObservation>> obs = std::nullopt) {
    auto store = trace::Store::open(dir_ + "/run.db", trace::Store::Mode::read_only);
    return load_report_data(dir_, *store, std::move(obs));
  }
  // junit.xml through Python's XML parser: "<testcases> <failures> <first failure message>", or its error.
  CommandResult parse_junit(const std::string& xml) {
    write_file_atomically(dir_ + "/check.xml", xml);
    return run_shell("python3 -c 'import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); "
                     "f = d.getElementsByTagName(\"failure\"); "
                     "print(len(d.getElementsByTagName(\"testcase\")), len(f), f[0].getAttribute(\"message\") if f else \"\")' " +
                     dir_ + "/check.xml");
  }
  std::string dir_;
};

TEST_F(ReportFormatsTest, SummaryJsonOfAFinishedRunValidatesAndAddsUp) {
  fill_finished_run(dir_, true);
  Json s = Json::parse(render_summary_json(load()));
  EXPECT_EQ(validate_json_schema(summary_schema(), s), std::vector<std::string>{});
  EXPECT_EQ(s["partial"], false);
  EXPECT_EQ(s["run"]["id"], "ledger-20231114");
  EXPECT_EQ(s["run"]["exit_code"], 0);
  EXPECT_EQ(s["run"]["started_at"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(s["run"]["wall_time_s"], 3600.0);
  EXPECT_EQ(s["headline"]["validated_fix"], true);
  EXPECT_EQ(s["winner"]["agent"], "g03-a01");
  EXPECT_EQ(s["winner"]["verify"], (Json{{"command", "make test"}, {"passes", 3}, {"repeats", 3}}));
  EXPECT_EQ(s["winner"]["patch_path"], "gen-003/agent-01/patch.diff");
  EXPECT_EQ(s["winner"]["trace_tree"], kFinishedRunWinnerTree);
  EXPECT_EQ(s["convergence"][1], (Json{{"generation", 2}, {"total_observations", 5}, {"new_observations", 2},
                                       {"new_important_observations", 1}, {"validated_fixes", 0},
                                       {"partial_fixes", 1}, {"from_observer", true}}));
  EXPECT_EQ(s["generations"][1]["learned"], Json::array({"O-0002"}));
  EXPECT_EQ(s["generations"][1]["cost_usd"], 0.65);
  EXPECT_EQ(s["strategies"][2]["name"], "minimal-patch");
  EXPECT_EQ(s["strategies"][2]["tokens"], 4410);
  EXPECT_EQ(s["agents"].size(), 10u);
  EXPECT_EQ(s["agents"][7]["status"], "interrupted");
  EXPECT_EQ(s["agents"][7]["attempt"], 1);
  EXPECT_EQ(s["totals"], (Json{{"agents", 9}, {"attempts", 10}, {"validated_fixes", 2}, {"partial_fixes", 1},
                               {"kills", 3}, {"crashes", 1}, {"input_tokens", 13000}, {"output_tokens", 1950},
                               {"tokens", 14950}, {"cost_usd", 1.3}, {"agent_time_s", 5400.0},
                               {"wall_time_s", 3600.0},
                               {"advisors", {{"questions", 0}, {"failed", 0}, {"llm_calls", 0}, {"input_tokens", 0},
                                             {"output_tokens", 0}, {"tokens", 0}, {"cost_usd", 0.0}}}}));
  // Keys in the report's order: a person reading the file meets the headline first.
  std::string text = render_summary_json(load());
  EXPECT_LT(text.find("\n  \"headline\""), text.find("\n  \"convergence\""));
  EXPECT_LT(text.find("\n  \"observations\""), text.find("\n  \"agents\""));
}

TEST_F(ReportFormatsTest, SummaryJsonOfAnInterruptedRunValidates) {
  fill_interrupted_run(dir_);
  Json s = Json::parse(render_summary_json(load(interrupted_run_observations())));
  EXPECT_EQ(validate_json_schema(summary_schema(), s), std::vector<std::string>{});
  EXPECT_EQ(s["partial"], true);
  EXPECT_EQ(s["winner"], nullptr);
  EXPECT_EQ(s["run"]["finished_at"], nullptr);
  EXPECT_EQ(s["run"]["exit_code"], 130);
  EXPECT_EQ(s["headline"]["resume_command"], "harness resume " + dir_);
  EXPECT_EQ(s["generations"][1]["finished_at"], nullptr);
  EXPECT_EQ(s["convergence"][1]["from_observer"], false);
}

TEST_F(ReportFormatsTest, SchemaCheckCatchesViolations) {
  fill_finished_run(dir_, true);
  Json s = Json::parse(render_summary_json(load()));
  s["totals"].erase("tokens");
  s["run"]["status"] = "exploded";
  s["agents"][0]["id"] = "agent-1";
  s["winner"]["extra"] = 1;
  s["generations"][0]["kills"] = -1;
  EXPECT_EQ(validate_json_schema(summary_schema(), s),
            (std::vector<std::string>{  // in key order
                "/agents/0/id: \"agent-1\" does not match ^g[0-9]{2,}-a[0-9]{2,}$",
                "/generations/0/kills: -1 is below the minimum 0",
                "/run/status: \"exploded\" is not one of [\"running\",\"interrupted\",\"completed\",\"failed\"]",
                "/totals: missing required key `tokens`",
                "/winner/extra: key not allowed by the schema"}));
}

TEST_F(ReportFormatsTest, JunitHasATestcasePerGeneration) {
  fill_finished_run(dir_, true);
  std::string xml = render_junit(load());
  auto r = parse_junit(xml);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output,
            "3 2 no validated fix; top observations: O-0001 [important] Changing src/ledger.c alone does not pass "
            "test_transfer; O-0003 [possible] Agents moved the lock into pool_submit(); O-0004 [informational] "
            "<script>alert(1)</script> sessions use 3k tokens\n");
  EXPECT_NE(xml.find("<testcase classname=\"harness.ledger-race\" name=\"generation 03\" time=\"1000.000\">\n"
                     "      <system-out>validated fix by g03-a01 (bisect, verify 3/3), g03-a02 (trace-first, verify "
                     "3/3)</system-out>"),
            std::string::npos);
  EXPECT_NE(xml.find("message=\"no validated fix, 1 partial; top observations: O-0002 [important] Assertion "
                     "`pool-&gt;active == 0&#39; failed after the retry | in pool.c; O-0005"),
            std::string::npos);
  if (std::system("command -v xmllint >/dev/null 2>&1") == 0) {
    auto lint = run_shell("xmllint --noout " + dir_ + "/check.xml");
    EXPECT_EQ(lint.exit_code, 0) << lint.output;
  }
}

TEST_F(ReportFormatsTest, JunitOfAnInterruptedRun) {
  fill_interrupted_run(dir_);
  auto r = parse_junit(render_junit(load(interrupted_run_observations())));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "2 2 no validated fix; top observations: O-0001 [important] a.c alone is not enough; O-0002 "
                      "[possible] tests/extra.c created\n");
}

TEST_F(ReportFormatsTest, HostileTextStaysInsideEveryFormat) {
  RunBuilder run(dir_, "hostile", kT0);
  run.generation(1, "completed", kT0, kT0 + 10 * kSecond, std::array<int, 3>{1, 1, 1});
  std::string nasty = "a|b </failure>]]> & \"q\" 'x' <b>\x01\x1b[31m \xff\xfe bad utf8 \xe2\x82";
  auto a = make_agent(1, 1, nasty, AgentOutcome::crashed, kT0, 5, 1, 1, 0.001, nasty);
  a.strategy_json = {{"name", "hostile"}};  // RunState stores it as JSON text, which must be valid UTF-8
  a.verify = {true, 0, 1, nasty};
  a.changed_files = {"src/<b>&\"q\"|.c"};  // stored as JSON text too
  run.agent(a);
  run.finish("completed", 1, kT0 + 10 * kSecond, "1 generations done");
  ReportData d = load(std::vector<ReportObservation>{{"O-0001", "important", "crash", nasty, 1, 1, 1, {nasty}}});

  auto r = parse_junit(render_junit(d));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  Json s = Json::parse(render_summary_json(d));  // throws on invalid UTF-8
  EXPECT_EQ(validate_json_schema(summary_schema(), s), std::vector<std::string>{});
  EXPECT_EQ(s["agents"][0]["end_reason"],
            "a|b </failure>]]> & \"q\" 'x' <b>\x01\x1b[31m \xEF\xBF\xBD\xEF\xBF\xBD bad utf8 \xEF\xBF\xBD\xEF\xBF\xBD");
  std::string html = render_html(d);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_EQ(html.find('\x01'), std::string::npos);
  EXPECT_NE(html.find("a|b &lt;/failure&gt;]]&gt; &amp; &quot;q&quot; &#39;x&#39; &lt;b&gt;"), std::string::npos);
  std::string md = render_markdown(d);
  EXPECT_NE(md.find("| g01-a01 | a\\|b &lt;/failure>]]> & \"q\" 'x' &lt;b>"), std::string::npos);
}

TEST_F(ReportFormatsTest, WriteReportsWritesFourFilesAtomically) {
  fill_finished_run(dir_, true);
  ReportWriteResult result = write_reports(dir_ + "/");
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.written, (std::vector<std::string>{dir_ + "/report.md", dir_ + "/report.html",
                                                      dir_ + "/summary.json", dir_ + "/junit.xml"}));
  for (const auto& entry : fs::directory_iterator(dir_))
    EXPECT_EQ(entry.path().string().find(".tmp."), std::string::npos) << entry.path();
  EXPECT_EQ(Json::parse(read(dir_ + "/summary.json"))["winner"]["agent"], "g03-a01");
  EXPECT_EQ(read(dir_ + "/report.md").rfind("# Validated fix found\n", 0), 0u);

  ReportWriteResult missing = write_reports(dir_ + "/nowhere");
  EXPECT_EQ(missing.error, dir_ + "/nowhere: no run here (missing run.db)");
  fs::create_directories(dir_ + "/trace-only");
  trace::Store::open(dir_ + "/trace-only/run.db");
  EXPECT_EQ(write_reports(dir_ + "/trace-only").error,
            dir_ + "/trace-only: not a harness run (run.db has no run record)");
}

TEST_F(ReportFormatsTest, AWriteFailureIsReturnedAndLeavesNoTemporaryFile) {
  fill_finished_run(dir_, true);
  fs::create_directories(dir_ + "/report.html/occupied");  // rename() cannot replace a non-empty directory
  ReportWriteResult result = write_reports(dir_);
  EXPECT_EQ(result.written, std::vector<std::string>{dir_ + "/report.md"});
  EXPECT_EQ(result.error, dir_ + "/report.html: cannot replace: Is a directory");
  for (const auto& entry : fs::directory_iterator(dir_))
    EXPECT_EQ(entry.path().string().find(".tmp."), std::string::npos) << entry.path();
  try {
    write_file_atomically(dir_ + "/missing/report.md", "x");
    FAIL() << "writing into a missing folder must throw";
  } catch (const ReportError& e) {
    EXPECT_EQ(std::string(e.what()), fmt::format("{}/missing/report.md.tmp.{}: cannot create: No such file or directory",
                                                 dir_, ::getpid()));
  }
}

TEST_F(ReportFormatsTest, CliPrintsOneFormatOrWritesAll) {
  fill_finished_run(dir_, true);
  auto json = run_shell(std::string(HARNESS_BINARY) + " report " + dir_ + " --format json");
  ASSERT_EQ(json.exit_code, 0) << json.output;
  EXPECT_EQ(Json::parse(json.output)["totals"]["tokens"], 14950);
  EXPECT_FALSE(fs::exists(dir_ + "/summary.json"));  // one format goes to stdout only

  auto all = run_shell(std::string(HARNESS_BINARY) + " report " + dir_);
  ASSERT_EQ(all.exit_code, 0) << all.output;
  EXPECT_EQ(all.output, dir_ + "/report.md\n" + dir_ + "/report.html\n" + dir_ + "/summary.json\n" + dir_ +
                            "/junit.xml\n");

  auto missing = run_shell(std::string(HARNESS_BINARY) + " report " + dir_ + "/nowhere");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.output, "harness: " + dir_ + "/nowhere: no run here (missing run.db)\n");
  auto bad_format = run_shell(std::string(HARNESS_BINARY) + " report " + dir_ + " --format pdf");
  EXPECT_EQ(bad_format.exit_code, 2);
  EXPECT_NE(bad_format.output.find("pdf not in {md,html,json,junit,all}"), std::string::npos) << bad_format.output;
}

// Not a check of its own: writes the filled run that tests/e2e/report_browser.sh opens in Chromium.
TEST(ReportBrowserFixture, WritesAFilledRunDir) {
  const char* out = std::getenv("HARNESS_REPORT_FIXTURE_DIR");
  if (!out || !*out) GTEST_SKIP() << "set HARNESS_REPORT_FIXTURE_DIR to write the browser check's run dir";
  fs::remove_all(out);
  fill_synthetic_run(out, 12, 8, true, 4);
  ReportWriteResult result = write_reports(out);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.written.size(), 4u);
}

}  // namespace

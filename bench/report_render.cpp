// Benchmark: the morning report of a run of 50 generations × 20 agents (each agent with a session of 8 LLM and 8 tool
// spans, 150 observations). Baseline, measured in the same run: loading the run's records alone (RunState reads).
// Prints the time to gather the report data, to render each format, and to write all four files; target < 2 s.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "bench/bench_timing.h"

#include "harness/report/report.h"
#include "tests/harness/report/report_fixture.h"

namespace fs = std::filesystem;
using bench::best_ms;
using bench::Clock;
using bench::ms_since;

int main(int argc, char** argv) {
  const int generations = argc > 1 ? std::atoi(argv[1]) : 50;
  const int population = argc > 2 ? std::atoi(argv[2]) : 20;
  const int rounds = 5;
  std::string dir = (fs::temp_directory_path() / fmt::format("bench-report-{}", ::getpid())).string();
  fs::remove_all(dir);
  auto fill_start = Clock::now();
  harness_test::fill_synthetic_run(dir, generations, population, true);
  fmt::print("filled {} generations x {} agents in {:.0f} ms ({} MB run.db)\n", generations, population,
             ms_since(fill_start), fs::file_size(dir + "/run.db") >> 20);

  auto store = trace::Store::open(dir + "/run.db", trace::Store::Mode::read_only);
  harness::RunState state(*store);
  size_t records = 0;
  double baseline = best_ms(rounds, [&] {
    records = state.agents().size() + state.generations().size() + (state.run() ? 1 : 0);
  });
  harness::ReportData data;
  double gather = best_ms(rounds, [&] { data = harness::load_report_data(dir, *store); });
  double md = best_ms(rounds, [&] { (void)harness::render_markdown(data); });
  double html = best_ms(rounds, [&] { (void)harness::render_html(data); });
  double json = best_ms(rounds, [&] { (void)harness::render_summary_json(data); });
  double junit = best_ms(rounds, [&] { (void)harness::render_junit(data); });
  harness::ReportWriteResult result;
  double total = best_ms(rounds, [&] { result = harness::write_reports(dir, *store); });
  if (!result.ok()) {
    fmt::print(stderr, "write_reports failed: {}\n", result.error);
    return 1;
  }
  fmt::print("baseline: load {} run records                  {:8.1f} ms\n", records, baseline);
  fmt::print("gather report data (records, spans, tree)      {:8.1f} ms  ({:.1f}x baseline)\n", gather,
             gather / baseline);
  fmt::print("render report.md    ({:7} bytes)            {:8.1f} ms\n", fs::file_size(dir + "/report.md"), md);
  fmt::print("render report.html  ({:7} bytes)            {:8.1f} ms\n", fs::file_size(dir + "/report.html"), html);
  fmt::print("render summary.json ({:7} bytes)            {:8.1f} ms\n", fs::file_size(dir + "/summary.json"), json);
  fmt::print("render junit.xml    ({:7} bytes)            {:8.1f} ms\n", fs::file_size(dir + "/junit.xml"), junit);
  fmt::print("write_reports: all four, gathered and written  {:8.1f} ms  ({:.1f}x baseline; target < 2000 ms: {})\n",
             total, total / baseline, total < 2000 ? "met" : "MISSED");
  fs::remove_all(dir);
  return total < 2000 ? 0 : 1;
}

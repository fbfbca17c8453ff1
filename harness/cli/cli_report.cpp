// Verb: `harness report RUN_DIR [--format md|html|json|junit|all]`. `all` (the default) writes the four files into
// the run dir and prints their paths; one format prints that report on stdout and writes nothing.
#include <filesystem>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "harness/cli/cli.h"
#include "harness/report/report.h"

namespace fs = std::filesystem;

namespace harness {
namespace {

int report_command(const std::string& run_dir_arg, const std::string& format) {
  std::string run_dir = strip_trailing_slashes(run_dir_arg);
  if (!fs::exists(fs::path(run_dir) / "run.db"))
    throw UsageError(fmt::format("{}: no run here (missing run.db)", run_dir));
  auto store = trace::Store::open(run_dir + "/run.db", trace::Store::Mode::read_only);
  ReportData data;
  try {
    data = load_report_data(run_dir, *store);
  } catch (const ReportError& e) {
    throw UsageError(e.what());  // a folder that is not a harness run: the user pointed at the wrong place
  }
  if (format != "all") {
    fmt::print("{}", render_report(data, *report_format_from(format)));
    return kExitOk;
  }
  ReportWriteResult result = write_reports(data);
  for (const auto& path : result.written) fmt::print("{}\n", path);
  if (!result.ok()) {
    fmt::print(stderr, "harness: {}\n", result.error);
    return kExitInfra;
  }
  return kExitOk;
}

}  // namespace

void register_report_commands(CLI::App& app, CliContext& ctx) {
  static std::string run_dir;
  static std::string format = "all";
  auto* report = app.add_subcommand("report", "Write a run's report (report.md, report.html, summary.json, junit.xml)");
  report->add_option("run_dir", run_dir, "Run directory")->required();
  report->add_option("--format", format, "md|html|json|junit print one report on stdout; all writes every file")
      ->check(CLI::IsMember({"md", "html", "json", "junit", "all"}));
  report->callback([&ctx] { ctx.exit_code = report_command(run_dir, format); });
}

}  // namespace harness

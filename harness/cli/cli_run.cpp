// Verbs of the generation loop: run, resume, status. validate and init are in cli_config.cpp.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "harness/cli/cli.h"
#include "harness/dashboard/dashboard_server.h"
#include "harness/run_command.h"
#include "harness/runs_view.h"

namespace harness {

void register_run_commands(CLI::App& app, CliContext& ctx) {
  static RunOptions run_opts;
  static bool quiet = false;
  // --serve: the dashboard beside the run (harness serve), on --serve-port / --serve-host.
  static bool serve = false;
  static int serve_port = 0;
  static std::string serve_host = "127.0.0.1";
  auto add_serve = [](CLI::App* verb) {
    verb->add_flag("--serve", serve, "Serve the live dashboard of this run while it runs (prints its URL)");
    verb->add_option("--serve-port", serve_port, "Port of --serve (0: any free port)");
    verb->add_option("--serve-host", serve_host, "Address of --serve (default 127.0.0.1)");
  };
  auto mode = [] { return quiet ? ProgressMode::quiet : default_progress_mode(); };

  auto* run = app.add_subcommand("run", "Run the generation loop from a config");
  run->add_option("config", run_opts.config_path, "YAML config")->required();
  run->add_option("--run-dir", run_opts.run_dir, "Run directory (default runs/<name>-<time>)");
  run->add_option("--seed", run_opts.seed, "Seed: the same seed gives the same strategies and demo agents");
  run->add_flag("--quiet,-q", quiet, "Print errors only");
  run->add_option("--from", run_opts.from, "Earlier run dirs whose observations this run starts with")
      ->expected(1, -1);
  run->add_flag("--force", run_opts.force, "With --from: accept runs of another repository or base commit");
  add_serve(run);
  run->callback([&ctx, mode] {
    run_opts.progress = mode();
    std::unique_ptr<dashboard::DashboardServer> server;
    if (serve) run_opts.on_started = serve_beside_run(server, serve_host, serve_port);
    ctx.exit_code = run_command(run_opts);
  });

  static std::string resume_dir;
  static bool force = false;
  auto* resume = app.add_subcommand("resume", "Continue an interrupted run");
  resume->add_option("run_dir", resume_dir, "Run directory")->required();
  resume->add_flag("--force", force, "Resume even though the config changed");
  resume->add_flag("--quiet,-q", quiet, "Print errors only");
  add_serve(resume);
  resume->callback([&ctx, mode] {
    std::unique_ptr<dashboard::DashboardServer> server;
    ctx.exit_code = resume_command(resume_dir, force, mode(),
                                   serve ? serve_beside_run(server, serve_host, serve_port)
                                         : std::function<void(const std::string&)>{});
  });

  static std::string status_dir;
  static bool json = false;
  auto* status = app.add_subcommand("status", "Show a run's generations and agents");
  status->add_option("run_dir", status_dir, "Run directory")->required();
  status->add_flag("--json", json, "JSON output");
  status->callback([&ctx] { ctx.exit_code = status_command(status_dir, json); });

  static std::string runs_dir;
  static bool runs_json = false;
  auto* runs = app.add_subcommand("runs", "Compare the runs under a folder side by side");
  runs->add_option("dir", runs_dir, "A folder of run dirs (or one run dir)")->required();
  runs->add_flag("--json", runs_json, "JSON output");
  runs->callback([&ctx] {
    nlohmann::json j = build_runs(runs_dir);
    fmt::print("{}", runs_json ? j.dump(2) + "\n" : format_runs(j));
    ctx.exit_code = 0;
  });
}

}  // namespace harness

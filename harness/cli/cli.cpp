#include "harness/cli/cli.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "telemetry/sandbox_init.h"

namespace harness {
namespace {

// The one place an error that ends a command becomes an exit code (the mapping: harness/exit_codes.h).
int report_fatal(const std::exception& e) {
  fmt::print(stderr, "harness: {}\n", fatal_message(e));
  return exit_code_for(e);
}

}  // namespace

int run_cli(int argc, char** argv) {
  // First inside a sandbox (telemetry/sandbox_init.h): before any CLI parsing, it must stay fast and quiet.
  if (argc >= 2 && std::string_view(argv[1]) == telemetry::kSandboxInitCommand)
    return telemetry::sandbox_init_main(std::vector<std::string>(argv + 2, argv + argc));
  CLI::App app{"harness: generational debugging with fleets of coding agents"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "harness 0.1.0");
  CliContext ctx;
  register_trace_commands(app, ctx);
  register_run_commands(app, ctx);
  register_config_commands(app, ctx);
  register_export_command(app, ctx);
  register_report_commands(app, ctx);
  register_serve_commands(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);  // CLI11 prints its own message (and --help, which is no error)
    return rc == 0 ? kExitOk : kExitUsage;
  } catch (const std::exception& e) {
    return report_fatal(e);
  }
  return ctx.exit_code;
}

}  // namespace harness

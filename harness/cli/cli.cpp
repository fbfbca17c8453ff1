#include "harness/cli/cli.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "telemetry/sandbox_init.h"
#include "trace/import.h"
#include "trace/store.h"

namespace harness {

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
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  } catch (const UsageError& e) {
    fmt::print(stderr, "harness: {}\n", e.what());
    return kExitUsage;
  } catch (const trace::ImportError& e) {
    fmt::print(stderr, "harness: {}\n", e.what());
    return kExitUsage;
  } catch (const trace::StoreError& e) {
    fmt::print(stderr, "harness: store error: {}\n", e.what());
    return kExitInfra;
  } catch (const std::exception& e) {
    // The one place fatal errors are caught: report and exit as an infrastructure failure.
    fmt::print(stderr, "harness: error: {}\n", e.what());
    return kExitInfra;
  }
  return ctx.exit_code;
}

}  // namespace harness

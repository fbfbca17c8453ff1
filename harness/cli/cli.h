// The command line: `harness <verb> ...`. main() only calls run_cli(); tests call it too.
// Exit codes: harness/exit_codes.h (docs in README.md).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "harness/exit_codes.h"

namespace CLI {
class App;
}

namespace harness {
namespace dashboard {
class DashboardServer;
}

// Shared by every verb: the exit code the chosen verb sets.
struct CliContext {
  int exit_code = kExitOk;
};

// Each file cli_<group>.cpp registers its verbs.
void register_trace_commands(CLI::App& app, CliContext& ctx);
void register_run_commands(CLI::App& app, CliContext& ctx);
void register_config_commands(CLI::App& app, CliContext& ctx);  // validate, init
void register_export_command(CLI::App& app, CliContext& ctx);
void register_report_commands(CLI::App& app, CliContext& ctx);
void register_serve_commands(CLI::App& app, CliContext& ctx);  // serve

// run --serve / resume --serve: a RunOptions::on_started that starts the dashboard of the run dir into `server`
// and prints its URL (the server stops when `server` goes; a port that cannot be bound only warns).
std::function<void(const std::string&)> serve_beside_run(std::unique_ptr<dashboard::DashboardServer>& server,
                                                         const std::string& host, int port);

int run_cli(int argc, char** argv);

}  // namespace harness

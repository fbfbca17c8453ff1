// The command line: `harness <verb> ...`. main() only calls run_cli(); tests call it too.
// Exit codes: harness/exit_codes.h (docs in README.md).
#pragma once

#include <string>

#include "harness/exit_codes.h"

namespace CLI {
class App;
}

namespace harness {

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

int run_cli(int argc, char** argv);

}  // namespace harness

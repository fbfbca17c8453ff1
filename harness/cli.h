// The command line: `harness <verb> ...`. main() only calls run_cli(); tests call it too.
// Exit codes (docs in README.md): 0 validated fix found / success, 1 finished without one (or audit violations),
// 2 config or usage error, 3 infrastructure failure, 130 interrupted.
#pragma once

#include <stdexcept>
#include <string>

namespace CLI {
class App;
}

namespace harness {

enum ExitCode { kExitOk = 0, kExitNoFix = 1, kExitUsage = 2, kExitInfra = 3, kExitInterrupted = 130 };

// A mistake of the user's (bad flag value, missing file): printed as is, exit 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

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

// Verbs of the generation loop: run, resume, status (issue 3). validate and init are in cli_config.cpp.
#include <CLI/CLI.hpp>

#include "harness/cli.h"

namespace harness {

void register_run_commands(CLI::App& app, CliContext& ctx) {
  (void)app;
  (void)ctx;
}

}  // namespace harness

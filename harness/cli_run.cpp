// Verbs of the generation loop: run, resume, status, validate, init (issue 3).
#include <CLI/CLI.hpp>

#include "harness/cli.h"

namespace harness {

void register_run_commands(CLI::App& app, CliContext& ctx) {
  (void)app;
  (void)ctx;
}

}  // namespace harness

// Verb: `harness serve DIR [--port N] [--host H]`: the live dashboard of a run dir or a folder of run dirs, until
// Ctrl-C. `run --serve` / `resume --serve` start the same server beside the run (serve_beside_run).
#include <chrono>
#include <filesystem>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "harness/cli/cli.h"
#include "harness/dashboard/dashboard_server.h"
#include "harness/exit_codes.h"
#include "harness/interrupt.h"
#include "harness/report/report.h"

namespace fs = std::filesystem;

namespace harness {
namespace {

dashboard::ServeOptions serve_options(const std::string& dir, const std::string& host, int port) {
  if (port < 0 || port > 65535) throw UsageError(fmt::format("--port {}: expected 0 (any free port) to 65535", port));
  if (host.empty()) throw UsageError("--host: expected an address to listen on (127.0.0.1 by default)");
  return {dir, host, port, ""};
}

int serve_command(const std::string& dir_arg, const std::string& host, int port) {
  std::string dir = strip_trailing_slashes(dir_arg);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw UsageError(fmt::format("{}: no such folder (expected a run dir or a folder of run dirs)", dir));
  dashboard::DashboardServer server(serve_options(dir, host, port));
  std::string url;
  try {
    url = server.start();
  } catch (const std::runtime_error& e) {
    throw UsageError(e.what());
  }
  fmt::print("dashboard: {}\n", url);
  if (host != "127.0.0.1" && host != "localhost" && host != "::1")
    fmt::print(stderr, "harness: WARNING: the dashboard listens on {}, beyond this machine's loopback; anyone "
                       "with the URL's token can read the runs\n", host);
  std::fflush(stdout);
  install_interrupt_handlers();
  while (!interrupt_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  server.stop();
  return kExitOk;
}

}  // namespace

std::function<void(const std::string&)> serve_beside_run(std::unique_ptr<dashboard::DashboardServer>& server,
                                                         const std::string& host, int port) {
  return [&server, host, port](const std::string& run_dir) {
    server = std::make_unique<dashboard::DashboardServer>(serve_options(run_dir, host, port));
    try {
      fmt::print(stderr, "dashboard: {}\n", server->start());
    } catch (const std::runtime_error& e) {
      // The run goes on without its dashboard: `harness serve RUN_DIR` can show it from another shell.
      fmt::print(stderr, "harness: {}; the run goes on without a dashboard\n", e.what());
      server.reset();
    }
  };
}

void register_serve_commands(CLI::App& app, CliContext& ctx) {
  static std::string dir;
  static std::string host = "127.0.0.1";
  static int port = 0;
  auto* serve = app.add_subcommand("serve", "Show runs live in a browser (read-only dashboard)");
  serve->add_option("dir", dir, "A run dir or a folder of run dirs")->required();
  serve->add_option("--port", port, "Port to listen on (0: any free port)");
  serve->add_option("--host", host, "Address to listen on (default 127.0.0.1: this machine only)");
  serve->callback([&ctx] { ctx.exit_code = serve_command(dir, host, port); });
}

}  // namespace harness

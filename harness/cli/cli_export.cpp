// `harness export DIR --format otlp-json [-o FILE]` and `harness export DIR --otlp-endpoint URL`: a trace
// directory as OTLP/HTTP JSON, to a file (one request per line), to stdout, or POSTed to a collector with
// retries.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "harness/cli/cli.h"
#include "trace/export_otlp.h"
#include "trace/import.h"

namespace harness {

void register_export_command(CLI::App& app, CliContext& ctx) {
  auto* cmd =
      app.add_subcommand("export", "Export a trace directory as OTLP/HTTP JSON (to a file or a collector)");
  static std::string dir, format, out_file, endpoint;
  static trace::OtlpExportOptions options;
  cmd->add_option("dir", dir, "Trace or run directory")->required();
  cmd->add_option("--format", format, "Output format (otlp-json)")->check(CLI::IsMember({"otlp-json"}));
  cmd->add_option("-o,--output", out_file, "File to write (default: stdout)");
  cmd->add_option("--otlp-endpoint", endpoint, "POST to <URL>/v1/traces, e.g. http://127.0.0.1:4318");
  cmd->add_option("--batch-size", options.batch_size, "Spans per request")->check(CLI::PositiveNumber);
  cmd->add_option("--max-attempts", options.max_attempts, "POST tries per batch")->check(CLI::PositiveNumber);
  cmd->callback([&ctx] {
    if (format.empty() && out_file.empty() && endpoint.empty())
      throw UsageError("export: give --format otlp-json [-o FILE] or --otlp-endpoint URL");
    auto store = trace::open_trace_dir(dir, false);
    bool to_stdout = endpoint.empty() && out_file.empty();
    auto report = [&](const trace::OtlpExportResult& r, const std::string& where) {
      fmt::print(to_stdout ? stderr : stdout, "exported {} spans, {} events in {} batches to {}{}\n", r.spans,
                 r.events, r.batches, where, r.retries ? fmt::format(" ({} retries)", r.retries) : "");
      if (r.rejected_spans)
        fmt::print(stderr, "harness: warning: the receiver rejected {} spans\n", r.rejected_spans);
      if (!r.ok()) {
        fmt::print(stderr, "harness: export: {}\n", r.error);
        ctx.exit_code = kExitInfra;
      }
    };
    if (!format.empty() || !out_file.empty() || to_stdout) {
      if (out_file.empty()) {
        report(trace::export_otlp_json(*store, std::cout, options), "stdout");
      } else {
        std::ofstream out(out_file, std::ios::binary | std::ios::trunc);
        if (!out) throw UsageError(fmt::format("{}: cannot write: {}", out_file, std::strerror(errno)));
        report(trace::export_otlp_json(*store, out, options), out_file);
      }
      if (ctx.exit_code != kExitOk) return;
    }
    if (!endpoint.empty()) report(trace::export_otlp_http(*store, endpoint, options), endpoint);
  });
}

}  // namespace harness

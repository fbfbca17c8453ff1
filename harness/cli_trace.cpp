// Verbs over a trace directory: import, trace {rebuild, tree, replay, stats, why}, audit, export.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "harness/cli.h"
#include "trace/import.h"

namespace harness {
namespace {

void print_import_summary(const std::vector<trace::ImportedFile>& files) {
  for (const auto& f : files) {
    const auto& s = f.stats;
    fmt::print("{}: {} lines, {} sessions, {} spans, {} events, {} decode errors, {} ignored ({})\n", f.path, s.lines,
               s.sessions, s.spans, s.events, s.errors, s.ignored, trace::to_string(f.format));
  }
}

}  // namespace

void register_trace_commands(CLI::App& app, CliContext& ctx) {
  (void)ctx;
  auto* import = app.add_subcommand("import", "Import agent output files into a trace directory");
  static std::vector<std::string> files;
  static std::string format = "auto", out_dir;
  import->add_option("files", files, "Files to import")->required()->check(CLI::ExistingFile);
  import->add_option("--format", format, "auto|jsonl|claude-stream|claude-transcript|codex|otlp")
      ->check(CLI::IsMember({"auto", "jsonl", "claude-stream", "claude-transcript", "codex", "otlp"}));
  import->add_option("--out", out_dir, "Trace directory to create or add to")->required();
  import->callback([] {
    std::optional<trace::Format> f;
    if (format != "auto") f = trace::format_from(format);
    print_import_summary(trace::import_files(files, f, out_dir));
  });

  auto* trace_cmd = app.add_subcommand("trace", "Inspect a trace directory");
  trace_cmd->require_subcommand(1);
  auto* rebuild = trace_cmd->add_subcommand("rebuild", "Re-derive all spans from the kept raw input");
  static std::string rebuild_dir;
  rebuild->add_option("dir", rebuild_dir, "Trace or run directory")->required();
  rebuild->callback([] { print_import_summary(trace::rebuild(rebuild_dir)); });
}

}  // namespace harness

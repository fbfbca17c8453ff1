// Verbs on config files: `harness validate CONFIG` and `harness init [PATH] [--force]`.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "harness/cli/cli.h"
#include "harness/config/config.h"

namespace harness {
namespace fs = std::filesystem;
namespace {

std::string wrap_paragraph(const std::string& text, size_t width) {
  std::string out, line;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    std::string word = text.substr(start, end - start);
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += line + "\n";
      line.clear();
    }
    if (!word.empty()) line += (line.empty() ? "" : " ") + word;
    start = end + 1;
  }
  if (!line.empty()) out += line + "\n";
  return out;
}

int validate(const std::string& path) {
  LoadResult loaded = load_config(path);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) fmt::print(stderr, "{}\n", e.format());
    fmt::print(stderr, "{}: {} {}\n", path, loaded.errors.size(), loaded.errors.size() == 1 ? "error" : "errors");
    return kExitUsage;
  }
  fmt::print("{}: ok\n{}", path, wrap_paragraph(describe_config(*loaded.config), 100));
  return kExitOk;
}

// Written to a temporary file and renamed into place, so that a failed write never leaves half a config.
void write_starter(const std::string& requested, bool force) {
  fs::path target = requested;
  std::error_code ec;
  if (fs::is_directory(target, ec)) target /= "harness.yaml";
  if (fs::exists(fs::symlink_status(target, ec)) && !force)
    throw UsageError(fmt::format("{} already exists: not overwriting it (use --force)", target.string()));
  fs::path folder = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  if (!fs::is_directory(folder, ec))
    throw UsageError(fmt::format("cannot write {}: folder {} does not exist", target.string(), folder.string()));
  fs::path temporary = folder / fmt::format(".{}.tmp-{}", target.filename().string(), ::getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << starter_config();
    out.close();
    if (!out) {
      fs::remove(temporary, ec);
      throw UsageError(fmt::format("cannot write {}", temporary.string()));
    }
  }
  fs::rename(temporary, target, ec);
  if (ec) {
    fs::remove(temporary, ec);
    throw UsageError(fmt::format("cannot write {}: {}", target.string(), ec.message()));
  }
  fmt::print("wrote {}: set target.repo, target.bug and verify.command, then run `harness validate {}`\n",
             target.string(), target.string());
}

}  // namespace

void register_config_commands(CLI::App& app, CliContext& ctx) {
  auto* validate_cmd = app.add_subcommand("validate", "Check a config file; print every error with file:line:col");
  static std::string validate_path;
  validate_cmd->add_option("config", validate_path, "The YAML config")->required();
  validate_cmd->callback([&ctx] { ctx.exit_code = validate(validate_path); });

  auto* init = app.add_subcommand("init", "Write a commented starter config");
  static std::string init_path = "harness.yaml";
  static bool force = false;
  init->add_option("path", init_path, "Where to write it (a folder gets harness.yaml)")->capture_default_str();
  init->add_flag("--force", force, "Overwrite an existing file");
  init->callback([] { write_starter(init_path, force); });
}

}  // namespace harness

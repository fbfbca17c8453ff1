// Loading a config: parse, walk against the key table, merge the runner preset, check required keys, apply the
// table's defaults, and fill Config. Every error is collected; a Config is returned only when there are none.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "harness/config/config.h"
#include "harness/config/config_presets.h"
#include "harness/config/config_walk.h"
#include "harness/config/sha256.h"

namespace harness {
namespace fs = std::filesystem;
namespace {

void missing(const CheckedTree& tree, const std::string& what, const std::string& key, const std::string& expected,
             std::vector<ConfigError>& errors) {
  Place at = tree.place_for_missing(key);
  errors.push_back({at.file, at.line, at.column, fmt::format("missing required key {}: expected {}", what, expected)});
}

// The preset's keys become defaults under the user's runner keys (env maps merge, the user's variables winning).
// False when the preset could not be used (its errors are reported).
bool merge_runner_preset(CheckedTree& tree, std::vector<ConfigError>& errors) {
  if (tree.invalid.count("runner.preset")) return false;
  auto preset_it = tree.values.find("runner.preset");
  if (preset_it == tree.values.end() || preset_it->second.value.text.empty()) return true;
  const std::string name = preset_it->second.value.text;
  const Place where = preset_it->second.place;
  std::optional<fs::path> file = find_preset(PresetKind::kRunner, name);
  if (!file) {
    std::vector<std::string> known = list_presets(PresetKind::kRunner);
    std::string message = fmt::format("unknown runner preset: got '{}', expected {} (from {})", name,
                                      known.empty() ? "a preset name, but there are none" : "one of " + join(known),
                                      preset_dir(PresetKind::kRunner).string());
    if (auto near = did_you_mean(name, known)) message += fmt::format("; did you mean '{}'?", *near);
    errors.push_back({where.file, where.line, where.column, message});
    return false;
  }
  std::ifstream in(*file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  std::optional<YAML::Node> root = parse_yaml(text.str(), file->string(), errors);
  if (!root) return false;
  ConfigWalker walker(file->string(), file->parent_path(), errors);
  CheckedTree preset;
  if (!root->IsMap() && !root->IsNull()) {
    walker.error(walker.place(*root), fmt::format("wrong type for the runner preset: got {}, expected a map of "
                                                  "runner.* keys",
                                                  describe_node(*root)));
    return false;
  }
  if (root->IsMap()) walker.walk_map(*root, "runner", "runner", preset);
  if (auto nested = preset.values.find("runner.preset"); nested != preset.values.end()) {
    walker.error(nested->second.place, fmt::format("preset inside a preset: got '{}', expected the runner keys "
                                                   "themselves (presets do not chain)",
                                                   nested->second.value.text));
    return false;
  }
  for (auto& [key, value] : preset.values) {
    auto mine = tree.values.find(key);
    if (mine == tree.values.end()) {
      tree.values[key] = value;
    } else if (key == "runner.env") {
      for (const auto& [var, text] : value.value.map) mine->second.value.map.emplace(var, text);
    }
  }
  // The codex preset sends Codex to $OPENAI_BASE_URL (which the proxy, when on, points at itself). The
  // variable it once read instead would now be ignored without a word: refused, naming the one to use.
  if (auto env = tree.values.find("runner.env");
      name == "codex" && env != tree.values.end() && env->second.value.map.count("CODEX_BASE_URL")) {
    const Place at = env->second.place;
    errors.push_back({at.file, at.line, at.column,
                      "runner.env.CODEX_BASE_URL is not read by the codex preset: got '" +
                          env->second.value.map.at("CODEX_BASE_URL") +
                          "', expected runner.env.OPENAI_BASE_URL (where Codex's calls go; with the proxy on, "
                          "where the proxy forwards them)"});
    return false;
  }
  return true;
}

void check_required(const CheckedTree& tree, bool runner_complete, std::vector<ConfigError>& errors) {
  for (const auto& key : config_keys()) {
    if (!key.required || key.key.find("[]") != std::string::npos || tree.has(key.key)) continue;
    std::string doc = key.doc.ends_with(".") ? key.doc.substr(0, key.doc.size() - 1) : key.doc;
    missing(tree, "'" + key.key + "'", key.key, expected_text(key) + " (" + doc + ")", errors);
  }
  const bool bug = tree.has("target.bug"), bug_file = tree.has("target.bug_file");
  if (!bug && !bug_file) {
    missing(tree, "'target.bug' or 'target.bug_file'", "target.bug",
            "the bug description, inline or in a file", errors);
  } else if (bug && bug_file) {
    const Place at = tree.values.count("target.bug_file") ? tree.values.at("target.bug_file").place
                                                           : tree.place_for_missing("target.bug_file");
    errors.push_back({at.file, at.line, at.column,
                      "conflicting keys: got both 'target.bug' and 'target.bug_file', expected one of them"});
  }
  for (const auto& [preset, command] : {std::pair<std::string, std::string>{"observer.llm", "observer.command"},
                                        {"strategies.meta", "strategies.meta_command"}}) {
    auto p = tree.values.find(preset);
    if (p == tree.values.end() || p->second.value.text == "none" || !tree.has(command)) continue;
    const Place at = tree.values.count(command) ? tree.values.at(command).place : p->second.place;
    errors.push_back({at.file, at.line, at.column,
                      fmt::format("conflicting keys: got both '{}' ({}) and '{}', expected one of them", preset,
                                  p->second.value.text, command)});
  }
  // A preset that failed to load may well have held the command: saying it is missing would be noise.
  if (runner_complete && tree.sections.count("runner") && !tree.has("runner.command")) {
    std::string expected = expected_text(*find_config_key("runner.command"));
    if (auto preset = tree.values.find("runner.preset"); preset != tree.values.end())
      expected += fmt::format(" (preset '{}' has none)", preset->second.value.text);
    missing(tree, "'runner.command'", "runner.command", expected, errors);
  }
}

// Every key not written gets the table's default, checked by the same code as a written value.
void apply_defaults(CheckedTree& tree, ConfigWalker& walker) {
  for (const auto& key : config_keys()) {
    if (!key.apply || key.default_value.empty() || tree.values.count(key.key)) continue;
    if (key.type == KeyType::kStrategyList) {  // "[]": no strategies named, the loop's built-in default
      ConfigValue none;
      none.json = nlohmann::json::array();
      tree.values[key.key] = {&key, none, {}};
      continue;
    }
    if (auto v = walker.check_value(key, YAML::Load(key.default_value), key.key))
      tree.values[key.key] = {&key, *v, {}};
  }
}

std::string default_run_dir(const std::string& name) {
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm local{};
  localtime_r(&now, &local);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &local);
  return fmt::format("runs/{}-{}", name, stamp);
}

}  // namespace

std::string ConfigError::format() const {
  if (line <= 0) return fmt::format("{}: {}", file, message);
  return fmt::format("{}:{}:{}: {}", file, line, column, message);
}

LoadResult load_config_text(const std::string& text, const std::string& path) {
  LoadResult result;
  std::vector<ConfigError>& errors = result.errors;
  const fs::path absolute = fs::absolute(path).lexically_normal();
  std::optional<YAML::Node> root = parse_yaml(text, path, errors);
  if (!root) return result;
  ConfigWalker walker(path, absolute.parent_path(), errors);
  CheckedTree tree;
  walker.walk_root(*root, tree);
  const bool runner_complete = merge_runner_preset(tree, errors);
  check_required(tree, runner_complete, errors);
  // The user's file first, in reading order; then what its presets got wrong.
  std::stable_sort(errors.begin(), errors.end(), [&](const ConfigError& a, const ConfigError& b) {
    return std::make_tuple(a.file != path, a.file, a.line, a.column) <
           std::make_tuple(b.file != path, b.file, b.line, b.column);
  });
  if (!errors.empty()) return result;

  apply_defaults(tree, walker);
  Config config;
  for (const auto& [key, checked] : tree.values)
    if (checked.key->apply) checked.key->apply(config, checked.value);
  config.path = absolute.string();
  config.run_dir = default_run_dir(config.name);
  config.snapshot_yaml = text;
  config.hash = sha256_hex(text);
  result.config = std::move(config);
  return result;
}

LoadResult load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  if (!in || fs::is_directory(path, ec)) {
    LoadResult result;
    result.errors.push_back({path, 0, 0, fmt::format("cannot read the config: got '{}', expected a readable YAML "
                                                     "file",
                                                     path)});
    return result;
  }
  std::stringstream text;
  text << in.rdbuf();
  return load_config_text(text.str(), path);
}

}  // namespace harness

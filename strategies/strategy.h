// A strategy: a named set of parameters (approach, triage, fix heuristic, budget...) an agent is told to follow,
// an optional model, and the space evolve may mutate it in. Presets are YAML files in a folder (strategies/*.yaml).
// Plain values and pure loading functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace strategies {

struct Strategy {
  std::string name;
  nlohmann::json params = nlohmann::json::object();  // free-form; what the prompt shows the agent
  std::string model;                                  // "" = the runner's default
  // For evolve: param -> [allowed values] (an enum) or {"min": a, "max": b} (a number range).
  nlohmann::json space = nlohmann::json::object();
  std::string description;

  nlohmann::json to_json() const;  // {"name","params","model","space","description"}
  bool operator==(const Strategy&) const = default;
};

// One preset from YAML text: name (required; letters, digits, '-', '_', '.'), description, model, params (a map),
// space (a map of lists or {min, max}, each naming a param). `file` names the text in errors.
base::Result<Strategy> parse_strategy_yaml(const std::string& text, const std::string& file);

struct PresetLoad {
  std::vector<Strategy> presets;    // every valid *.yaml in the folder, by file name
  std::vector<std::string> errors;  // one per bad file; "folder: cannot read ..." when the folder is missing
};
PresetLoad load_presets(const std::string& folder);

// Where presets live: $HARNESS_HOME/strategies when HARNESS_HOME is set, else <compiled_source_dir>/strategies.
std::string default_presets_dir(const std::string& compiled_source_dir);

// The strategy called `name`, or nullptr.
const Strategy* find_strategy(const std::vector<Strategy>& strategies, const std::string& name);

// True for a usable strategy name: 1-64 chars of letters, digits and - _ . + ~
bool valid_strategy_name(const std::string& name);

}  // namespace strategies

// Internal to harness/config/ (the loader's): walks a YAML tree against the key table, checks every value it meets
// and collects every error (never only the first). One walker per file (errors name it). Not thread-safe; cheap to
// create.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "harness/config/config.h"
#include "harness/config/config_keys.h"
#include "harness/config/config_text.h"

namespace harness {

struct Place {
  std::string file;
  int line = 1;  // 1-based
  int column = 1;
};

struct CheckedValue {
  const ConfigKey* key = nullptr;
  ConfigValue value;
  Place place;
};

// What a walk found: leaf values and the places of the sections written (for "missing key" errors).
struct CheckedTree {
  std::map<std::string, CheckedValue> values;  // by table key ("runner.format")
  std::map<std::string, Place> sections;       // by table key ("runner"); "" is the document
  std::set<std::string> invalid;               // keys written with a value that did not check (already reported)
  // Written, validly or not: a bad value is reported once, not again as "missing".
  bool has(const std::string& key) const { return values.count(key) || sections.count(key) || invalid.count(key); }
  // Where a missing `key` is reported: its nearest written ancestor.
  Place place_for_missing(const std::string& key) const;
};

// Parses YAML text; a syntax error is reported with the parser's place and yields nullopt.
std::optional<YAML::Node> parse_yaml(const std::string& text, const std::string& file,
                                     std::vector<ConfigError>& errors);

class ConfigWalker {
 public:
  ConfigWalker(std::string file, std::filesystem::path base_dir, std::vector<ConfigError>& errors)
      : file_(std::move(file)), base_dir_(std::move(base_dir)), errors_(errors) {}

  // Walks the document root: a map of top-level keys (an empty document is an empty map).
  void walk_root(const YAML::Node& root, CheckedTree& out);
  // Walks the keys of a map under table key `prefix`; `shown` names it in messages ("strategies.list[2]").
  void walk_map(const YAML::Node& node, const std::string& prefix, const std::string& shown, CheckedTree& out);
  // Checks one value against its key; nullopt (and an error) when it does not fit. `shown` names it in messages.
  std::optional<ConfigValue> check_value(const ConfigKey& key, const YAML::Node& node, const std::string& shown);

  Place place(const YAML::Node& node) const;
  void error(const Place& where, std::string message);
  const std::string& file() const { return file_; }

 private:
  void walk_entry(const ConfigKey& key, const YAML::Node& name, const YAML::Node& value, const std::string& shown,
                  CheckedTree& out);
  void walk_strategy_list(const ConfigKey& key, const YAML::Node& node, CheckedTree& out);
  std::optional<nlohmann::json> strategy_item(const YAML::Node& item, const std::string& shown);
  std::optional<nlohmann::json> strategy_preset(const std::string& name, const Place& where);
  void unknown_key(const YAML::Node& name, const std::string& prefix, const std::string& shown);

  // check_value()'s cases: lists, the string map (env), one scalar (`text` is its value, ${ENV} expanded), numbers.
  // A list of scalars, each ${ENV}-expanded, then accepted (the value to keep) or refused (nullopt, after its
  // own error) by `accept`.
  using ListItemCheck = std::function<std::optional<std::string>(const std::string& expanded, const YAML::Node& item,
                                                                 const std::string& item_shown)>;
  std::optional<ConfigValue> check_list(const ConfigKey& key, const YAML::Node& node, const std::string& shown,
                                        const char* expected_item, const ListItemCheck& accept);
  std::optional<ConfigValue> check_string_list(const ConfigKey& key, const YAML::Node& node, const std::string& shown);
  std::optional<ConfigValue> check_path_or_host_list(const ConfigKey& key, const YAML::Node& node,
                                                     const std::string& shown);
  std::optional<ConfigValue> check_string_map(const ConfigKey& key, const YAML::Node& node, const std::string& shown);
  std::optional<ConfigValue> check_prices(const ConfigKey& key, const YAML::Node& node, const std::string& shown);
  std::optional<ConfigValue> check_scalar(const ConfigKey& key, const YAML::Node& node, const std::string& shown,
                                          const std::string& text);
  std::optional<ConfigValue> check_number(const ConfigKey& key, const YAML::Node& node, const std::string& shown,
                                          const std::string& text);

  std::optional<std::string> expand(const YAML::Node& scalar, const std::string& shown);
  void expand_problem(const ExpandResult& result, const YAML::Node& scalar, const std::string& shown);
  std::optional<std::vector<std::string>> check_command(const YAML::Node& node, const std::string& shown);
  std::optional<std::string> check_path(const ConfigKey& key, const std::string& text, const YAML::Node& node,
                                        const std::string& shown);
  std::optional<nlohmann::json> to_json(const YAML::Node& node, const std::string& shown);
  void wrong_type(const ConfigKey& key, const YAML::Node& node, const std::string& shown);

  std::string file_;
  std::filesystem::path base_dir_;
  std::vector<ConfigError>& errors_;
  bool repo_made_by_prepare_ = false;  // target.prepare creates target.repo: it need not exist yet
};

// How a node is shown after "got": 'text' for scalars, "a list", "a map", "nothing".
std::string describe_node(const YAML::Node& node);
// How a string value is shown after "got": quoted, clipped.
std::string quote(const std::string& text);

}  // namespace harness

// The one table of config keys: type, default, doc, allowed values and where each lands in Config. Validation
// (config_load.cpp), `harness init`'s starter and docs/config.md are all derived from it. Immutable; thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/config/config.h"

namespace harness {

enum class KeyType {
  kSection,          // a map of further keys
  kString,
  kName,             // letters, digits, '.', '_', '-': it becomes part of a directory name
  kEnum,             // one of `allowed`
  kPath,             // resolved against the config file's folder; need not exist
  kExistingFile,     // resolved, must be a readable file
  kExistingDir,      // resolved, must be a folder
  kFileText,         // resolved, must be a readable file; the value is its text
  kInt,
  kNumber,
  kDuration,         // seconds as a number, or a string like 90s, 15m, 2h, 1h30m
  kBool,
  kStringList,
  kPathList,         // a list of paths, each resolved like kPath and required to exist
  kHostList,         // a list of host[:port] entries (sandbox.allow_hosts)
  kStringMap,
  kCommand,          // argv: a list of strings, or one string split like a shell would
  kJson,             // a free-form map (strategy parameters)
  kPrices,           // model name -> {input, output, cache_read, cache_write} in USD per million tokens
  kPresetOrSection,  // a preset name, or a map of the keys under it (runner)
  kStrategyList,     // a list whose items are preset names or maps of the keys under "<key>[]"
};

// A checked value; which member is set depends on the key's type.
struct ConfigValue {
  std::string text;                        // strings, names, enums, paths (absolute), preset names
  int64_t integer = 0;
  double number = 0;                       // numbers and durations (seconds)
  bool boolean = false;
  std::vector<std::string> list;           // string lists, commands
  std::map<std::string, std::string> map;  // string maps
  nlohmann::json json;                     // free-form maps, strategy lists
};

struct ConfigKey {
  std::string key;            // dotted: "verify.repeat"; keys of list items: "strategies.list[].name"
  KeyType type = KeyType::kString;
  std::string default_value;  // as YAML text; empty = none (required, or unset when absent)
  std::string doc;
  std::vector<std::string> allowed;  // for enums
  std::optional<double> min;         // for integers, numbers and durations
  bool min_exclusive = false;        // "> min" rather than ">= min"
  std::optional<double> max;         // for integers that land in an `int`
  bool required = false;
  bool non_empty = false;            // strings: blank is refused (a command that would do nothing)
  std::string example;               // YAML `harness init` shows (the default when empty)
  bool in_starter = false;           // shown uncommented by `harness init`
  void (*apply)(Config&, const ConfigValue&) = nullptr;  // where the value lands; null for sections
};

const std::vector<ConfigKey>& config_keys();
const ConfigKey* find_config_key(std::string_view key);
// Keys directly under `parent` ("" = the top level), in table order.
std::vector<const ConfigKey*> child_keys(std::string_view parent);
std::string parent_key(std::string_view key);  // "verify.repeat" -> "verify"; "name" -> ""
std::string leaf_key(std::string_view key);    // "verify.repeat" -> "repeat"

// "an integer >= 1", "one of winners, failures, all, none", "a duration > 0 (like 90s, 15m, 2h)"
std::string expected_text(const ConfigKey& key);
// The type column of docs/config.md: "integer >= 1", "duration > 0", ...
std::string type_text(const ConfigKey& key);

// Placeholders runner.command may use; the generation loop substitutes them.
const std::vector<std::string>& runner_placeholders();

// The key table of docs/config.md (markdown rows); a test keeps the file equal to it.
std::string config_reference_markdown();

}  // namespace harness

// Words derived from the key table: what a key expects (error messages), its type (docs), the docs' key table.
#include <fmt/format.h>

#include "harness/config/config_keys.h"
#include "harness/config/config_text.h"

namespace harness {
namespace {

std::string range_text(const ConfigKey& key) {
  if (!key.min) return "";
  return fmt::format(" {} {}", key.min_exclusive ? ">" : ">=", *key.min);
}

// Only "<name>"-like spans need escaping (a renderer would take them for HTML tags); ">=" stays readable.
std::string markdown_escape(const std::string& text) {
  std::string out;
  bool in_angle = false;
  for (char c : text) {
    if (c == '<') {
      out += "&lt;";
      in_angle = true;
    } else if (c == '>' && in_angle) {
      out += "&gt;";
      in_angle = false;
    } else if (c == '|') {
      out += "\\|";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string expected_text(const ConfigKey& key) {
  switch (key.type) {
    case KeyType::kSection: return fmt::format("a map of {}.* keys", key.key);
    case KeyType::kString: return "a string";
    case KeyType::kName: return "a name of at most 64 letters, digits, '.', '_' and '-'";
    case KeyType::kEnum: return "one of " + join(key.allowed);
    case KeyType::kPath: return "a path";
    case KeyType::kExistingFile: return "an existing file";
    case KeyType::kExistingDir: return "an existing folder";
    case KeyType::kFileText: return "an existing readable file";
    case KeyType::kInt: return "an integer" + range_text(key);
    case KeyType::kNumber: return "a number" + range_text(key);
    case KeyType::kDuration: return "a duration" + range_text(key) + " (seconds, or like 90s, 15m, 2h)";
    case KeyType::kBool: return "true or false";
    case KeyType::kStringList: return "a list of strings";
    case KeyType::kPathList: return "a list of existing paths";
    case KeyType::kHostList: return "a list of host or host:port entries";
    case KeyType::kStringMap: return "a map of names to strings";
    case KeyType::kCommand: return "a command: a list of strings, or one string split like a shell would";
    case KeyType::kJson: return "a map";
    case KeyType::kPrices:
      return "a map of model name to {input, output, cache_read, cache_write} (USD per million tokens, each >= 0)";
    case KeyType::kPresetOrSection: return fmt::format("a preset name or a map of {}.* keys", key.key);
    case KeyType::kStrategyList: return "a list of strategy preset names or maps of name, params, model";
  }
  return "";
}

std::string type_text(const ConfigKey& key) {
  switch (key.type) {
    case KeyType::kSection: return "section";
    case KeyType::kString: return "string";
    case KeyType::kName: return "name";
    case KeyType::kEnum: return "one of: " + join(key.allowed);
    case KeyType::kPath: return "path";
    case KeyType::kExistingFile: return "path to a file";
    case KeyType::kExistingDir: return "path to a folder";
    case KeyType::kFileText: return "path to a text file";
    case KeyType::kInt: return "integer" + range_text(key);
    case KeyType::kNumber: return "number" + range_text(key);
    case KeyType::kDuration: return "duration" + range_text(key);
    case KeyType::kBool: return "bool";
    case KeyType::kStringList: return "list of strings";
    case KeyType::kPathList: return "list of paths";
    case KeyType::kHostList: return "list of host[:port]";
    case KeyType::kStringMap: return "map of strings";
    case KeyType::kCommand: return "command (list or string)";
    case KeyType::kJson: return "map";
    case KeyType::kPrices: return "map of model to prices";
    case KeyType::kPresetOrSection: return "preset name or section";
    case KeyType::kStrategyList: return "list of strategies";
  }
  return "";
}

std::string config_reference_markdown() {
  std::string out = "| key | type | default | description |\n|---|---|---|---|\n";
  for (const auto& key : config_keys()) {
    std::string default_shown;
    if (key.required) default_shown = "*required*";
    else if (!key.default_value.empty()) default_shown = "`" + key.default_value + "`";
    else if (key.type != KeyType::kSection) default_shown = "unset";
    out += fmt::format("| `{}` | {} | {} | {} |\n", key.key, markdown_escape(type_text(key)), default_shown,
                       markdown_escape(key.doc));
  }
  return out;
}

}  // namespace harness

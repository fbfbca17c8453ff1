// The value half of the walker: one value against its key's type, range and allowed values; ${ENV} expansion;
// paths. Commands are checked in config_command.cpp.
#include <algorithm>
#include <cstdint>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "harness/config/config_text.h"
#include "harness/config/config_walk.h"
#include "telemetry/allowed_hosts.h"
#include "trace/price_table.h"

namespace harness {
namespace fs = std::filesystem;
namespace {

constexpr size_t kMaxNameLength = 64;  // it names run directories: runs/<name>-<timestamp>
constexpr double kMaxDurationS = 366.0 * 86400;

std::optional<int64_t> parse_int(const std::string& s, bool& overflow) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  overflow = ec == std::errc::result_out_of_range;
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> parse_number(const std::string& s) {
  if (s.empty() || std::isspace(static_cast<unsigned char>(s[0]))) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<bool> parse_bool(const std::string& s) {
  static const char* yes[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"};
  static const char* no[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"};
  for (const char* y : yes)
    if (s == y) return true;
  for (const char* n : no)
    if (s == n) return false;
  return std::nullopt;
}

// Plain YAML scalars become numbers, booleans or null as YAML 1.2 core reads them; quoted ones stay strings.
nlohmann::json scalar_json(const std::string& text, bool quoted) {
  if (quoted) return text;
  if (text == "~" || text == "null" || text == "Null" || text == "NULL") return nullptr;
  if (auto b = parse_bool(text); b && (text == "true" || text == "false" || text == "True" || text == "False"))
    return *b;
  bool overflow = false;
  if (auto i = parse_int(text, overflow)) return *i;
  if (auto d = parse_number(text)) return *d;
  return text;
}

}  // namespace

void ConfigWalker::wrong_type(const ConfigKey& key, const YAML::Node& node, const std::string& shown) {
  error(place(node),
        fmt::format("wrong type for {}: got {}, expected {}", quote(shown), describe_node(node), expected_text(key)));
}

std::optional<std::string> ConfigWalker::expand(const YAML::Node& scalar, const std::string& shown) {
  ExpandResult r = expand_env(scalar.Scalar());
  if (r.ok()) return r.text;
  expand_problem(r, scalar, shown);
  return std::nullopt;
}

void ConfigWalker::expand_problem(const ExpandResult& r, const YAML::Node& scalar, const std::string& shown) {
  if (r.problem == ExpandResult::Problem::kUnset) {
    error(place(scalar), fmt::format("unset environment variable in {}: got {}, expected {} to be set (or a "
                                     "default: ${{{}:-value}})",
                                     quote(shown), quote(r.reference), r.variable, r.variable));
  } else {
    error(place(scalar), fmt::format("malformed variable reference in {}: got {}, expected ${{NAME}} or "
                                     "${{NAME:-default}} (write $${{ for a literal ${{)",
                                     quote(shown), quote(r.reference)));
  }
}

std::optional<ConfigValue> ConfigWalker::check_value(const ConfigKey& key, const YAML::Node& node,
                                                     const std::string& shown) {
  ConfigValue v;
  switch (key.type) {
    case KeyType::kStringList:
      return check_string_list(key, node, shown);
    case KeyType::kPathList:
    case KeyType::kHostList:
      return check_path_or_host_list(key, node, shown);
    case KeyType::kStringMap:
      return check_string_map(key, node, shown);
    case KeyType::kCommand:
      if (auto argv = check_command(node, shown)) return v.list = std::move(*argv), std::optional(v);
      return std::nullopt;
    case KeyType::kJson:
      if (!node.IsMap()) return wrong_type(key, node, shown), std::nullopt;
      if (auto j = to_json(node, shown)) return v.json = std::move(*j), std::optional(v);
      return std::nullopt;
    case KeyType::kPrices:
      return check_prices(key, node, shown);
    default:
      break;
  }
  if (!node.IsScalar()) return wrong_type(key, node, shown), std::nullopt;
  std::optional<std::string> text = expand(node, shown);
  if (!text) return std::nullopt;
  return check_scalar(key, node, shown, *text);
}

std::optional<ConfigValue> ConfigWalker::check_list(const ConfigKey& key, const YAML::Node& node,
                                                    const std::string& shown, const char* expected_item,
                                                    const ListItemCheck& accept) {
  ConfigValue v;
  if (!node.IsSequence()) return wrong_type(key, node, shown), std::nullopt;
  bool ok = true;
  for (size_t i = 0; i < node.size(); ++i) {
    const std::string item_shown = fmt::format("{}[{}]", shown, i);
    if (!node[i].IsScalar()) {
      error(place(node[i]), fmt::format("wrong type for {}: got {}, expected {}", quote(item_shown),
                                        describe_node(node[i]), expected_item));
      ok = false;
    } else if (auto s = expand(node[i], item_shown)) {
      if (auto item = accept(*s, node[i], item_shown)) {
        v.list.push_back(std::move(*item));
      } else {
        ok = false;
      }
    } else {
      ok = false;
    }
  }
  return ok ? std::optional(v) : std::nullopt;
}

std::optional<ConfigValue> ConfigWalker::check_string_list(const ConfigKey& key, const YAML::Node& node,
                                                           const std::string& shown) {
  return check_list(key, node, shown, "a string",
                    [](const std::string& s, const YAML::Node&, const std::string&) { return std::optional(s); });
}

std::optional<ConfigValue> ConfigWalker::check_path_or_host_list(const ConfigKey& key, const YAML::Node& node,
                                                                 const std::string& shown) {
  if (key.type == KeyType::kHostList) {
    return check_list(key, node, shown, "host or host:port",
                      [&](const std::string& s, const YAML::Node& item,
                          const std::string& item_shown) -> std::optional<std::string> {
                        std::string why;
                        if (telemetry::parse_allowed_host(s, why)) return s;
                        error(place(item), fmt::format("invalid value for {}: got {}, {}", quote(item_shown),
                                                       quote(s), why));
                        return std::nullopt;
                      });
  }
  return check_list(key, node, shown, "a path",
                    [&](const std::string& s, const YAML::Node& item,
                        const std::string& item_shown) -> std::optional<std::string> {
                      auto path = check_path(key, s, item, item_shown);
                      if (!path) return std::nullopt;
                      std::error_code ec;
                      if (path->empty() || !fs::exists(*path, ec)) {
                        error(place(item), fmt::format("path not found for {}: got {} ({}), expected an existing "
                                                       "file or folder",
                                                       quote(item_shown), quote(s), *path));
                        return std::nullopt;
                      }
                      return path;
                    });
}

// Each model's prices checked by the price table's own parser, the error placed at that model's entry.
std::optional<ConfigValue> ConfigWalker::check_prices(const ConfigKey& key, const YAML::Node& node,
                                                      const std::string& shown) {
  ConfigValue v;
  if (!node.IsMap()) return wrong_type(key, node, shown), std::nullopt;
  v.json = nlohmann::json::object();
  bool ok = true;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key_node = it->first, value_node = it->second;
    const std::string name = key_node.IsScalar() ? key_node.Scalar() : "";
    std::optional<nlohmann::json> price = value_node.IsMap() ? to_json(value_node, shown + "." + name) : std::nullopt;
    if (!price) {
      error(place(value_node), fmt::format("wrong type for {}: got {}, expected {}", quote(shown + "." + name),
                                           describe_node(value_node), "{input, output, cache_read, cache_write}"));
      ok = false;
      continue;
    }
    nlohmann::json one = {{name, *price}};
    if (auto checked = trace::PriceTable().with_overrides(one, shown); !checked) {
      error(place(value_node), checked.error());
      ok = false;
      continue;
    }
    v.json[name] = *price;
  }
  return ok ? std::optional(v) : std::nullopt;
}

std::optional<ConfigValue> ConfigWalker::check_string_map(const ConfigKey& key, const YAML::Node& node,
                                                          const std::string& shown) {
  ConfigValue v;
  if (!node.IsMap()) return wrong_type(key, node, shown), std::nullopt;
  bool ok = true;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key_node = it->first, value_node = it->second;  // copies: the pair is a temporary
    const std::string name = key_node.IsScalar() ? key_node.Scalar() : "";
    const std::string item_shown = shown + "." + name;
    if (!is_plain_name(name, false)) {
      error(place(key_node), fmt::format("invalid variable name in {}: got {}, expected letters, digits and "
                                          "'_', not starting with a digit",
                                          quote(shown), describe_node(key_node)));
      ok = false;
    } else if (!value_node.IsScalar()) {
      error(place(value_node), fmt::format("wrong type for {}: got {}, expected a string", quote(item_shown),
                                           describe_node(value_node)));
      ok = false;
    } else if (auto s = expand(value_node, item_shown)) {
      v.map[name] = *s;
    } else {
      ok = false;
    }
  }
  return ok ? std::optional(v) : std::nullopt;
}

std::optional<ConfigValue> ConfigWalker::check_scalar(const ConfigKey& key, const YAML::Node& node,
                                                      const std::string& shown, const std::string& text) {
  ConfigValue v;
  const std::string got = quote(text);
  switch (key.type) {
    case KeyType::kString:
      if (key.non_empty && text.find_first_not_of(" \t\r\n") == std::string::npos) {
        error(place(node), fmt::format("empty value for {}: got {}, expected a non-empty string", quote(shown), got));
        return std::nullopt;
      }
      v.text = text;
      return v;
    case KeyType::kName:
      if (!is_plain_name(text, true) || text.size() > kMaxNameLength) {
        error(place(node), fmt::format("invalid value for {}: got {}, expected {}", quote(shown), got,
                                       expected_text(key)));
        return std::nullopt;
      }
      v.text = text;
      return v;
    case KeyType::kEnum: {
      for (const auto& allowed : key.allowed)
        if (text == allowed) return v.text = text, std::optional(v);
      std::string message =
          fmt::format("invalid value for {}: got {}, expected {}", quote(shown), got, expected_text(key));
      if (auto near = did_you_mean(text, key.allowed)) message += fmt::format("; did you mean '{}'?", *near);
      error(place(node), message);
      return std::nullopt;
    }
    case KeyType::kInt:
    case KeyType::kNumber:
    case KeyType::kDuration:
      return check_number(key, node, shown, text);
    case KeyType::kBool: {
      std::optional<bool> b = parse_bool(text);
      if (!b) return wrong_type(key, node, shown), std::nullopt;
      v.boolean = *b;
      return v;
    }
    case KeyType::kPath:
    case KeyType::kExistingFile:
    case KeyType::kExistingDir:
    case KeyType::kFileText: {
      std::optional<std::string> path = check_path(key, text, node, shown);
      if (!path) return std::nullopt;
      v.text = *path;
      if (key.type == KeyType::kFileText && !path->empty()) {
        std::ifstream in(*path, std::ios::binary);
        std::stringstream content;
        content << in.rdbuf();
        if (!in) {
          error(place(node), fmt::format("cannot read {}: got {} ({}), expected a readable file", quote(shown), got,
                                         *path));
          return std::nullopt;
        }
        v.text = content.str();
      }
      return v;
    }
    default:
      wrong_type(key, node, shown);
      return std::nullopt;
  }
}

std::optional<ConfigValue> ConfigWalker::check_number(const ConfigKey& key, const YAML::Node& node,
                                                      const std::string& shown, const std::string& text) {
  ConfigValue v;
  auto out_of_range = [&](const std::string& value, double x) {
    std::string expected = expected_text(key);
    if (key.max && x > *key.max) expected += fmt::format(" and <= {}", *key.max);
    else if (key.type == KeyType::kInt && x > 0 && !key.max) expected += fmt::format(" and <= {}", INT64_MAX);
    error(place(node), fmt::format("out of range for {}: got {}, expected {}", quote(shown), value, expected));
  };
  auto in_range = [&](double x) {
    if (key.min && (key.min_exclusive ? x <= *key.min : x < *key.min)) return false;
    return !key.max || x <= *key.max;
  };
  switch (key.type) {
    case KeyType::kInt: {
      bool overflow = false;
      std::optional<int64_t> i = parse_int(text, overflow);
      if (overflow) return out_of_range(text, text.starts_with("-") ? -1e300 : 1e300), std::nullopt;
      if (!i) return wrong_type(key, node, shown), std::nullopt;
      if (!in_range(static_cast<double>(*i))) return out_of_range(text, static_cast<double>(*i)), std::nullopt;
      v.integer = *i;
      return v;
    }
    case KeyType::kNumber: {
      std::optional<double> d = parse_number(text);
      if (!d) return wrong_type(key, node, shown), std::nullopt;
      if (!in_range(*d)) return out_of_range(text, *d), std::nullopt;
      v.number = *d;
      return v;
    }
    case KeyType::kDuration: {
      std::optional<double> d = parse_duration(text);
      // "-5m" is a duration with the wrong sign, not a wrong type.
      if (!d && text.starts_with("-") && parse_duration(text.substr(1))) return out_of_range(text, -1), std::nullopt;
      if (!d) return wrong_type(key, node, shown), std::nullopt;
      if (!in_range(*d)) return out_of_range(text, *d), std::nullopt;
      // Longer than a year is a typo, and 1e20 days overflowed the loop's milliseconds (a timeout that never came).
      if (!key.max && *d > kMaxDurationS) {
        error(place(node), fmt::format("out of range for {}: got {}, expected a duration of at most 366d",
                                       quote(shown), text));
        return std::nullopt;
      }
      v.number = *d;
      return v;
    }
    default:
      wrong_type(key, node, shown);
      return std::nullopt;
  }
}

std::optional<std::string> ConfigWalker::check_path(const ConfigKey& key, const std::string& text,
                                                    const YAML::Node& node, const std::string& shown) {
  if (text.empty()) return text;  // empty = the default location
  fs::path p = text;
  if (text == "~" || text.starts_with("~/")) {
    if (const char* home = std::getenv("HOME")) p = fs::path(home) / text.substr(text.size() > 1 ? 2 : 1);
  }
  if (p.is_relative()) p = base_dir_ / p;
  p = p.lexically_normal();
  if (!p.has_filename() && p.has_parent_path() && p != p.root_path()) p = p.parent_path();  // "dir/." -> "dir"
  std::error_code ec;
  if (key.type == KeyType::kExistingDir && !fs::is_directory(p, ec) &&
      !(key.key == "target.repo" && repo_made_by_prepare_)) {
    error(place(node), fmt::format("folder not found for {}: got {} ({}), expected {}", quote(shown), quote(text),
                                   p.string(), expected_text(key)));
    return std::nullopt;
  }
  if ((key.type == KeyType::kExistingFile || key.type == KeyType::kFileText) && !fs::is_regular_file(p, ec)) {
    error(place(node), fmt::format("file not found for {}: got {} ({}), expected {}", quote(shown), quote(text),
                                   p.string(), expected_text(key)));
    return std::nullopt;
  }
  return p.string();
}

std::optional<nlohmann::json> ConfigWalker::to_json(const YAML::Node& node, const std::string& shown) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar: {
      std::optional<std::string> text = expand(node, shown);
      if (!text) return std::nullopt;
      return scalar_json(*text, node.Tag() == "!");
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (size_t i = 0; i < node.size(); ++i) {
        auto item = to_json(node[i], fmt::format("{}[{}]", shown, i));
        if (!item) return std::nullopt;
        out.push_back(std::move(*item));
      }
      return out;
    }
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (auto it = node.begin(); it != node.end(); ++it) {
        const std::string name = it->first.IsScalar() ? it->first.Scalar() : "";
        auto item = to_json(it->second, shown + "." + name);
        if (!item) return std::nullopt;
        out[name] = std::move(*item);
      }
      return out;
    }
    default:
      return nlohmann::json(nullptr);
  }
}

}  // namespace harness

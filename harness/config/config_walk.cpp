// The structure half of the walker: maps, sections, unknown and duplicate keys, strategy lists and their presets.
#include "harness/config/config_walk.h"

#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "harness/config/config_presets.h"
#include "harness/config/config_text.h"

namespace harness {
namespace fs = std::filesystem;

std::string quote(const std::string& text) {
  std::string shown;
  for (char c : text) shown += c == '\n' ? std::string("\\n") : std::string(1, c);
  if (shown.size() > 80) shown = shown.substr(0, 77) + "...";
  return "'" + shown + "'";
}

std::string describe_node(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar: return quote(node.Scalar());
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
    default: return "nothing";
  }
}

Place CheckedTree::place_for_missing(const std::string& key) const {
  for (std::string at = parent_key(key);; at = parent_key(at)) {
    if (auto it = sections.find(at); it != sections.end()) return it->second;
    if (at.empty()) break;
  }
  return sections.count("") ? sections.at("") : Place{};
}

namespace {

constexpr size_t kMaxConfigBytes = 1u << 20;  // a config is a page or two; 100 MB took a minute to refuse
// Values the config holds once its aliases are expanded: yaml-cpp shares an aliased node, but everything that
// reads the tree (params become JSON) walks each use, so nine levels of nine aliases were 387 million values.
constexpr size_t kMaxConfigValues = 100000;

// Counts the values of the tree as its readers will see them (an aliased node once per use), stopping at `limit`.
size_t expanded_values(const YAML::Node& root, size_t limit) {
  size_t count = 0;
  std::vector<YAML::Node> todo = {root};
  while (!todo.empty() && count <= limit) {
    YAML::Node n = todo.back();
    todo.pop_back();
    ++count;
    if (n.IsSequence()) {
      for (const auto& child : n) todo.push_back(child);
    } else if (n.IsMap()) {
      for (const auto& kv : n) {
        todo.push_back(kv.first);
        todo.push_back(kv.second);
      }
    }
  }
  return count;
}

// The 1-based line of a document marker ("---" or "--- ...") that follows content, else 0. A marker before any
// content only opens the first document.
int second_document_line(const std::string& text) {
  bool content = false;
  int line = 0;
  for (size_t b = 0; b < text.size();) {
    size_t e = text.find('\n', b);
    if (e == std::string::npos) e = text.size();
    std::string_view l(text.data() + b, e - b);
    ++line;
    bool marker = l.substr(0, 3) == "---" && (l.size() == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\r');
    if (marker && content) return line;
    size_t first = l.find_first_not_of(" \t\r");
    if (!marker && first != std::string_view::npos && l[first] != '#' && l[first] != '%') content = true;
    b = e + 1;
  }
  return 0;
}

}  // namespace

std::optional<YAML::Node> parse_yaml(const std::string& text, const std::string& file,
                                     std::vector<ConfigError>& errors) {
  if (text.size() > kMaxConfigBytes) {
    errors.push_back({file, 0, 0, fmt::format("the config is {} bytes: expected at most {} (1 MiB)", text.size(),
                                              kMaxConfigBytes)});
    return std::nullopt;
  }
  // The second document is found in the text: YAML::LoadAll spins forever on some garbage that Load refuses.
  if (int line = second_document_line(text)) {
    errors.push_back({file, line, 1, "a second YAML document: expected one; the config after its '---' would be "
                                     "ignored, so merge it into the first or remove it"});
    return std::nullopt;
  }
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    errors.push_back({file, e.mark.line + 1, e.mark.column + 1, fmt::format("invalid YAML: {}", e.msg)});
    return std::nullopt;
  }
  if (expanded_values(root, kMaxConfigValues) > kMaxConfigValues) {
    errors.push_back({file, 1, 1, fmt::format("the config holds more than {} values once its YAML aliases are "
                                              "expanded: expected a config, not an alias bomb",
                                              kMaxConfigValues)});
    return std::nullopt;
  }
  return root;
}

Place ConfigWalker::place(const YAML::Node& node) const {
  const YAML::Mark m = node.Mark();
  if (m.is_null()) return {file_, 1, 1};
  return {file_, m.line + 1, m.column + 1};
}

void ConfigWalker::error(const Place& where, std::string message) {
  errors_.push_back({where.file, where.line, where.column, std::move(message)});
}

void ConfigWalker::walk_root(const YAML::Node& root, CheckedTree& out) {
  out.sections[""] = {file_, 1, 1};
  if (root.IsNull()) return;
  if (!root.IsMap()) {
    error(place(root), fmt::format("wrong type for the config: got {}, expected a map of keys", describe_node(root)));
    return;
  }
  const YAML::Node target = root["target"];
  if (target && target.IsMap()) {
    const YAML::Node prepare = target["prepare"];
    repo_made_by_prepare_ = prepare && prepare.IsScalar() && !prepare.Scalar().empty();
  }
  walk_map(root, "", "", out);
}

void ConfigWalker::walk_map(const YAML::Node& node, const std::string& prefix, const std::string& shown,
                            CheckedTree& out) {
  std::map<std::string, int> first_line;
  for (auto it = node.begin(); it != node.end(); ++it) {
    // A copy: yaml-cpp's iterator hands out a temporary pair, a reference into it would dangle.
    const YAML::Node name = it->first, value = it->second;
    if (!name.IsScalar()) {
      error(place(name), fmt::format("wrong type for a key{}: got {}, expected a name",
                                     shown.empty() ? "" : " of '" + shown + "'", describe_node(name)));
      continue;
    }
    const std::string full = prefix.empty() ? name.Scalar() : prefix + "." + name.Scalar();
    const std::string full_shown = shown.empty() ? name.Scalar() : shown + "." + name.Scalar();
    const ConfigKey* key = find_config_key(full);
    if (!key) {
      unknown_key(name, prefix, full_shown);
      continue;
    }
    auto [at, inserted] = first_line.emplace(name.Scalar(), place(name).line);
    if (!inserted) {
      // yaml-cpp keeps both; silently taking one would hide which value the user meant.
      error(place(name), fmt::format("duplicate key: got {} again, expected each key once (first at line {})",
                                     quote(full_shown), at->second));
      continue;
    }
    walk_entry(*key, name, value, full_shown, out);
  }
}

void ConfigWalker::unknown_key(const YAML::Node& name, const std::string& prefix, const std::string& shown) {
  std::vector<std::string> siblings;
  for (const ConfigKey* k : child_keys(prefix)) siblings.push_back(leaf_key(k->key));
  std::string suggestion;
  if (auto near = did_you_mean(name.Scalar(), siblings)) {
    suggestion = shown.substr(0, shown.size() - name.Scalar().size()) + *near;
  } else if (!prefix.ends_with("[]")) {
    // A key written at the wrong level ("repeat" at the top instead of under verify).
    for (const auto& k : config_keys())
      if (leaf_key(k.key) == name.Scalar() && k.key.find("[]") == std::string::npos) suggestion = k.key;
  }
  std::string message = fmt::format("unknown key: got {}, expected one of {}", quote(shown), join(siblings));
  if (!suggestion.empty()) message += fmt::format("; did you mean '{}'?", suggestion);
  error(place(name), message);
}

void ConfigWalker::walk_entry(const ConfigKey& key, const YAML::Node& name, const YAML::Node& value,
                              const std::string& shown, CheckedTree& out) {
  switch (key.type) {
    case KeyType::kSection:
      out.sections[key.key] = place(name);
      if (value.IsMap()) {
        walk_map(value, key.key, shown, out);
      } else if (!value.IsNull()) {
        error(place(value), fmt::format("wrong type for {}: got {}, expected {}", quote(shown), describe_node(value),
                                        expected_text(key)));
      }
      return;
    case KeyType::kPresetOrSection:
      out.sections[key.key] = place(name);
      if (value.IsMap()) {
        walk_map(value, key.key, shown, out);
      } else if (value.IsScalar()) {
        const ConfigKey& preset_key = *find_config_key(key.key + ".preset");
        if (auto v = check_value(preset_key, value, shown)) out.values[preset_key.key] = {&preset_key, *v, place(value)};
        else out.invalid.insert(preset_key.key);
      } else if (!value.IsNull()) {
        error(place(value), fmt::format("wrong type for {}: got {}, expected {}", quote(shown), describe_node(value),
                                        expected_text(key)));
      }
      return;
    case KeyType::kStrategyList:
      walk_strategy_list(key, value, out);
      return;
    default:
      if (value.IsNull()) return;  // `key:` with nothing after it means "not set"
      if (auto v = check_value(key, value, shown)) out.values[key.key] = {&key, *v, place(value)};
      else out.invalid.insert(key.key);
  }
}

void ConfigWalker::walk_strategy_list(const ConfigKey& key, const YAML::Node& node, CheckedTree& out) {
  if (node.IsNull()) return;
  if (!node.IsSequence()) {
    error(place(node), fmt::format("wrong type for {}: got {}, expected {}", quote(key.key), describe_node(node),
                                   expected_text(key)));
    return;
  }
  ConfigValue value;
  value.json = nlohmann::json::array();
  std::map<std::string, int> first_line;
  bool all_ok = true;
  for (size_t i = 0; i < node.size(); ++i) {
    const std::string shown = fmt::format("{}[{}]", key.key, i);
    std::optional<nlohmann::json> item = strategy_item(node[i], shown);
    if (!item) {
      all_ok = false;
      continue;
    }
    const std::string name = (*item)["name"];
    auto [at, inserted] = first_line.emplace(name, place(node[i]).line);
    if (!inserted) {
      error(place(node[i]), fmt::format("duplicate strategy name in {}: got {} again, expected unique names (first "
                                        "at line {})",
                                        quote(key.key), quote(name), at->second));
      all_ok = false;
      continue;
    }
    value.json.push_back(*item);
  }
  if (all_ok) out.values[key.key] = {&key, value, place(node)};
  else out.invalid.insert(key.key);
}

std::optional<nlohmann::json> ConfigWalker::strategy_item(const YAML::Node& item, const std::string& shown) {
  if (item.IsScalar()) {
    std::optional<std::string> name = expand(item, shown);
    if (!name) return std::nullopt;
    return strategy_preset(*name, place(item));
  }
  if (!item.IsMap()) {
    error(place(item), fmt::format("wrong type for {}: got {}, expected a strategy preset name or a map of name, "
                                   "params, model",
                                   quote(shown), describe_node(item)));
    return std::nullopt;
  }
  CheckedTree tree;
  const size_t errors_before = errors_.size();
  walk_map(item, "strategies.list[]", shown, tree);
  if (!tree.has("strategies.list[].name")) {
    error(place(item), fmt::format("missing required key '{}.name': expected {}", shown,
                                   expected_text(*find_config_key("strategies.list[].name"))));
  }
  if (errors_.size() != errors_before) return std::nullopt;
  nlohmann::json strategy = {{"name", ""}, {"params", nlohmann::json::object()}, {"model", ""}};
  for (const auto& [k, v] : tree.values) {
    const std::string field = leaf_key(k);
    if (field == "params" || field == "space") strategy[field] = v.value.json;
    else if (field != "description") strategy[field] = v.value.text;
  }
  return strategy;
}

std::optional<nlohmann::json> ConfigWalker::strategy_preset(const std::string& name, const Place& where) {
  std::optional<fs::path> file = find_preset(PresetKind::kStrategy, name);
  if (!file) {
    std::vector<std::string> known = list_presets(PresetKind::kStrategy);
    std::string message = fmt::format("unknown strategy preset: got {}, expected {} (from {})", quote(name),
                                      known.empty() ? "a preset name, but there are none" : "one of " + join(known),
                                      preset_dir(PresetKind::kStrategy).string());
    if (auto near = did_you_mean(name, known)) message += fmt::format("; did you mean '{}'?", *near);
    error(where, message);
    return std::nullopt;
  }
  std::ifstream in(*file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  const size_t errors_before = errors_.size();
  std::optional<YAML::Node> root = parse_yaml(text.str(), file->string(), errors_);
  if (!root) return std::nullopt;
  ConfigWalker preset_walker(file->string(), file->parent_path(), errors_);
  if (!root->IsMap()) {
    preset_walker.error(preset_walker.place(*root),
                        fmt::format("wrong type for the strategy preset: got {}, expected a map of name, params, model",
                                    describe_node(*root)));
    return std::nullopt;
  }
  // The preset is read as one item of strategies.list; a preset without a name takes its file's.
  YAML::Node item = YAML::Clone(*root);
  if (!item["name"]) item["name"] = name;
  std::optional<nlohmann::json> strategy = preset_walker.strategy_item(item, name);
  if (errors_.size() != errors_before) return std::nullopt;
  return strategy;
}

}  // namespace harness

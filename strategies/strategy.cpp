#include "strategies/strategy.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace strategies {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::string where(const std::string& file, const YAML::Mark& mark) {
  if (mark.line < 0) return file;
  return fmt::format("{}:{}:{}", file, mark.line + 1, mark.column + 1);
}

// Plain scalars become numbers and booleans when they read as such; quoted ones stay strings.
Json scalar_json(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() != "!") {
    if (text == "true" || text == "false") return text == "true";
    if (text == "null" || text == "~") return nullptr;
    char* end = nullptr;
    long long i = std::strtoll(text.c_str(), &end, 10);
    if (!text.empty() && *end == '\0') return i;
    double d = std::strtod(text.c_str(), &end);
    if (!text.empty() && *end == '\0') return d;
  }
  return text;
}

Json to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar: return scalar_json(node);
    case YAML::NodeType::Sequence: {
      Json arr = Json::array();
      for (const auto& item : node) arr.push_back(to_json(item));
      return arr;
    }
    case YAML::NodeType::Map: {
      Json obj = Json::object();
      for (const auto& kv : node) obj[kv.first.Scalar()] = to_json(kv.second);
      return obj;
    }
    default: return nullptr;
  }
}

using base::fail;

std::string check_space(const Json& space, const Json& params) {
  for (const auto& [key, domain] : space.items()) {
    if (!params.contains(key)) return fmt::format("space.{} names no param (params has no \"{}\")", key, key);
    if (domain.is_array()) {
      if (domain.empty()) return fmt::format("space.{}: expected a non-empty list of values", key);
      continue;
    }
    if (!domain.is_object() || !domain.contains("min") || !domain.contains("max") || !domain["min"].is_number() ||
        !domain["max"].is_number())
      return fmt::format("space.{}: expected a list of values or {{min: <number>, max: <number>}}", key);
    if (domain["min"].get<double>() > domain["max"].get<double>())
      return fmt::format("space.{}: min is greater than max", key);
    if (!params[key].is_number()) return fmt::format("space.{}: a range needs a numeric param", key);
  }
  return "";
}

}  // namespace

Json Strategy::to_json() const {
  return {{"name", name}, {"params", params}, {"model", model}, {"space", space}, {"description", description}};
}

bool valid_strategy_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '+' || c == '~';
  });
}

base::Result<Strategy> parse_strategy_yaml(const std::string& text, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return fail(fmt::format("{}: {}", where(file, e.mark), e.msg));
  }
  if (!root.IsMap()) return fail(fmt::format("{}: expected a map with name and params", where(file, root.Mark())));
  static const std::vector<std::string> keys = {"name", "description", "model", "params", "space"};
  for (const auto& kv : root) {
    std::string key = kv.first.Scalar();
    if (std::find(keys.begin(), keys.end(), key) == keys.end())
      return fail(fmt::format("{}: unknown key \"{}\"; expected one of name, description, model, params, space",
                              where(file, kv.first.Mark()), key));
  }
  Strategy s;
  YAML::Node name = root["name"];
  if (!name || !name.IsScalar())
    return fail(fmt::format("{}: missing \"name\" (a string)", where(file, root.Mark())));
  s.name = name.Scalar();
  if (!valid_strategy_name(s.name))
    return fail(fmt::format("{}: name \"{}\" is not valid; expected 1-64 letters, digits, '-', '_', '.', '+', '~'",
                            where(file, name.Mark()), s.name));
  if (YAML::Node d = root["description"]) {
    if (!d.IsScalar()) return fail(fmt::format("{}: description: expected a string", where(file, d.Mark())));
    s.description = d.Scalar();
  }
  if (YAML::Node m = root["model"]) {
    if (!m.IsScalar()) return fail(fmt::format("{}: model: expected a string", where(file, m.Mark())));
    s.model = m.Scalar();
  }
  if (YAML::Node p = root["params"]) {
    if (!p.IsMap()) return fail(fmt::format("{}: params: expected a map of name: value", where(file, p.Mark())));
    s.params = to_json(p);
  }
  if (YAML::Node sp = root["space"]) {
    if (!sp.IsMap()) return fail(fmt::format("{}: space: expected a map of param: values", where(file, sp.Mark())));
    s.space = to_json(sp);
    if (std::string err = check_space(s.space, s.params); !err.empty())
      return fail(fmt::format("{}: {}", where(file, sp.Mark()), err));
  }
  return s;
}

PresetLoad load_presets(const std::string& folder) {
  PresetLoad out;
  std::error_code ec;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().extension() == ".yaml" || it->path().extension() == ".yml") files.push_back(it->path());
  if (ec) {
    out.errors.push_back(fmt::format("{}: cannot read the strategies folder: {}", folder, ec.message()));
    return out;
  }
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      out.errors.push_back(fmt::format("{}: cannot read", path.string()));
      continue;
    }
    std::stringstream text;
    text << in.rdbuf();
    base::Result<Strategy> parsed = parse_strategy_yaml(text.str(), path.string());
    if (!parsed) {
      out.errors.push_back(parsed.error());
    } else if (find_strategy(out.presets, parsed->name)) {
      out.errors.push_back(fmt::format("{}: strategy \"{}\" is defined twice", path.string(), parsed->name));
    } else {
      out.presets.push_back(std::move(parsed).value());
    }
  }
  return out;
}

std::string default_presets_dir(const std::string& compiled_source_dir) {
  const char* home = std::getenv("HARNESS_HOME");
  std::string base = home && *home ? home : compiled_source_dir;
  return (fs::path(base) / "strategies").string();
}

const Strategy* find_strategy(const std::vector<Strategy>& list, const std::string& name) {
  for (const auto& s : list)
    if (s.name == name) return &s;
  return nullptr;
}

}  // namespace strategies

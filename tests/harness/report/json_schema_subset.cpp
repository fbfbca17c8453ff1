#include "json_schema_subset.h"

#include <regex>
#include <set>

#include <fmt/format.h>

namespace harness_test {
namespace {

using Json = nlohmann::json;

bool has_type(const Json& value, const std::string& type) {
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "string") return value.is_string();
  if (type == "integer") return value.is_number_integer();
  if (type == "number") return value.is_number();
  if (type == "boolean") return value.is_boolean();
  if (type == "null") return value.is_null();
  return false;
}

class Validator {
 public:
  explicit Validator(const Json& root) : root_(root) {}

  void check(const Json& schema, const Json& value, const std::string& at) {
    static const std::set<std::string> known = {"$schema", "$id", "title", "description", "$defs", "type",
                                                "properties", "required", "additionalProperties", "items", "enum",
                                                "const", "minimum", "pattern", "$ref"};
    for (const auto& [key, unused] : schema.items())
      if (!known.count(key)) errors.push_back(fmt::format("{}: schema keyword `{}` is not supported", at, key));
    if (schema.contains("$ref")) {
      const std::string ref = schema["$ref"];
      const std::string prefix = "#/$defs/";
      if (ref.rfind(prefix, 0) != 0 || !root_["$defs"].contains(ref.substr(prefix.size())))
        errors.push_back(fmt::format("{}: unresolvable $ref {}", at, ref));
      else
        check(root_["$defs"][ref.substr(prefix.size())], value, at);
    }
    if (schema.contains("type")) {
      Json types = schema["type"].is_array() ? schema["type"] : Json::array({schema["type"]});
      bool ok = false;
      for (const auto& t : types) ok = ok || has_type(value, t.get<std::string>());
      if (!ok) {
        errors.push_back(fmt::format("{}: expected {}, got {}", at, schema["type"].dump(), value.type_name()));
        return;
      }
    }
    if (schema.contains("const") && value != schema["const"])
      errors.push_back(fmt::format("{}: expected {}, got {}", at, schema["const"].dump(), value.dump()));
    if (schema.contains("enum") && std::find(schema["enum"].begin(), schema["enum"].end(), value) == schema["enum"].end())
      errors.push_back(fmt::format("{}: {} is not one of {}", at, value.dump(), schema["enum"].dump()));
    if (schema.contains("minimum") && value.is_number() && value.get<double>() < schema["minimum"].get<double>())
      errors.push_back(fmt::format("{}: {} is below the minimum {}", at, value.dump(), schema["minimum"].dump()));
    if (schema.contains("pattern") && value.is_string() &&
        !std::regex_search(value.get<std::string>(), std::regex(schema["pattern"].get<std::string>())))
      errors.push_back(fmt::format("{}: {} does not match {}", at, value.dump(), schema["pattern"].get<std::string>()));
    if (value.is_object()) check_object(schema, value, at);
    if (value.is_array() && schema.contains("items"))
      for (size_t i = 0; i < value.size(); ++i) check(schema["items"], value[i], fmt::format("{}/{}", at, i));
  }

  std::vector<std::string> errors;

 private:
  void check_object(const Json& schema, const Json& value, const std::string& at) {
    if (schema.contains("required"))
      for (const auto& key : schema["required"])
        if (!value.contains(key.get<std::string>()))
          errors.push_back(fmt::format("{}: missing required key `{}`", at, key.get<std::string>()));
    const Json properties = schema.value("properties", Json::object());
    for (const auto& [key, child] : value.items()) {
      std::string path = at + "/" + key;
      if (properties.contains(key)) {
        check(properties[key], child, path);
      } else if (schema.contains("additionalProperties")) {
        const Json& extra = schema["additionalProperties"];
        if (extra.is_boolean() && !extra.get<bool>())
          errors.push_back(fmt::format("{}: key not allowed by the schema", path));
        else if (extra.is_object())
          check(extra, child, path);
      }
    }
  }

  const Json& root_;
};

}  // namespace

std::vector<std::string> validate_json_schema(const nlohmann::json& schema, const nlohmann::json& instance) {
  Validator v(schema);
  v.check(schema, instance, "");
  return v.errors;
}

}  // namespace harness_test

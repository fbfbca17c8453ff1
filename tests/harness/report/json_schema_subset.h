// A validator for the subset of JSON Schema (2020-12) that docs/summary.schema.json uses: type (one or a list),
// properties, required, additionalProperties (false or a schema), items, enum, const, minimum, pattern and local
// $ref (#/$defs/...). A keyword outside that subset is reported as an error, so the schema cannot use something
// this check would silently skip. Tests only.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace harness_test {

// Every violation, each as "<json pointer>: what is wrong"; empty when `instance` is valid.
std::vector<std::string> validate_json_schema(const nlohmann::json& schema, const nlohmann::json& instance);

}  // namespace harness_test

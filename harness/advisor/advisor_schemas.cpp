#include "harness/advisor/advisor_schemas.h"

namespace harness {
namespace {

using Json = nlohmann::json;

Json strict_object(Json properties) {
  Json required = Json::array();
  for (const auto& [key, value] : properties.items()) required.push_back(key);
  return {{"type", "object"}, {"properties", std::move(properties)}, {"required", required},
          {"additionalProperties", false}};
}

Json text(const char* description) { return {{"type", "string"}, {"description", description}}; }
Json texts(const char* description) {
  return {{"type", "array"}, {"items", {{"type", "string"}}}, {"description", description}};
}

}  // namespace

Json observer_answer_schema() {
  Json observation = strict_object({
      {"priority", {{"type", "string"}, {"enum", {"important", "possible", "informational"}}}},
      {"kind", text("one of tool_error crash stuck failed_fix retry_storm budget_exhausted loop files_edited refactor "
                    "hypothesis partial_fix goal usage dead_end duration, or \"\"")},
      {"text", text("one line for the next agent: name the files, commands and the error")},
      {"evidence", texts("labels from the digest: g02-a01#e41 (an event), g02-a01#s<span id>, g02-a01")},
  });
  return strict_object({{"observations", {{"type", "array"}, {"items", observation}}}});
}

Json meta_answer_schema() {
  Json strategy = strict_object({
      {"name", text("a strategy of the list, or a new name (letters, digits, - _ . + ~; at most 64)")},
      {"based_on", text("for a new strategy: the listed strategy it starts from, or \"\"")},
      {"approach", text("a short name of the approach, or \"\" to keep the strategy's")},
      {"instructions", text("what the agent must do, concretely; required for a new strategy")},
      {"model", text("a model for its agents, or \"\" for the default")},
      {"budget_steps", {{"type", "integer"}, {"description", "steps the agent may take; 0 keeps the strategy's"}}},
      {"why", text("why this strategy now, from which observations")},
      {"observations", texts("ids of the observations it answers (O-0003)")},
  });
  return strict_object({{"strategies", {{"type", "array"}, {"items", strategy}}}});
}

Json meta_answer_to_protocol(const Json& answer) {
  if (!answer.is_object() || !answer.contains("strategies") || !answer["strategies"].is_array()) return answer;
  Json out = {{"strategies", Json::array()}};
  for (const auto& item : answer["strategies"]) {
    if (!item.is_object()) {
      out["strategies"].push_back(item);
      continue;
    }
    Json s = Json::object();
    Json params = Json::object();
    for (const auto& [key, value] : item.items()) {
      if (key == "approach" || key == "instructions") {
        if (!(value.is_string() && value.get<std::string>().empty())) params[key] = value;
      } else if (key == "budget_steps") {
        if (!(value.is_number() && value.get<double>() == 0)) params[key] = value;
      } else if ((key == "model" || key == "based_on") && value.is_string() && value.get<std::string>().empty()) {
        continue;
      } else {
        s[key] = value;
      }
    }
    if (!params.empty()) s["params"] = params;
    out["strategies"].push_back(s);
  }
  return out;
}

}  // namespace harness

// Loading a model-server script (JSON or YAML) into Turns, and matching/asserting turns against requests.
// Pure functions; thread-safe.
#include "script.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

namespace model_server {
namespace {

// YAML plain scalars become numbers/bools/null where they look like one; quoted scalars stay strings.
json yaml_to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) out.push_back(yaml_to_json(item));
      return out;
    }
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node) out[kv.first.as<std::string>()] = yaml_to_json(kv.second);
      return out;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (node.Tag() == "?") {
        if (s == "true") return true;
        if (s == "false") return false;
        if (s == "null" || s == "~") return nullptr;
        try {
          size_t used = 0;
          long long v = std::stoll(s, &used);
          if (used == s.size()) return v;
        } catch (...) {  // not a number: a string
        }
      }
      return s;
    }
    default:
      return nullptr;
  }
}

std::string flatten_text(const json& content) {
  if (content.is_string()) return content.get<std::string>();
  std::string out;
  if (content.is_array()) {
    for (const auto& block : content) {
      std::string piece;
      if (block.is_string()) piece = block.get<std::string>();
      else if (block.is_object()) {
        if (block.contains("text") && block["text"].is_string()) piece = block["text"];
        else if (block.contains("content")) piece = flatten_text(block["content"]);
        else if (block.contains("output")) piece = flatten_text(block["output"]);
        else if (block.contains("input")) piece = block["input"].dump();
      }
      if (!piece.empty()) out += (out.empty() ? "" : "\n") + piece;
    }
  }
  return out;
}

bool contains(const std::string& hay, const std::string& needle) {
  return needle.empty() || hay.find(needle) != std::string::npos;
}

long get_long(const json& o, const char* key) { return o.contains(key) && o[key].is_number() ? o[key].get<long>() : 0; }
std::string get_string(const json& o, const char* key) {
  if (!o.contains(key)) return {};
  return o[key].is_string() ? o[key].get<std::string>() : o[key].dump();
}

bool parse_turn(const json& t, size_t index, Turn* turn, std::string* error) {
  if (!t.is_object()) {
    *error = "turn " + std::to_string(index + 1) + ": expected a map";
    return false;
  }
  static const char* known[] = {"name", "api", "tools", "when", "expect_contains", "expect_system_contains",
                                "expect_request_contains", "expect_not_contains", "text", "reasoning",
                                "tool_use", "usage", "model", "stop_reason", "text_chunks", "http_status",
                                "error_message"};
  for (const auto& [key, value] : t.items()) {
    bool ok = false;
    for (const char* k : known) ok = ok || key == k;
    if (!ok) {
      *error = "turn " + std::to_string(index + 1) + ": unknown key '" + key + "'";
      return false;
    }
  }
  turn->name = t.contains("name") ? get_string(t, "name") : "turn " + std::to_string(index + 1);
  if (t.contains("api")) {
    std::string api = get_string(t, "api");
    if (api != "anthropic" && api != "openai") {
      *error = turn->name + ": api must be anthropic or openai, not '" + api + "'";
      return false;
    }
    turn->api = api == "anthropic" ? Api::anthropic : Api::openai;
  }
  if (t.contains("tools")) turn->tools = t["tools"].is_boolean() && t["tools"].get<bool>();
  if (t.contains("when")) {
    const json& w = t["when"];
    turn->model_contains = get_string(w, "model_contains");
    turn->system_contains = get_string(w, "system_contains");
    turn->system_not_contains = get_string(w, "system_not_contains");
    turn->last_user_contains = get_string(w, "last_user_contains");
    if (w.contains("tools")) turn->tools = w["tools"].is_boolean() && w["tools"].get<bool>();
  }
  auto add_expect = [&](const char* key, const char* where, bool negate) {
    if (!t.contains(key)) return;
    const json& v = t[key];
    if (v.is_array())
      for (const auto& s : v) turn->expectations.push_back({where, s.is_string() ? s.get<std::string>() : s.dump(), negate});
    else
      turn->expectations.push_back({where, get_string(t, key), negate});
  };
  add_expect("expect_contains", "last_user", false);
  add_expect("expect_system_contains", "system", false);
  add_expect("expect_request_contains", "request", false);
  add_expect("expect_not_contains", "request", true);
  turn->text = get_string(t, "text");
  turn->reasoning = get_string(t, "reasoning");
  if (t.contains("tool_use")) {
    if (!t["tool_use"].is_array()) {
      *error = turn->name + ": tool_use must be a list";
      return false;
    }
    for (const auto& c : t["tool_use"]) {
      ToolCall call;
      call.name = get_string(c, "name");
      if (call.name.empty()) {
        *error = turn->name + ": a tool_use entry has no name";
        return false;
      }
      call.input = c.contains("input") ? c["input"] : json::object();
      call.input_text = get_string(c, "input_text");
      call.id = get_string(c, "id");
      turn->tool_calls.push_back(std::move(call));
    }
  }
  if (t.contains("usage")) {
    const json& u = t["usage"];
    turn->usage = {get_long(u, "input_tokens"), get_long(u, "output_tokens"),
                   get_long(u, "cache_creation_input_tokens"), get_long(u, "cache_read_input_tokens"),
                   get_long(u, "reasoning_tokens")};
  }
  turn->model = get_string(t, "model");
  turn->stop_reason = get_string(t, "stop_reason");
  turn->text_chunks = static_cast<int>(get_long(t, "text_chunks"));
  if (t.contains("http_status")) turn->http_status = static_cast<int>(get_long(t, "http_status"));
  turn->error_message = get_string(t, "error_message");
  return true;
}

}  // namespace

std::optional<Script> parse_script(const json& doc, std::string* error) {
  if (!doc.is_object() || !doc.contains("turns") || !doc["turns"].is_array()) {
    *error = "expected a map with a 'turns' list";
    return std::nullopt;
  }
  Script script;
  for (size_t i = 0; i < doc["turns"].size(); ++i) {
    Turn turn;
    if (!parse_turn(doc["turns"][i], i, &turn, error)) return std::nullopt;
    script.turns.push_back(std::move(turn));
  }
  json fallback = doc.contains("fallback") ? doc["fallback"] : json{{"text", "OK"}};
  fallback["name"] = "fallback";
  if (!parse_turn(fallback, 0, &script.fallback, error)) return std::nullopt;
  if (!doc.contains("fallback") || !doc["fallback"].contains("usage"))
    script.fallback.usage = {1, 1, 0, 0, 0};
  return script;
}

std::optional<Script> load_script(const std::string& path, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = path + ": cannot read";
    return std::nullopt;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  json doc;
  try {
    if (path.size() >= 5 && path.substr(path.size() - 5) == ".json") doc = json::parse(buffer.str());
    else doc = yaml_to_json(YAML::Load(buffer.str()));
  } catch (const std::exception& e) {
    *error = path + ": " + e.what();
    return std::nullopt;
  }
  auto script = parse_script(doc, error);
  if (!script) *error = path + ": " + *error;
  return script;
}

bool turn_matches(const Turn& turn, const RequestView& r) {
  if (turn.api && *turn.api != r.api) return false;
  if (turn.tools.value_or(true) != r.has_tools) return false;
  if (!turn.system_not_contains.empty() && r.system.find(turn.system_not_contains) != std::string::npos) return false;
  return contains(r.model, turn.model_contains) && contains(r.system, turn.system_contains) &&
         contains(r.last_user, turn.last_user_contains);
}

std::vector<std::string> check_expectations(const Turn& turn, const RequestView& r) {
  std::vector<std::string> failures;
  for (const auto& e : turn.expectations) {
    const std::string& hay = e.where == "system" ? r.system : e.where == "last_user" ? r.last_user : r.all_text;
    bool found = hay.find(e.text) != std::string::npos;
    if (found == e.negate)
      failures.push_back(turn.name + ": expected " + e.where + (e.negate ? " not to contain " : " to contain ") +
                         json(e.text).dump() + "; " + e.where + " was " + json(hay.substr(0, 600)).dump());
  }
  return failures;
}

RequestView view_anthropic_request(const json& body) {
  RequestView v;
  v.api = Api::anthropic;
  v.model = get_string(body, "model");
  v.stream = body.value("stream", false);
  v.has_tools = body.contains("tools") && body["tools"].is_array() && !body["tools"].empty();
  if (body.contains("system")) v.system = flatten_text(body["system"]);
  v.all_text = v.system;
  // Claude Code appends role "system" messages after the user's (environment notes): they belong to the system
  // text and do not end the user's input; an assistant message does.
  if (body.contains("messages") && body["messages"].is_array()) {
    bool after_assistant = true;
    for (const auto& m : body["messages"]) {
      if (!m.is_object() || !m.contains("content")) continue;
      std::string text = flatten_text(m["content"]);
      std::string role = m.value("role", "");
      v.all_text += "\n" + text;
      if (role == "system") {
        v.system += "\n" + text;
      } else if (role == "assistant") {
        after_assistant = true;
      } else {
        v.last_user = after_assistant ? text : v.last_user + "\n" + text;
        after_assistant = false;
      }
    }
    if (after_assistant) v.last_user.clear();
  }
  return v;
}

RequestView view_openai_request(const json& body) {
  RequestView v;
  v.api = Api::openai;
  v.model = get_string(body, "model");
  v.stream = body.value("stream", false);
  v.has_tools = body.contains("tools") && body["tools"].is_array() && !body["tools"].empty();
  v.system = get_string(body, "instructions");
  if (body.contains("input") && body["input"].is_string()) {
    v.last_user = body["input"];
    v.all_text = v.system + "\n" + v.last_user;
    return v;
  }
  v.all_text = v.system;
  if (!body.contains("input") || !body["input"].is_array()) return v;
  for (const auto& item : body["input"]) {
    if (!item.is_object()) continue;
    std::string type = item.value("type", "message");
    std::string role = item.value("role", "");
    std::string text = item.contains("content") ? flatten_text(item["content"])
                       : item.contains("output") ? flatten_text(item["output"])
                       : item.contains("arguments") ? get_string(item, "arguments")
                                                    : get_string(item, "input");
    v.all_text += "\n" + text;
    bool model_made = (type == "message" && role == "assistant") || type == "function_call" ||
                      type == "custom_tool_call" || type == "reasoning" || type == "local_shell_call";
    if (type == "message" && (role == "system" || role == "developer")) {
      v.system += "\n" + text;
    } else if (model_made) {
      v.last_user.clear();
    } else {
      v.last_user += (v.last_user.empty() ? "" : "\n") + text;
    }
  }
  return v;
}

}  // namespace model_server

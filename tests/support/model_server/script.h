// The script a ScriptedModelServer plays: an ordered list of turns (what to answer, what to assert about the
// request), loaded from JSON or YAML. See README.md beside this file for the format. Plain data; not thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace model_server {

using nlohmann::json;

enum class Api { anthropic, openai };

// What a request said, flattened to text so turns can match and assert on it without knowing either API's shape.
struct RequestView {
  Api api = Api::anthropic;
  std::string model;
  std::string system;     // system prompt (Anthropic `system`, OpenAI `instructions` + system/developer messages)
  std::string last_user;  // text of the trailing user input: the prompt, or tool results since the last model turn
  std::string all_text;   // every message's text, for `expect_request_contains`
  bool has_tools = false;
  bool stream = false;
};

struct ToolCall {
  std::string name;
  json input;              // object for a function tool; for a custom (freeform) tool, `input_text` is used
  std::string input_text;  // OpenAI custom tool input (e.g. Codex apply_patch), sent verbatim
  std::string id;          // call id; generated when empty
};

struct Usage {
  long input_tokens = 0;
  long output_tokens = 0;
  long cache_creation_input_tokens = 0;
  long cache_read_input_tokens = 0;
  long reasoning_tokens = 0;  // OpenAI only (output_tokens_details)
};

struct Expectation {
  std::string where;  // last_user | system | request
  std::string text;   // must occur (substring)
  bool negate = false;
};

struct Turn {
  std::string name;              // for messages; defaults to "turn <n>"
  std::optional<Api> api;        // match only this API
  std::optional<bool> tools;     // match only requests with (true) / without (false) tools; default: true
  std::string model_contains, system_contains, system_not_contains, last_user_contains;  // match filters
  std::vector<Expectation> expectations;
  std::string text;              // assistant text (may be empty when only tools are called)
  std::string reasoning;         // OpenAI reasoning summary text (optional)
  std::vector<ToolCall> tool_calls;
  Usage usage;
  std::string model;             // reply model; default: the requested model
  std::string stop_reason;       // default: tool_use when tool calls, else end_turn
  int text_chunks = 0;           // number of text deltas (0: one per ~24 characters)
  int http_status = 200;         // non-200: reply with an API error of this status instead (error tests)
  std::string error_message;
};

struct Script {
  std::vector<Turn> turns;
  Turn fallback;  // answer to a request no turn matches (side calls: titles, quota checks, ...)
};

// Loads `path` (.json parsed as JSON, anything else as YAML). On failure returns nullopt and sets *error to
// "<path>: <what is wrong>".
std::optional<Script> load_script(const std::string& path, std::string* error);
std::optional<Script> parse_script(const json& document, std::string* error);

// Turn matching and assertions.
bool turn_matches(const Turn& turn, const RequestView& request);
// Failed expectations of `turn` on `request`, one message each (empty: all held).
std::vector<std::string> check_expectations(const Turn& turn, const RequestView& request);

RequestView view_anthropic_request(const json& body);
RequestView view_openai_request(const json& body);

}  // namespace model_server

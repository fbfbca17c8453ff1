// Codex `exec --json` thread items that stand for tool calls (command_execution, file_change, mcp_tool_call,
// web_search, collab_tool_call), reduced to what a tool span needs. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "trace/model.h"

namespace trace {

enum class ItemPhase { started, updated, completed };

struct CodexTool {
  std::string name;    // span name and gen_ai.tool.name: shell, apply_patch, mcp__<server>__<tool>, ...
  Json arguments;      // what the call was given (gen_ai.tool.call.arguments)
  std::string result;  // output so far, or the final one
  std::string error;   // set when failed
  std::optional<int64_t> exit_code;
  bool failed = false;                                             // meaningful once the item is completed
  Json attributes = Json::object();                                // extra span attributes
  std::vector<std::pair<std::string, std::string>> written_paths;  // file_change: (path, add|delete|update)
};

// The tool call an item stands for; nullopt for the other items (messages, reasoning, plans, todo lists,
// errors).
std::optional<CodexTool> codex_tool_of(const std::string& type, const Json& item);

}  // namespace trace

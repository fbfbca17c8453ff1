#include "trace/codex_items.h"

#include <fmt/format.h>

namespace trace {
namespace {

std::string text_of(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

CodexTool command_execution(const Json& item) {
  CodexTool t;
  // Codex's own name for the tool that runs commands; the command line is in the arguments, as for Claude's
  // Bash.
  t.name = "shell";
  std::string command = text_of(item, "command");
  t.arguments = {{"command", command}};
  t.attributes["process.command_line"] = command.size() > 8192 ? command.substr(0, 8192) : command;
  t.result = text_of(item, "aggregated_output");
  if (auto it = item.find("exit_code"); it != item.end() && it->is_number_integer())
    t.exit_code = it->get<int64_t>();
  std::string status = text_of(item, "status");
  if (status == "declined") {
    t.failed = true;
    t.error = "command declined";
  } else if (t.exit_code && *t.exit_code != 0) {
    t.failed = true;
    // With the output's tail, like Claude Code's "Exit code N\n<output>": the failure's own words (a test's
    // assertion) are what an observer needs, and Codex states them nowhere else.
    constexpr size_t kTail = 2048;
    std::string tail = t.result.size() > kTail ? t.result.substr(t.result.size() - kTail) : t.result;
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
    t.error = fmt::format("exit code {}", *t.exit_code) + (tail.empty() ? "" : "\n" + tail);
  } else if (status == "failed") {
    t.failed = true;
    t.error = "command failed";
  }
  return t;
}

CodexTool file_change(const Json& item) {
  CodexTool t;
  t.name = "apply_patch";
  Json changes = item.value("changes", Json::array());
  t.arguments = {{"changes", changes}};
  t.failed = text_of(item, "status") == "failed";
  if (t.failed) t.error = "patch failed";
  if (!t.failed && changes.is_array())
    for (const auto& c : changes)
      if (c.is_object() && c.contains("path") && c["path"].is_string())
        t.written_paths.emplace_back(c["path"].get<std::string>(), text_of(c, "kind"));
  return t;
}

CodexTool mcp_tool_call(const Json& item) {
  CodexTool t;
  std::string server = text_of(item, "server"), tool = text_of(item, "tool");
  // Claude Code's naming of MCP tools, so the same tool is counted under one name across agents.
  t.name = fmt::format("mcp__{}__{}", server, tool);
  t.arguments = item.value("arguments", Json());
  t.attributes["mcp.server"] = server;
  t.attributes["mcp.tool"] = tool;
  if (auto it = item.find("result"); it != item.end() && !it->is_null())
    t.result = it->dump(-1, ' ', false, Json::error_handler_t::replace);
  if (auto it = item.find("error"); it != item.end() && it->is_object()) t.error = text_of(*it, "message");
  t.failed = text_of(item, "status") == "failed" || !t.error.empty();
  if (t.failed && t.error.empty()) t.error = "tool call failed";
  return t;
}

CodexTool web_search(const Json& item) {
  CodexTool t;
  t.name = "web_search";
  t.arguments = {{"query", text_of(item, "query")}};
  if (item.contains("action")) t.attributes["codex.web_search.action"] = item["action"];
  return t;
}

CodexTool collab_tool_call(const Json& item) {
  CodexTool t;
  t.name = text_of(item, "tool");
  if (t.name.empty()) t.name = "collab_tool";
  t.arguments = {{"prompt", item.value("prompt", Json())},
                 {"receiver_thread_ids", item.value("receiver_thread_ids", Json::array())}};
  if (item.contains("agents_states"))
    t.result = item["agents_states"].dump(-1, ' ', false, Json::error_handler_t::replace);
  t.failed = text_of(item, "status") == "failed";
  if (t.failed) t.error = "collab tool call failed";
  return t;
}

}  // namespace

std::optional<CodexTool> codex_tool_of(const std::string& type, const Json& item) {
  if (type == "command_execution") return command_execution(item);
  if (type == "file_change") return file_change(item);
  if (type == "mcp_tool_call") return mcp_tool_call(item);
  if (type == "web_search") return web_search(item);
  if (type == "collab_tool_call") return collab_tool_call(item);
  return std::nullopt;
}

}  // namespace trace

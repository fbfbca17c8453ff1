// Tool calls of the Claude decoders: a tool_use block opens a tool span (and file.read/file.write events for
// the file tools), the tool_result naming its tool_use_id closes it, so parallel calls of one tool never mix.
#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "trace/claude_messages.h"
#include "trace/ids.h"

namespace trace::claude {
namespace {

// The text of a tool_result's content (a string, or blocks of which the text ones count), clipped.
std::string result_text(JsonView block) {
  JsonView content = block["content"];
  if (!content) return "";
  if (!content.is_array()) return clip_json(content);
  std::string out;
  for (JsonView part : content) {
    if (out.size() > kMaxText) break;
    std::string_view type = part["type"].str();
    if (!out.empty()) out += '\n';
    if (type == "text")
      out += part["text"].str(kMaxText + 1);
    else
      out += fmt::format("[{}]", type.empty() ? "?" : type);
  }
  return clip_text(out);
}

// "Exit code 2\n..." is how Claude Code reports a failed command.
std::optional<int64_t> exit_code_of(std::string_view text) {
  constexpr std::string_view kPrefix = "Exit code ";
  if (!text.starts_with(kPrefix)) return std::nullopt;
  int64_t code = 0;
  const char* begin = text.data() + kPrefix.size();
  auto r = std::from_chars(begin, text.data() + text.size(), code);
  if (r.ec != std::errc() || r.ptr == begin) return std::nullopt;
  return code;
}

}  // namespace

void MessageDecoder::open_tool(Session& s, JsonView block, int64_t t) {
  std::string id(block["id"].str());
  if (id.empty()) id = fmt::format("line:{}:{}", line_, open_tools_.size());
  if (open_tools_.count(id)) return;  // the same block repeated by another line of its message
  std::string_view name = block["name"].str();
  Span sp;
  sp.trace_id = ctx_.trace_id;
  sp.span_id = derive_span_id(s.span.span_id, "tool:" + id);
  sp.parent_span_id = s.span.span_id;
  sp.session_id = s.span.span_id;
  sp.kind = SpanKind::tool;
  sp.name = name.empty() ? "tool" : std::string(name);
  sp.start_ns = t;
  sp.attributes = {
      {"gen_ai.operation.name", "execute_tool"}, {"gen_ai.tool.name", sp.name}, {"gen_ai.tool.call.id", id}};
  JsonView input = block["input"];
  std::string arguments = input ? clip_json(input) : "{}";
  if (sp.name == "Agent" || sp.name == "Task") {
    std::string_view type = input["subagent_type"].str();
    agent_tools_[id] = type.empty() ? "subagent" : std::string(type);
    if (!type.empty()) sp.attributes["claude.subagent_type"] = std::string(type);
  }
  // A live view shows the call while it runs; an import sends it once, when its result is in (or at
  // finish()).
  if (ctx_.live_clock) emit_span(sp);
  event(sp.span_id, t, "tool.call.started",
        {{"tool", sp.name}, {"id", id}, {"input", clip_text(arguments, kPreview)}});
  sp.attributes["gen_ai.tool.call.arguments"] = std::move(arguments);
  file_touch(s, sp, input, t);
  open_tools_.emplace(std::move(id), std::move(sp));
}

void MessageDecoder::file_touch(Session& s, const Span& tool, JsonView input, int64_t t) {
  const std::string& name = tool.name;
  std::string path;
  bool write = false;
  if (name == "Read") {
    path = input["file_path"].str();
  } else if (name == "Write" || name == "Edit" || name == "MultiEdit") {
    path = input["file_path"].str();
    write = true;
  } else if (name == "NotebookEdit") {
    path = input["notebook_path"].str();
    write = true;
  } else if (name == "Glob" || name == "Grep") {
    path = input["path"].str();  // without one they search the working directory
    auto cwd = s.span.attributes.find("claude.cwd");
    if (path.empty() && cwd != s.span.attributes.end() && cwd->is_string()) path = cwd->get<std::string>();
  } else {
    return;
  }
  if (path.empty()) return;
  event(tool.span_id, t, write ? "file.write" : "file.read",
        {{"path", std::move(path)}, {"session", s.span.span_id}, {"tool", name}});
}

void MessageDecoder::close_tool(Session& s, JsonView block, JsonView tool_use_result, int64_t t) {
  std::string id(block["tool_use_id"].str());
  auto it = open_tools_.find(id);
  if (it == open_tools_.end()) {
    // A result whose call was never seen (the capture began later, or a repeated result): keep it as a
    // zero-length span so it is not lost. Its id is derived like the call's, so a repeat updates the same
    // span.
    Span sp;
    sp.trace_id = ctx_.trace_id;
    sp.span_id = derive_span_id(s.span.span_id, "tool:" + id);
    sp.parent_span_id = s.span.span_id;
    sp.session_id = s.span.span_id;
    sp.kind = SpanKind::tool;
    sp.name = "unknown";
    sp.start_ns = t;
    sp.attributes = {{"gen_ai.operation.name", "execute_tool"},
                     {"gen_ai.tool.call.id", id},
                     {"harness.call_not_seen", true}};
    it = open_tools_.emplace(id, std::move(sp)).first;
  }
  Span& sp = it->second;
  bool error = block["is_error"].boolean();
  std::string text = result_text(block);
  sp.end_ns = std::max(sp.start_ns, t);
  sp.status = error ? SpanStatus::error : SpanStatus::ok;
  Json payload = {{"tool", sp.name}, {"id", id}};
  if (error) {
    if (auto code = exit_code_of(text)) payload["exit_code"] = sp.attributes["process.exit.code"] = *code;
    payload["error"] = clip_text(text, kPreview);
    sp.attributes["error.message"] = std::move(text);
  } else {
    // Claude Code reports every non-zero exit as an error result, so a successful Bash call exited 0.
    if (sp.name == "Bash") payload["exit_code"] = sp.attributes["process.exit.code"] = 0;
    payload["output"] = clip_text(text, kPreview);
    sp.attributes["gen_ai.tool.call.result"] = std::move(text);
  }
  if (tool_use_result.is_object()) {
    if (std::string_view agent = tool_use_result["agentId"].str(); !agent.empty())
      sp.attributes["claude.agent_id"] = std::string(agent);
    if (JsonView n = tool_use_result["totalToolUseCount"]; n.is_number())
      sp.attributes["claude.subagent.tool_uses"] = n.int64();
    if (JsonView n = tool_use_result["totalTokens"]; n.is_number())
      sp.attributes["claude.subagent.total_tokens"] = n.int64();
    if (tool_use_result["interrupted"].boolean()) sp.attributes["claude.interrupted"] = true;
  } else if (tool_use_result.str() == "User rejected tool use") {
    sp.attributes["claude.rejected"] = true;
  }
  emit_span(sp);
  event(sp.span_id, t, error ? "tool.call.failed" : "tool.call.completed", std::move(payload));
  if (auto sub = subagent_of_tool_.find(sp.span_id); sub != subagent_of_tool_.end()) {
    if (Session* child = find_session(sub->second)) close_session(*child, t, sp.status, false);
  }
  open_tools_.erase(it);
}

}  // namespace trace::claude

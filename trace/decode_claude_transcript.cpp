// Claude Code session transcripts (~/.claude/projects/<project>/<session>.jsonl, and the subagent transcripts
// in <session>/subagents/agent-<id>.jsonl): user/assistant lines with content blocks and `toolUseResult`,
// `agent_progress` lines that mirror a Task subagent's messages, compaction, hook and bookkeeping lines.
#include <fmt/format.h>

#include "trace/claude_messages.h"
#include "trace/decoders.h"
#include "trace/ids.h"

namespace trace {
namespace {

using namespace claude;

class ClaudeTranscriptDecoder : public MessageDecoder {
 public:
  explicit ClaudeTranscriptDecoder(DecodeContext ctx) : MessageDecoder(std::move(ctx)) {
    mark_unfinished_ = false;  // a transcript has no end marker: its session ends with its last line
  }

 private:
  std::optional<std::string> decode(JsonView j, std::string_view type) override {
    if (type == "summary" || type == "file-history-snapshot" || type == "queue-operation" || type == "attachment" ||
        type == "api-request" || type == "api-request-shape" || type == "api-request-blob" ||
        type == "atis-latch" || type == "tools-used" || type == "last-prompt") {
      // Titles, the file-undo history, the prompt queue; and (2.1.330) context attachments, copies of the API
      // requests, and bookkeeping: nothing an agent did that the user/assistant lines do not already say.
      ++stats_.ignored;
      return std::nullopt;
    }
    bool known = type == "user" || type == "assistant" || type == "system" || type == "progress";
    if (!known) return fmt::format("unknown type '{}'", type);
    int64_t t = line_time(j);
    if (type == "progress") return progress(j, t);
    Session& s = session_of(j, t);
    if (type == "user" || type == "assistant") {
      JsonView message = j["message"];
      if (!message.is_object()) return "'message' is not an object";
      if (type == "assistant") {
        if (!assistant_message(s, message, t)) return "'message.content' is neither a string nor an array";
        if (std::string_view model = message["model"].str();
            !model.empty() && model != "<synthetic>" && !s.span.attributes.contains("gen_ai.request.model"))
          s.span.attributes["gen_ai.request.model"] = std::string(model);
        if (j["isApiErrorMessage"].boolean())
          event(s.span.span_id, t, "error", {{"message", content_text(message)}, {"kind", "api_error"}});
      } else if (j["isCompactSummary"].boolean()) {
        // The summary that replaces the conversation after a compaction: not something the user said.
        event(s.span.span_id, t, "session.compact_summary", {{"text", content_text(message)}});
        touch(s, t);
      } else if (!user_message(s, message, j["toolUseResult"], t, j["isMeta"].boolean())) {
        return "'message.content' is neither a string nor an array";
      }
    } else {
      system_line(s, j, t);
    }
    ++stats_.decoded;
    return std::nullopt;
  }

  // The session of this file: a main session, or (isSidechain with an agentId) a subagent whose span id
  // matches the one its agent_progress mirror made under the same spawning tool call.
  Session& session_of(JsonView j, int64_t t) {
    if (Session* s = find_session("main")) return *s;
    std::string_view agent = j["agentId"].str();
    Json attributes = {{"gen_ai.provider.name", "anthropic"}};
    auto copy = [&](const char* from, const char* to) {
      if (std::string_view v = j[from].str(); !v.empty()) attributes[to] = std::string(v);
    };
    copy("sessionId", "session.id");
    copy("cwd", "claude.cwd");
    copy("version", "claude.version");
    copy("gitBranch", "claude.git_branch");
    if (j["isSidechain"].boolean() && !agent.empty()) {
      attributes["claude.agent_id"] = std::string(agent);
      attributes["gen_ai.agent.name"] = "subagent";
      const std::string& base = ctx_.parent_span_id.empty() ? ctx_.scope : ctx_.parent_span_id;
      Session& s = open_session("main", derive_span_id(base, fmt::format("agent:{}", agent)), ctx_.parent_span_id,
                                SpanKind::subagent, fmt::format("agent-{}", agent), std::move(attributes), t);
      // Under the call that spawned it, the link names this span (the mirror it replaces, and that mirror's
      // `subagent.spawned`, were dropped): every spawn resolves.
      if (!ctx_.parent_span_id.empty())
        event(ctx_.parent_span_id, t, "subagent.spawned",
              {{"child_session", s.span.span_id}, {"name", s.span.name}, {"agent_id", std::string(agent)}});
      return s;
    }
    attributes["gen_ai.agent.name"] = "claude-code";
    return open_session("main", derive_span_id(ctx_.scope, "session:main"), ctx_.parent_span_id,
                        SpanKind::session, "claude-code", std::move(attributes), t);
  }

  void system_line(Session& s, JsonView j, int64_t t) {
    std::string_view subtype = j["subtype"].str();
    if (subtype == "compact_boundary") {
      JsonView meta = j["compactMetadata"];
      event(s.span.span_id, t, "session.compacted",
            {{"trigger", std::string(meta["trigger"].str())}, {"pre_tokens", meta["preTokens"].int64()}});
    } else if (subtype == "api_error") {
      event(s.span.span_id, t, "error", compact_payload(j));
    } else {
      event(s.span.span_id, t, subtype.empty() ? "claude.system" : fmt::format("claude.{}", subtype),
            compact_payload(j));
    }
    touch(s, t);
  }

  // Progress lines: hook and command output progress is ignored; agent_progress links a Task call to its
  // subagent (agentId) and mirrors the subagent's messages. When the subagent's own transcript is imported
  // too, it replaces the mirror (see drop_claude_progress_mirrors).
  std::optional<std::string> progress(JsonView j, int64_t t) {
    JsonView data = j["data"];
    if (!data.is_object()) return "'data' is not an object";
    if (data["type"].str() != "agent_progress") {
      ++stats_.ignored;
      return std::nullopt;
    }
    std::string agent(data["agentId"].str());
    std::string_view parent_tool = j["parentToolUseID"].str();
    if (agent.empty() || parent_tool.empty())
      return "agent_progress without 'data.agentId' or 'parentToolUseID'";
    Session& main = session_of(j, t);
    std::string key = "agent:" + agent;
    Session* sub = find_session(key);
    if (!sub) {
      // Under the Task call that spawned it (or the session, when that call was never seen).
      std::string tool_span = main.span.span_id;
      std::string name = "subagent";
      if (auto it = agent_tools_.find(std::string(parent_tool)); it != agent_tools_.end()) {
        tool_span = tool_span_id(main, parent_tool);
        name = it->second;
      }
      if (auto it = open_tools_.find(std::string(parent_tool)); it != open_tools_.end())
        it->second.attributes["claude.agent_id"] = agent;
      Json attributes = {{"gen_ai.provider.name", "anthropic"},
                         {"gen_ai.agent.name", name},
                         {"claude.agent_id", agent},
                         {"claude.parent_tool_use_id", std::string(parent_tool)},
                         {"claude.from_progress", true}};
      sub = &open_session(key, derive_span_id(tool_span, "agent:" + agent), tool_span, SpanKind::subagent,
                          name, std::move(attributes), t);
      event(tool_span, t, "subagent.spawned",
            {{"child_session", sub->span.span_id}, {"name", name}, {"agent_id", agent}});
    }
    touch(main, t);
    if (JsonView mirrored = data["message"]; mirrored.is_object()) {
      int64_t mt = mirrored["timestamp"] ? line_time(mirrored) : t;
      std::string_view type = mirrored["type"].str();
      JsonView message = mirrored["message"];
      if (!message.is_object()) return "agent_progress 'data.message.message' is not an object";
      bool ok = true;
      if (type == "assistant")
        ok = assistant_message(*sub, message, mt);
      else if (type == "user")
        ok = user_message(*sub, message, mirrored["toolUseResult"], mt, false);
      if (!ok) return "agent_progress 'message.content' is neither a string nor an array";
    }
    ++stats_.decoded;
    return std::nullopt;
  }

  static std::string content_text(JsonView message) {
    JsonView content = message["content"];
    if (!content) return "";
    if (!content.is_array()) return clip_json(content);
    std::string out;
    for (JsonView block : content)
      if (block["type"].str() == "text" && out.size() <= kMaxText) out += block["text"].str(kMaxText + 1);
    return clip_text(out);
  }
};

}  // namespace

std::unique_ptr<Decoder> make_claude_transcript_decoder(DecodeContext ctx) {
  return std::make_unique<ClaudeTranscriptDecoder>(std::move(ctx));
}

}  // namespace trace

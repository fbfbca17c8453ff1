// Claude Code `claude -p --output-format stream-json --verbose` (and the single line of `--output-format
// json`): system/init opens the session, assistant/user lines carry content blocks, lines with
// `parent_tool_use_id` belong to the subagent spawned by that Agent/Task call, the result line closes the
// session with cost and usage.
#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

#include "trace/claude_messages.h"
#include "trace/decoders.h"
#include "trace/ids.h"

namespace trace {
namespace {

using namespace claude;

class ClaudeStreamDecoder : public MessageDecoder {
 public:
  using MessageDecoder::MessageDecoder;

 private:
  std::optional<std::string> decode(JsonView j, std::string_view type) override {
    int64_t t = line_time(j);
    if (type == "assistant" || type == "user") {
      JsonView message = j["message"];
      if (!message.is_object()) return "'message' is not an object";
      Session& s = session_of(j, t);
      bool ok = type == "assistant"
                    ? assistant_message(s, message, t)
                    : user_message(s, message, j["tool_use_result"], t, j["isMeta"].boolean());
      if (!ok) return "'message.content' is neither a string nor an array";
    } else if (type == "system") {
      std::string_view subtype = j["subtype"].str();
      if (subtype == "init") {
        init(j, t);
      } else if (subtype == "thinking_tokens") {
        // Running estimates of thinking length while the model thinks: the message's usage has the real
        // count.
        ++stats_.ignored;
        return std::nullopt;
      } else {
        system_event(j, subtype, t);
      }
    } else if (type == "result") {
      result(j, t);
    } else if (type == "rate_limit_event" || type == "stream_event") {
      // Quota status and partial-message deltas (--include-partial-messages): the complete lines carry it
      // all.
      ++stats_.ignored;
      return std::nullopt;
    } else {
      return fmt::format("unknown type '{}'", type);
    }
    ++stats_.decoded;
    return std::nullopt;
  }

  Session& main_session(JsonView j, int64_t t) {
    if (Session* s = find_session("main")) return *s;
    std::string_view id = j["session_id"].str();
    Json attributes = {{"gen_ai.provider.name", "anthropic"}, {"gen_ai.agent.name", "claude-code"}};
    if (!id.empty()) attributes["session.id"] = std::string(id);
    return open_session("main", derive_span_id(ctx_.scope, "session:main"), ctx_.parent_span_id,
                        SpanKind::session, "claude-code", std::move(attributes), t);
  }

  // The session a line belongs to: the main one, or the subagent of the Agent/Task call it names.
  Session& session_of(JsonView j, int64_t t) {
    Session& main = main_session(j, t);
    std::string_view parent_tool = j["parent_tool_use_id"].str();
    if (parent_tool.empty()) return main;
    std::string key = fmt::format("agent:{}", parent_tool);
    if (Session* s = find_session(key)) return *s;
    // Under the Agent/Task call that spawned it; under the session when that call was never seen (a capture
    // that began late), so the subagent never points at a span that does not exist.
    std::string tool_span = main.span.span_id;
    std::string name = "subagent";
    if (auto it = agent_tools_.find(std::string(parent_tool)); it != agent_tools_.end()) {
      tool_span = tool_span_id(main, parent_tool);
      name = it->second;
    }
    if (std::string_view type = j["subagent_type"].str(); !type.empty()) name = type;
    Json attributes = {{"gen_ai.provider.name", "anthropic"},
                       {"gen_ai.agent.name", name},
                       {"claude.parent_tool_use_id", std::string(parent_tool)},
                       // The stream omits a subagent's last message; its transcript, when picked up, replaces this.
                       {"claude.from_stream", true}};
    if (std::string_view task = j["task_description"].str(); !task.empty())
      attributes["claude.task_description"] = clip_text(task, 512);
    Session& s = open_session(key, derive_span_id(tool_span, fmt::format("agent:{}", parent_tool)), tool_span,
                              SpanKind::subagent, name, std::move(attributes), t);
    event(tool_span, t, "subagent.spawned", {{"child_session", s.span.span_id}, {"name", name}});
    return s;
  }

  void init(JsonView j, int64_t t) {
    Session& s = main_session(j, t);
    auto& a = s.span.attributes;
    auto copy = [&](const char* from, const char* to) {
      if (std::string_view v = j[from].str(); !v.empty()) a[to] = std::string(v);
    };
    copy("session_id", "session.id");
    copy("model", "gen_ai.request.model");
    copy("cwd", "claude.cwd");
    copy("claude_code_version", "claude.version");
    copy("permissionMode", "claude.permission_mode");
    if (JsonView tools = j["tools"]; tools.is_array()) a["claude.tools_count"] = tools.size();
    if (JsonView mcp = j["mcp_servers"]; mcp.is_array()) a["claude.mcp_servers_count"] = mcp.size();
    emit_span(s.span);
  }

  // task_started/task_progress/task_notification, compact_boundary, hook and status lines: events, on the
  // Agent/Task call they name when they name one.
  void system_event(JsonView j, std::string_view subtype, int64_t t) {
    Session& main = main_session(j, t);
    std::string on = main.span.span_id;
    std::string_view tool = j["tool_use_id"].str();
    std::string task(j["task_id"].str());
    if (!task.empty() && !tool.empty()) task_tools_.emplace(task, tool);
    if (tool.empty() && !task.empty())  // task_updated names only its task
      if (auto it = task_tools_.find(task); it != task_tools_.end()) tool = it->second;
    if (!tool.empty()) on = tool_span_id(main, tool);
    if (subtype == "compact_boundary") {
      JsonView meta = j["compact_metadata"];
      Json payload = {{"trigger", std::string(meta["trigger"].str())},
                      {"pre_tokens", meta["pre_tokens"].int64()}};
      event(main.span.span_id, t, "session.compacted", std::move(payload));
      return;
    }
    event(on, t, subtype.empty() ? "claude.system" : fmt::format("claude.{}", subtype), compact_payload(j));
  }

  void result(JsonView j, int64_t t) {
    Session& s = main_session(j, t);
    auto& a = s.span.attributes;
    for (const char* key : {"subtype", "is_error", "duration_ms", "duration_api_ms", "num_turns",
                            "total_cost_usd", "stop_reason", "usage", "modelUsage"})
      if (JsonView v = j[key]) a[fmt::format("harness.result.{}", key)] = v.to_json();
    if (JsonView text = j["result"]) a["harness.result.text"] = clip_json(text);
    // The source states the cost once, for the whole session (subagents and utility models included); llm
    // spans carry tokens only, so stats never count it twice.
    // A figure out of [0, $1M] is not counted (the attribute above keeps what was printed).
    if (JsonView cost = j["total_cost_usd"]; cost.is_number()) s.span.usage.cost_usd = plausible_cost(cost.number());
    if (!llm_seen_) usage_from_result(j, s.span.usage);
    else book_unattributed_usage(j, s);
    for (JsonView d : j["permission_denials"])
      event(s.span.span_id, t, "permission.denied",
            {{"tool", std::string(d["tool_name"].str())},
             {"id", std::string(d["tool_use_id"].str())},
             {"input", d["tool_input"] ? clip_json(d["tool_input"]) : "{}"}});
    bool error = j["is_error"].boolean();
    if (error) {
      JsonView text = j["result"];
      std::string kind(j["subtype"].str());
      event(s.span.span_id, t, "error", {{"message", text ? clip_json(text) : kind}, {"kind", kind}});
    }
    int64_t duration_ms = j["duration_ms"].int64();
    int64_t duration_ns = duration_ms > 0 && duration_ms < (int64_t{1} << 40) ? duration_ms * 1000000 : 0;
    if (!s.start_known && duration_ns > 0)
      s.span.start_ns = t - duration_ns;  // no line had a time: a result alone
    // Subagents end with the call that spawned them; any still open end with the session.
    for (auto& [key, sub] : sessions_)
      if (&sub != &s && sub.open) close_session(sub, t, SpanStatus::unset, true);
    close_session(s, t, error ? SpanStatus::error : SpanStatus::ok, false);
  }

  std::unordered_map<std::string, std::string>
      task_tools_;  // background task id -> the Agent call running it

  // stream-json repeats each message's usage as message_start gave it: output_tokens is provisional (often 1);
  // the final count reaches only the transcript and the result line, whose `usage` sums the main thread's
  // messages. What the result states beyond the session's llm spans goes on the session span (and is named in
  // `claude.usage_unattributed`), so the session's totals equal the result's without a message counted twice.
  void book_unattributed_usage(JsonView j, Session& s) {
    JsonView usage = j["usage"];
    if (!usage.is_object()) return;
    // Only a result of this very session restates its messages' totals.
    auto id = s.span.attributes.find("session.id");
    if (id == s.span.attributes.end() || !id->is_string() || *id != std::string(j["session_id"].str())) return;
    flush_llm(s);
    auto rest = [](JsonView v, int64_t sent) { return std::max<int64_t>(0, tokens(v) - sent); };
    Usage& u = s.span.usage;
    u.input_tokens = rest(usage["input_tokens"], s.llm_total.input_tokens);
    u.output_tokens = rest(usage["output_tokens"], s.llm_total.output_tokens);
    u.cache_read_tokens = rest(usage["cache_read_input_tokens"], s.llm_total.cache_read_tokens);
    u.cache_creation_tokens = rest(usage["cache_creation_input_tokens"], s.llm_total.cache_creation_tokens);
    if (u.input_tokens || u.output_tokens || u.cache_read_tokens || u.cache_creation_tokens)
      s.span.attributes["claude.usage_unattributed"] = {{"input_tokens", u.input_tokens},
                                                        {"output_tokens", u.output_tokens},
                                                        {"cache_read_tokens", u.cache_read_tokens},
                                                        {"cache_creation_tokens", u.cache_creation_tokens}};
  }

  // A result without any assistant line (`--output-format json`): its totals are the only usage there is.
  // modelUsage covers every model (usage covers the main one only), so it is preferred.
  static void usage_from_result(JsonView j, Usage& u) {
    u = Usage{0, 0, 0, 0, u.cost_usd};  // a later result (multi-turn input) restates the totals
    if (JsonView models = j["modelUsage"]; models.is_object()) {
      // tokens() is at most 2^50: capping the running sum at 2^60 keeps any number of models from
      // overflowing.
      auto add = [](int64_t& sum, int64_t n) { sum = std::min(sum + n, int64_t{1} << 60); };
      for (JsonView m : models) {
        add(u.input_tokens, tokens(m["inputTokens"]));
        add(u.output_tokens, tokens(m["outputTokens"]));
        add(u.cache_read_tokens, tokens(m["cacheReadInputTokens"]));
        add(u.cache_creation_tokens, tokens(m["cacheCreationInputTokens"]));
      }
    } else if (JsonView usage = j["usage"]; usage.is_object()) {
      u.input_tokens = tokens(usage["input_tokens"]);
      u.output_tokens = tokens(usage["output_tokens"]);
      u.cache_read_tokens = tokens(usage["cache_read_input_tokens"]);
      u.cache_creation_tokens = tokens(usage["cache_creation_input_tokens"]);
    }
  }
};

}  // namespace

std::unique_ptr<Decoder> make_claude_stream_decoder(DecodeContext ctx) {
  return std::make_unique<ClaudeStreamDecoder>(std::move(ctx));
}

}  // namespace trace

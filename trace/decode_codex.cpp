// Codex `codex exec --json`: thread.started / turn.* / item.{started,updated,completed} / error lines (the
// ThreadEvent and ThreadItem types of codex-rs/exec/src/exec_events.rs). One session span per thread, one llm
// span per turn (usage from turn.completed), one tool span per tool-like item, events for the rest. The
// stream carries no timestamps: every line gets the context's clock (file mtime on import, arrival time when
// live).
#include <fmt/format.h>

#include <unordered_map>

#include "trace/codex_items.h"
#include "trace/decoders.h"
#include "trace/ids.h"
#include "trace/json_parse.h"

namespace trace {
namespace {

constexpr size_t kMaxCodexText = 8192;  // bounded copies of messages and tool output

std::string clip_codex(const Json& v) {
  std::string s =
      v.is_string() ? v.get<std::string>() : v.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (s.size() > kMaxCodexText) s = s.substr(0, kMaxCodexText) + "…";
  return s;
}

// A token count: floats, strings, negative and absurd values are not counts Codex writes (and usage arithmetic on
// them could overflow).
int64_t codex_count(const Json& j, const char* key) {
  constexpr int64_t kMax = int64_t{1} << 50;
  auto it = j.find(key);
  if (it == j.end()) return 0;
  if (it->is_number_unsigned()) return it->get<uint64_t>() <= static_cast<uint64_t>(kMax) ? it->get<int64_t>() : 0;
  if (it->is_number_integer()) {
    int64_t n = it->get<int64_t>();
    return n < 0 || n > kMax ? 0 : n;
  }
  return 0;
}

std::string codex_text(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

class CodexDecoder : public Decoder {
 public:
  using Decoder::Decoder;

  void feed(std::string_view line, int64_t line_no) override {
    ++stats_.lines;
    if (json_nesting_depth(line) > kMaxJsonDepth)
      return decode_error(line_no, fmt::format("JSON nests deeper than {} levels", kMaxJsonDepth), line);
    Json j = trace::parse_untrusted_json(line);
    if (j.is_discarded() || !j.is_object()) return decode_error(line_no, "not a JSON object", line);
    auto type_it = j.find("type");
    if (type_it == j.end() || !type_it->is_string())
      return decode_error(line_no, "missing string field 'type'", line);
    const std::string type = *type_it;
    line_ = line_no;
    now_ = now_ns();
    last_time_ = std::max(last_time_, now_);
    if (type == "thread.started") {
      thread_started(codex_text(j, "thread_id"));
    } else if (type == "turn.started") {
      turn_started();
    } else if (type == "turn.completed") {
      if (!j.contains("usage") || !j["usage"].is_object())
        return decode_error(line_no, "turn.completed without a 'usage' object", line);
      turn_ended(&j["usage"], "");
    } else if (type == "turn.failed") {
      std::string message =
          j.contains("error") && j["error"].is_object() ? codex_text(j["error"], "message") : "";
      turn_ended(nullptr, message.empty() ? "turn failed" : message);
    } else if (type == "error") {
      Span& s = session();
      s.status = SpanStatus::error;
      event(s.span_id, "error", {{"message", clip_codex(codex_text(j, "message"))}, {"source", "stream"}});
    } else if (type == "item.started" || type == "item.updated" || type == "item.completed") {
      if (!j.contains("item") || !j["item"].is_object())
        return decode_error(line_no, "missing object field 'item'", line);
      ItemPhase phase = type == "item.started"   ? ItemPhase::started
                        : type == "item.updated" ? ItemPhase::updated
                                                 : ItemPhase::completed;
      if (auto err = item(j["item"], phase)) return decode_error(line_no, *err, line);
    } else if (type == "item.plan.delta") {
      ++stats_.ignored;  // streamed text of a plan item; the completed item carries all of it
      return;
    } else if (type == "request_user_input") {
      event(session().span_id, "user_input.requested", {{"questions", j.value("questions", Json::array())}});
    } else {
      return decode_error(line_no, fmt::format("unknown type '{}'", type), line);
    }
    ++stats_.decoded;
  }

  void finish() override {
    bool unfinished = !tools_.empty() || turn_.has_value();
    for (auto& [key, tool] : tools_) close_unfinished(tool);
    tools_.clear();
    if (turn_) close_unfinished(*turn_);
    turn_.reset();
    if (session_) {
      session_->end_ns = std::max(session_->start_ns, last_time_);
      if (session_->status == SpanStatus::unset) session_->status = SpanStatus::ok;
      if (unfinished) session_->attributes["harness.unfinished"] = true;
      emit_span(*session_);
    }
  }

 private:
  void close_unfinished(Span& s) {
    s.end_ns = std::max(s.start_ns, last_time_);
    s.attributes["harness.unfinished"] = true;
    emit_span(s);
  }

  void event(const std::string& span_id, std::string type, Json payload) {
    Event e;
    e.span_id = span_id;
    e.seq = line_;
    e.time_ns = now_;
    e.type = std::move(type);
    e.payload = std::move(payload);
    emit_event(std::move(e));
  }

  Span& session() {
    if (!session_) thread_started("");
    return *session_;
  }

  void thread_started(const std::string& thread_id) {
    if (session_ && !session_->attributes.contains("session.id") && !thread_id.empty()) {
      // Lines before thread.started (an early error) made the session; this names it.
      session_->attributes["session.id"] = thread_id;
      emit_span(*session_);
      return;
    }
    if (session_) finish();  // a second run appended to the same file: the first one ends here
    ++thread_ordinal_;
    Span s;
    s.trace_id = ctx_.trace_id;
    s.span_id = derive_span_id(ctx_.scope, fmt::format("thread:{}:{}", thread_ordinal_, thread_id));
    s.session_id = s.span_id;
    s.parent_span_id = ctx_.parent_span_id;
    s.kind = SpanKind::session;
    s.name = "codex";
    s.start_ns = now_;
    s.attributes["gen_ai.system"] = "openai";
    if (!thread_id.empty()) s.attributes["session.id"] = thread_id;
    if (!ctx_.label.empty()) s.attributes["harness.agent"] = ctx_.label;
    session_ = s;
    turn_count_ = 0;
    error_span_id_ = s.span_id;
    ++stats_.sessions;
    emit_span(s);
    event(s.span_id, "session.started", {{"session", thread_id}});
  }

  void turn_started() {
    Span& session_span = session();
    if (turn_) close_unfinished(*turn_);
    Span s;
    s.trace_id = ctx_.trace_id;
    s.span_id = derive_span_id(ctx_.scope, fmt::format("turn:{}:{}", thread_ordinal_, ++turn_count_));
    s.parent_span_id = session_span.span_id;
    s.session_id = session_span.span_id;
    s.kind = SpanKind::llm;
    // Codex does not print the model; the GenAI convention names the span by its operation alone then.
    s.name = "chat";
    s.start_ns = now_;
    s.attributes = {
        {"gen_ai.operation.name", "chat"}, {"gen_ai.system", "openai"}, {"codex.turn", turn_count_}};
    turn_ = s;
    emit_span(s);
  }

  void turn_ended(const Json* usage, const std::string& error) {
    if (!turn_) turn_started();  // an end without a start: a zero-length turn keeps the usage
    Span& s = *turn_;
    s.end_ns = now_;
    if (usage) {
      // OpenAI counts cached tokens inside input_tokens; the store's columns are disjoint (docs/agents.md), so
      // input is what was neither read from nor written to the cache, the same meaning as Anthropic's.
      s.usage.cache_read_tokens = codex_count(*usage, "cached_input_tokens");
      s.usage.cache_creation_tokens = codex_count(*usage, "cache_write_input_tokens");
      s.usage.input_tokens =
          std::max<int64_t>(0, codex_count(*usage, "input_tokens") - s.usage.cache_read_tokens - s.usage.cache_creation_tokens);
      s.usage.output_tokens = codex_count(*usage, "output_tokens");
      s.attributes["gen_ai.usage.input_tokens"] = s.usage.input_tokens;
      s.attributes["gen_ai.usage.output_tokens"] = s.usage.output_tokens;
      s.attributes["gen_ai.usage.cache_read.input_tokens"] = s.usage.cache_read_tokens;
      s.attributes["gen_ai.usage.cache_creation.input_tokens"] = s.usage.cache_creation_tokens;
      if (int64_t r = codex_count(*usage, "reasoning_output_tokens")) s.attributes["gen_ai.usage.reasoning.output_tokens"] = r;
      s.status = SpanStatus::ok;
    } else {
      s.status = SpanStatus::error;
      s.attributes["error.message"] = clip_codex(error);
      Span& session_span = session();
      session_span.status = SpanStatus::error;
      event(s.span_id, "error", {{"message", clip_codex(error)}, {"source", "turn.failed"}});
    }
    emit_span(s);
    turn_.reset();
  }

  // Returns an error text when the item cannot be decoded.
  std::optional<std::string> item(const Json& item, ItemPhase phase) {
    std::string id = codex_text(item, "id");
    std::string type = codex_text(item, "type");
    if (type.empty()) type = codex_text(item, "item_type");  // the name before codex 0.45
    if (id.empty() || type.empty()) return "item without string fields 'id' and 'type'";
    Span& session_span = session();
    if (auto tool = codex_tool_of(type, item)) {
      tool_item(id, *tool, phase, session_span);
      return std::nullopt;
    }
    std::string on = turn_ ? turn_->span_id : session_span.span_id;
    if (type == "todo_list") {
      Json items = item.value("items", Json::array());
      int64_t done = 0;
      if (items.is_array())
        for (const auto& t : items) done += t.is_object() && t.contains("completed") && t["completed"] == true;
      event(on, "todo.list", {{"items", items}, {"completed", done}, {"total", items.size()}});
      return std::nullopt;
    }
    if (phase != ItemPhase::completed) {
      ++stats_.ignored;  // text items are whole only when completed
      return std::nullopt;
    }
    if (type == "agent_message" || type == "assistant_message") {
      event(session_span.span_id, "message", {{"role", "assistant"}, {"text", clip_codex(codex_text(item, "text"))}});
    } else if (type == "reasoning") {
      event(on, "reasoning", {{"text", clip_codex(codex_text(item, "text"))}});
    } else if (type == "plan") {
      event(on, "plan", {{"text", clip_codex(codex_text(item, "text"))}});
    } else if (type == "error") {
      event(session_span.span_id, "error", {{"message", clip_codex(codex_text(item, "message"))}, {"source", "item"}});
    } else {
      return fmt::format("unknown item type '{}'", type);
    }
    return std::nullopt;
  }

  void tool_item(const std::string& id, const CodexTool& tool, ItemPhase phase, const Span& session_span) {
    std::string key = fmt::format("{}:{}", thread_ordinal_, id);
    auto it = tools_.find(key);
    if (it == tools_.end()) {
      Span s;
      s.trace_id = ctx_.trace_id;
      s.span_id = derive_span_id(ctx_.scope, "item:" + key);
      s.parent_span_id = session_span.span_id;
      s.session_id = session_span.span_id;
      s.kind = SpanKind::tool;
      s.name = tool.name;
      s.start_ns = now_;
      s.attributes = {{"gen_ai.operation.name", "execute_tool"},
                      {"gen_ai.tool.name", tool.name},
                      {"gen_ai.tool.call.id", id},
                      {"gen_ai.tool.call.arguments", clip_codex(tool.arguments)}};
      it = tools_.emplace(key, std::move(s)).first;
      event(it->second.span_id, "tool.call.started", {{"tool", tool.name}, {"input", clip_codex(tool.arguments)}});
    }
    Span& s = it->second;
    for (const auto& [k, v] : tool.attributes.items()) s.attributes[k] = v;
    if (!tool.result.empty()) s.attributes["gen_ai.tool.call.result"] = clip_codex(tool.result);
    if (phase != ItemPhase::completed) {
      emit_span(s);
      return;
    }
    s.end_ns = now_;
    s.status = tool.failed ? SpanStatus::error : SpanStatus::ok;
    Json payload = {{"tool", tool.name}};
    if (!tool.result.empty()) payload["output"] = clip_codex(tool.result);
    if (tool.exit_code) payload["exit_code"] = s.attributes["process.exit.code"] = *tool.exit_code;
    if (!tool.error.empty()) payload["error"] = s.attributes["error.message"] = clip_codex(tool.error);
    emit_span(s);
    for (const auto& path : tool.written_paths)
      event(s.span_id, "file.write",
            {{"path", path.first}, {"kind", path.second}, {"session", session_span.span_id}});
    event(s.span_id, tool.failed ? "tool.call.failed" : "tool.call.completed", payload);
    tools_.erase(it);
  }

  std::optional<Span> session_;
  std::optional<Span> turn_;
  std::unordered_map<std::string, Span> tools_;  // open tool items only: memory stays bounded
  int64_t thread_ordinal_ = 0;
  int64_t turn_count_ = 0;
  int64_t line_ = 0;
  int64_t now_ = 0;
  int64_t last_time_ = 0;
};

}  // namespace

std::unique_ptr<Decoder> make_codex_decoder(DecodeContext ctx) {
  return std::make_unique<CodexDecoder>(std::move(ctx));
}

}  // namespace trace

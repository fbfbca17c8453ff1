#include "trace/claude_messages.h"

#include <fmt/format.h>

#include <algorithm>

#include "trace/ids.h"
#include "trace/time_parse.h"

namespace trace::claude {

std::string clip_text(std::string_view text, size_t max) {
  if (text.size() <= max) return std::string(text);
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
    --cut;  // not inside a UTF-8 sequence
  std::string out(text.substr(0, cut));
  out += "…";
  return out;
}

std::string clip_json(JsonView value, size_t max) {
  return clip_text(value.is_string() ? value.str(max + 1) : value.raw(), max);
}

int64_t tokens(JsonView count) {
  int64_t n = count.int64();
  return n < 0 || n > (int64_t{1} << 50) ? 0 : n;
}

Json compact_payload(JsonView line) {
  static const std::string_view kEnvelope[] = {
      "type",        "subtype",  "uuid", "session_id", "sessionId", "parentUuid", "logicalParentUuid",
      "isSidechain", "userType", "cwd",  "version",    "gitBranch", "slug",       "timestamp"};
  Json out = Json::object();
  for (auto it = line.begin(), e = line.end(); it != e; ++it) {
    std::string_view key = it.key();
    if (std::find(std::begin(kEnvelope), std::end(kEnvelope), key) != std::end(kEnvelope)) continue;
    JsonView v = *it;
    if (v.is_string())
      out[std::string(key)] = clip_json(v);
    else if (v.raw().size() <= 1024)
      out[std::string(key)] = v.to_json();
    else
      out[std::string(key)] = clip_text(v.raw());
  }
  return out;
}

namespace {

bool blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

}  // namespace

int64_t MessageDecoder::line_time(JsonView line, const char* key) {
  if (JsonView ts = line[key]) {
    std::optional<int64_t> v = ts.is_string() ? parse_iso8601_ns(ts.str())
                               : ts.is_number() && ts.number() > 0 && ts.number() < 1e19
                                   ? json_time_ns(Json(ts.number()))
                                   : std::nullopt;
    if (v) {
      last_time_ = std::max(last_time_, *v);
      time_known_ = true;
      return *v;
    }
  }
  time_known_ = ctx_.live_clock;
  if (ctx_.live_clock) return now_ns();
  return last_time_ ? last_time_ : ctx_.clock_fallback_ns;
}

MessageDecoder::Session* MessageDecoder::find_session(const std::string& key) {
  auto it = sessions_.find(key);
  return it == sessions_.end() ? nullptr : &it->second;
}

MessageDecoder::Session& MessageDecoder::open_session(const std::string& key, std::string span_id,
                                                      std::string parent_span_id, SpanKind kind,
                                                      std::string name, Json attributes, int64_t t) {
  if (Session* existing = find_session(key)) return *existing;
  Session& s = sessions_[key];
  s.span.trace_id = ctx_.trace_id;
  s.span.span_id = std::move(span_id);
  s.span.session_id = s.span.span_id;
  s.span.parent_span_id = std::move(parent_span_id);
  s.span.kind = kind;
  s.span.name = std::move(name);
  s.span.start_ns = t;
  s.span.attributes = std::move(attributes);
  if (!ctx_.label.empty()) s.span.attributes["harness.agent"] = ctx_.label;
  s.start_known = time_known_;
  if (time_known_) s.last_ns = t;
  if (kind == SpanKind::subagent && !s.span.parent_span_id.empty())
    subagent_of_tool_[s.span.parent_span_id] = key;
  if (error_span_id_.empty()) error_span_id_ = s.span.span_id;
  ++stats_.sessions;
  emit_span(s.span);
  return s;
}

void MessageDecoder::touch(Session& s, int64_t t) {
  s.open = true;  // a line after a result line (multi-turn input): the next result or finish() ends it again
  if (!time_known_) return;
  if (!s.start_known || t < s.span.start_ns) s.span.start_ns = t;
  s.start_known = true;
  s.last_ns = std::max(s.last_ns, t);
}

void MessageDecoder::close_session(Session& s, int64_t t, SpanStatus status, bool unfinished) {
  if (!s.open) return;
  flush_llm(s);
  s.span.end_ns = std::max({s.span.start_ns, s.last_ns, t});
  s.span.status = status;
  if (unfinished) s.span.attributes["harness.unfinished"] = true;
  emit_span(s.span);
  s.open = false;
}

void MessageDecoder::flush_llm(Session& s) {
  if (s.message_id.empty()) return;
  Span& l = s.llm;
  l.attributes["gen_ai.usage.input_tokens"] = l.usage.input_tokens;
  l.attributes["gen_ai.usage.output_tokens"] = l.usage.output_tokens;
  l.attributes["gen_ai.usage.cache_read.input_tokens"] = l.usage.cache_read_tokens;
  l.attributes["gen_ai.usage.cache_creation.input_tokens"] = l.usage.cache_creation_tokens;
  s.llm_total.input_tokens += l.usage.input_tokens;
  s.llm_total.output_tokens += l.usage.output_tokens;
  s.llm_total.cache_read_tokens += l.usage.cache_read_tokens;
  s.llm_total.cache_creation_tokens += l.usage.cache_creation_tokens;
  emit_span(l);
  s.message_id.clear();
}

void MessageDecoder::event(const std::string& span_id, int64_t t, std::string type, Json payload) {
  Event e;
  e.span_id = span_id;
  e.seq = line_;
  e.time_ns = t;
  e.type = std::move(type);
  e.payload = std::move(payload);
  emit_event(std::move(e));
}

std::string MessageDecoder::tool_span_id(const Session& s, std::string_view tool_use_id) const {
  if (auto it = open_tools_.find(std::string(tool_use_id)); it != open_tools_.end())
    return it->second.span_id;
  return derive_span_id(s.span.span_id, fmt::format("tool:{}", tool_use_id));
}

bool MessageDecoder::assistant_message(Session& s, JsonView message, int64_t t) {
  JsonView content = message["content"];
  if (!content.is_array() && !content.is_string()) return false;
  std::string_view model = message["model"].str();
  // "<synthetic>" messages are written by Claude Code itself (errors, interruptions): no model call behind
  // them.
  if (model != "<synthetic>") {
    std::string_view id = message["id"].str();
    std::string message_id = id.empty() ? fmt::format("line:{}", line_) : std::string(id);
    Span& l = s.llm;
    if (s.message_id != message_id) {
      flush_llm(s);
      s.message_id = message_id;
      llm_seen_ = true;
      l = Span{};
      l.trace_id = ctx_.trace_id;
      l.span_id = derive_span_id(s.span.span_id, "llm:" + message_id);
      l.parent_span_id = s.span.span_id;
      l.session_id = s.span.span_id;
      l.kind = SpanKind::llm;
      l.name = model.empty() ? "chat" : fmt::format("chat {}", model);
      // The request went out after the session's previous line; the message's lines come as its blocks
      // finish.
      l.start_ns = s.last_ns && s.last_ns <= t ? s.last_ns : t;
      l.status = SpanStatus::ok;
      l.attributes = {{"gen_ai.operation.name", "chat"},
                      {"gen_ai.provider.name", "anthropic"},
                      {"gen_ai.request.model", std::string(model)},
                      {"gen_ai.response.id", message_id}};
    }
    l.end_ns = std::max({l.end_ns, l.start_ns, t});
    // Every line of a message repeats its usage so far: take the max per field, never a sum.
    if (JsonView u = message["usage"]; u.is_object()) {
      Usage& n = l.usage;
      n.input_tokens = std::max(n.input_tokens, tokens(u["input_tokens"]));
      n.output_tokens = std::max(n.output_tokens, tokens(u["output_tokens"]));
      n.cache_read_tokens = std::max(n.cache_read_tokens, tokens(u["cache_read_input_tokens"]));
      n.cache_creation_tokens = std::max(n.cache_creation_tokens, tokens(u["cache_creation_input_tokens"]));
    }
    if (std::string_view stop = message["stop_reason"].str(); !stop.empty())
      l.attributes["gen_ai.response.finish_reasons"] = Json::array({std::string(stop)});
  }
  if (content.is_string()) {
    if (std::string_view text = content.str(kMaxText + 1); !blank(text))
      event(s.span.span_id, t, "message", {{"role", "assistant"}, {"text", clip_text(text)}});
  } else {
    for (JsonView block : content) {
      std::string_view type = block["type"].str();
      if (type == "text") {
        std::string_view text = block["text"].str(kMaxText + 1);
        if (!blank(text))
          event(s.span.span_id, t, "message", {{"role", "assistant"}, {"text", clip_text(text)}});
      } else if (type == "tool_use") {
        open_tool(s, block, t);
      } else if ((type == "thinking" || type == "redacted_thinking") && !s.message_id.empty()) {
        // Thinking is counted, not kept: its text is often empty (signed) and never needed to debug a run.
        auto& n = s.llm.attributes["claude.thinking_blocks"];
        n = n.is_number() ? n.get<int64_t>() + 1 : 1;
      }
    }
  }
  touch(s, t);
  return true;
}

bool MessageDecoder::user_message(Session& s, JsonView message, JsonView tool_use_result, int64_t t,
                                  bool meta) {
  JsonView content = message["content"];
  if (!content.is_array() && !content.is_string()) return false;
  auto text_event = [&](std::string_view text) {
    if (blank(text)) return;
    Json payload = {{"role", "user"}, {"text", clip_text(text)}};
    if (meta) payload["meta"] = true;
    event(s.span.span_id, t, "message", std::move(payload));
  };
  if (content.is_string()) {
    text_event(content.str(kMaxText + 1));
  } else {
    // A line's structured result belongs to its tool_result only when there is exactly one.
    size_t results = 0;
    for (JsonView block : content) results += block["type"].str() == "tool_result";
    for (JsonView block : content) {
      std::string_view type = block["type"].str();
      if (type == "text")
        text_event(block["text"].str(kMaxText + 1));
      else if (type == "tool_result")
        close_tool(s, block, results == 1 ? tool_use_result : JsonView(), t);
    }
  }
  touch(s, t);
  return true;
}

void MessageDecoder::feed(std::string_view line, int64_t line_no) {
  ++stats_.lines;
  line_ = line_no;
  if (!doc_.parse(line)) return decode_error(line_no, fmt::format("invalid JSON: {}", doc_.error()), line);
  JsonView j = doc_.root();
  if (!j.is_object()) return decode_error(line_no, "not a JSON object", line);
  std::string_view type = j["type"].str();
  if (type.empty()) return decode_error(line_no, "missing string field 'type'", line);
  try {
    if (auto problem = decode(j, type)) return decode_error(line_no, *problem, line);
  } catch (const Json::exception& e) {
    return decode_error(line_no, fmt::format("unexpected JSON shape: {}", e.what()), line);
  }
}

void MessageDecoder::finish() {
  for (auto& [id, sp] : open_tools_) {
    sp.end_ns = std::max(sp.start_ns, last_time_);
    sp.attributes["harness.unfinished"] = true;
    emit_span(sp);
  }
  open_tools_.clear();
  for (auto& [key, s] : sessions_)
    if (s.open) close_session(s, s.last_ns, SpanStatus::unset, mark_unfinished_);
}

}  // namespace trace::claude

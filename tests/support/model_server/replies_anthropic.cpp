// Anthropic Messages replies (streamed SSE and plain JSON) for a script Turn. Pure functions; thread-safe.
#include "replies.h"

namespace model_server {
namespace {

std::string sse(const std::string& event, const json& data) {
  return "event: " + event + "\ndata: " + data.dump() + "\n\n";
}

std::string stop_reason(const Turn& turn) {
  if (!turn.stop_reason.empty()) return turn.stop_reason;
  return turn.tool_calls.empty() ? "end_turn" : "tool_use";
}

}  // namespace

std::vector<std::string> split_text(const std::string& text, int chunks) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  size_t n = chunks > 0 ? static_cast<size_t>(chunks) : (text.size() + 23) / 24;
  n = std::max<size_t>(1, std::min(n, text.size()));
  size_t base = text.size() / n, extra = text.size() % n, pos = 0;
  for (size_t i = 0; i < n; ++i) {
    size_t len = base + (i < extra ? 1 : 0);
    out.push_back(text.substr(pos, len));
    pos += len;
  }
  return out;
}

json anthropic_usage(const Usage& u) {
  return {{"input_tokens", u.input_tokens},
          {"cache_creation_input_tokens", u.cache_creation_input_tokens},
          {"cache_read_input_tokens", u.cache_read_input_tokens},
          {"output_tokens", u.output_tokens}};
}

json anthropic_message(const Turn& turn, const ReplyIds& ids) {
  json content = json::array();
  if (!turn.text.empty()) content.push_back({{"type", "text"}, {"text", turn.text}});
  for (size_t i = 0; i < turn.tool_calls.size(); ++i)
    content.push_back({{"type", "tool_use"},
                       {"id", ids.tool_call_ids[i]},
                       {"name", turn.tool_calls[i].name},
                       {"input", turn.tool_calls[i].input}});
  return {{"id", ids.message_id},     {"type", "message"},           {"role", "assistant"},
          {"model", ids.model},       {"content", content},          {"stop_reason", stop_reason(turn)},
          {"stop_sequence", nullptr}, {"usage", anthropic_usage(turn.usage)}};
}

std::vector<std::string> anthropic_stream(const Turn& turn, const ReplyIds& ids) {
  std::vector<std::string> events;
  // Like the real API: message_start carries the input side and a provisional output count; message_delta the
  // final figures.
  json start_usage = anthropic_usage(turn.usage);
  start_usage["output_tokens"] = std::min<long>(turn.usage.output_tokens, 1);
  events.push_back(sse("message_start", {{"type", "message_start"},
                                         {"message",
                                          {{"id", ids.message_id},
                                           {"type", "message"},
                                           {"role", "assistant"},
                                           {"model", ids.model},
                                           {"content", json::array()},
                                           {"stop_reason", nullptr},
                                           {"stop_sequence", nullptr},
                                           {"usage", start_usage}}}}));
  int index = 0;
  if (!turn.text.empty()) {
    events.push_back(sse("content_block_start", {{"type", "content_block_start"},
                                                 {"index", index},
                                                 {"content_block", {{"type", "text"}, {"text", ""}}}}));
    for (const auto& piece : split_text(turn.text, turn.text_chunks))
      events.push_back(sse("content_block_delta", {{"type", "content_block_delta"},
                                                   {"index", index},
                                                   {"delta", {{"type", "text_delta"}, {"text", piece}}}}));
    events.push_back(sse("content_block_stop", {{"type", "content_block_stop"}, {"index", index}}));
    ++index;
  }
  for (size_t i = 0; i < turn.tool_calls.size(); ++i, ++index) {
    const ToolCall& call = turn.tool_calls[i];
    events.push_back(sse("content_block_start",
                         {{"type", "content_block_start"},
                          {"index", index},
                          {"content_block",
                           {{"type", "tool_use"}, {"id", ids.tool_call_ids[i]}, {"name", call.name}, {"input", json::object()}}}}));
    events.push_back(sse("content_block_delta",
                         {{"type", "content_block_delta"},
                          {"index", index},
                          {"delta", {{"type", "input_json_delta"}, {"partial_json", call.input.dump()}}}}));
    events.push_back(sse("content_block_stop", {{"type", "content_block_stop"}, {"index", index}}));
  }
  events.push_back(sse("message_delta", {{"type", "message_delta"},
                                         {"delta", {{"stop_reason", stop_reason(turn)}, {"stop_sequence", nullptr}}},
                                         {"usage", anthropic_usage(turn.usage)}}));
  events.push_back(sse("message_stop", {{"type", "message_stop"}}));
  return events;
}

}  // namespace model_server

// OpenAI Responses replies (streamed SSE and plain JSON) for a script Turn: an optional reasoning item, a message
// item, then one function_call (JSON arguments) or custom_tool_call (freeform input, e.g. Codex apply_patch) per
// tool call. Pure functions; thread-safe.
#include "replies.h"

namespace model_server {
namespace {

// Final (completed) output items of the reply, in order.
json output_items(const Turn& turn, const ReplyIds& ids) {
  json items = json::array();
  if (!turn.reasoning.empty())
    items.push_back({{"id", "rs_" + ids.message_id},
                     {"type", "reasoning"},
                     {"summary", json::array({{{"type", "summary_text"}, {"text", turn.reasoning}}})}});
  if (!turn.text.empty())
    items.push_back({{"id", "msg_" + ids.message_id},
                     {"type", "message"},
                     {"status", "completed"},
                     {"role", "assistant"},
                     {"content", json::array({{{"type", "output_text"}, {"text", turn.text}, {"annotations", json::array()}}})}});
  for (size_t i = 0; i < turn.tool_calls.size(); ++i) {
    const ToolCall& call = turn.tool_calls[i];
    std::string item_id = "fc_" + ids.message_id + "_" + std::to_string(i);
    if (!call.input_text.empty())
      items.push_back({{"id", item_id}, {"type", "custom_tool_call"}, {"status", "completed"},
                       {"call_id", ids.tool_call_ids[i]}, {"name", call.name}, {"input", call.input_text}});
    else
      items.push_back({{"id", item_id}, {"type", "function_call"}, {"status", "completed"},
                       {"call_id", ids.tool_call_ids[i]}, {"name", call.name}, {"arguments", call.input.dump()}});
  }
  return items;
}

json response_object(const Turn& turn, const ReplyIds& ids, const std::string& status, const json& output) {
  json r = {{"id", ids.message_id}, {"object", "response"}, {"created_at", 1700000000}, {"status", status},
            {"model", ids.model},   {"output", output}};
  if (status == "completed") r["usage"] = openai_usage(turn.usage);
  return r;
}

}  // namespace

json openai_usage(const Usage& u) {
  return {{"input_tokens", u.input_tokens},
          {"input_tokens_details", {{"cached_tokens", u.cache_read_input_tokens}}},
          {"output_tokens", u.output_tokens},
          {"output_tokens_details", {{"reasoning_tokens", u.reasoning_tokens}}},
          {"total_tokens", u.input_tokens + u.output_tokens}};
}

json openai_response(const Turn& turn, const ReplyIds& ids) {
  return response_object(turn, ids, "completed", output_items(turn, ids));
}

std::vector<std::string> openai_stream(const Turn& turn, const ReplyIds& ids) {
  std::vector<std::string> events;
  int seq = 0;
  auto emit = [&](const std::string& type, json data) {
    data["type"] = type;
    data["sequence_number"] = seq++;
    events.push_back("event: " + type + "\ndata: " + data.dump() + "\n\n");
  };
  emit("response.created", {{"response", response_object(turn, ids, "in_progress", json::array())}});
  emit("response.in_progress", {{"response", response_object(turn, ids, "in_progress", json::array())}});
  json items = output_items(turn, ids);
  for (size_t index = 0; index < items.size(); ++index) {
    const json& done = items[index];
    std::string type = done["type"], id = done["id"];
    json added = done;
    if (type == "message") added["content"] = json::array();
    if (type == "function_call") added["arguments"] = "";
    if (type == "custom_tool_call") added["input"] = "";
    if (type == "reasoning") added["summary"] = json::array();
    if (added.contains("status")) added["status"] = "in_progress";
    emit("response.output_item.added", {{"output_index", index}, {"item", added}});
    if (type == "message") {
      json part = {{"type", "output_text"}, {"text", ""}, {"annotations", json::array()}};
      json where = {{"item_id", id}, {"output_index", index}, {"content_index", 0}};
      json e = where;
      e["part"] = part;
      emit("response.content_part.added", e);
      for (const auto& piece : split_text(turn.text, turn.text_chunks)) {
        e = where;
        e["delta"] = piece;
        emit("response.output_text.delta", e);
      }
      e = where;
      e["text"] = turn.text;
      emit("response.output_text.done", e);
      e = where;
      e["part"] = done["content"][0];
      emit("response.content_part.done", e);
    } else if (type == "function_call") {
      emit("response.function_call_arguments.delta", {{"item_id", id}, {"output_index", index}, {"delta", done["arguments"]}});
      emit("response.function_call_arguments.done", {{"item_id", id}, {"output_index", index}, {"arguments", done["arguments"]}});
    } else if (type == "custom_tool_call") {
      emit("response.custom_tool_call_input.delta", {{"item_id", id}, {"output_index", index}, {"delta", done["input"]}});
      emit("response.custom_tool_call_input.done", {{"item_id", id}, {"output_index", index}, {"input", done["input"]}});
    } else if (type == "reasoning") {
      emit("response.reasoning_summary_text.delta",
           {{"item_id", id}, {"output_index", index}, {"summary_index", 0}, {"delta", turn.reasoning}});
      emit("response.reasoning_summary_text.done",
           {{"item_id", id}, {"output_index", index}, {"summary_index", 0}, {"text", turn.reasoning}});
    }
    emit("response.output_item.done", {{"output_index", index}, {"item", done}});
  }
  emit("response.completed", {{"response", response_object(turn, ids, "completed", items)}});
  return events;
}

}  // namespace model_server

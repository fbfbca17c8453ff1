// Renders a script Turn as an API response: the SSE events of a streamed Anthropic Messages / OpenAI Responses
// reply, or the JSON body of a non-streamed one. Pure functions; thread-safe.
#pragma once

#include "script.h"

#include <string>
#include <vector>

namespace model_server {

struct ReplyIds {
  std::string message_id;                 // msg_... / resp_...
  std::vector<std::string> tool_call_ids;  // one per turn.tool_calls, already resolved
  std::string model;                      // model named in the reply
};

// Each element is one complete SSE event ("event: x\ndata: {...}\n\n"), sent as its own chunk.
std::vector<std::string> anthropic_stream(const Turn& turn, const ReplyIds& ids);
json anthropic_message(const Turn& turn, const ReplyIds& ids);
std::vector<std::string> openai_stream(const Turn& turn, const ReplyIds& ids);
json openai_response(const Turn& turn, const ReplyIds& ids);

// Usage as each API reports it (what the test compares the trace against).
json anthropic_usage(const Usage& usage);
json openai_usage(const Usage& usage);

// The text split into the deltas a stream sends (turn.text_chunks pieces, or ~24 characters each).
std::vector<std::string> split_text(const std::string& text, int chunks);

}  // namespace model_server

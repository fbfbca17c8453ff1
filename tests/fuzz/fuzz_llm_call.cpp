// libFuzzer target of the LLM proxy's decoding of model API traffic (telemetry/llm_call.h): the first byte
// picks the provider and whether the answer is SSE or a JSON body; the rest is the response, fed in two
// pieces, then the call's span is made. Nothing may crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "telemetry/llm_call.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  bool anthropic = data[0] & 1, sse = data[0] & 2;
  std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  telemetry::LlmCallRecorder call(anthropic ? "anthropic" : "openai",
                                  anthropic ? "/v1/messages" : "/responses",
                                  R"({"model":"m","stream":true})");
  call.on_response_start(200, sse ? "text/event-stream" : "application/json", 1);
  call.feed(bytes.substr(0, bytes.size() / 2));
  call.feed(bytes.substr(bytes.size() / 2));
  call.finish(2);
  (void)call.span("0123456789abcdef0123456789abcdef", "0123456789abcdef", "fedcba9876543210", 0);
  return 0;
}

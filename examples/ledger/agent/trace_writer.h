// Prints the generic JSONL trace protocol (docs/trace-protocol.md, decoded by trace/decode_jsonl.cpp) on a stream,
// one flushed line per record, so the harness sees progress live. Token counts of the simulated model turns follow
// how a real agent's context grows: everything it has read or run so far is context for its next turn.
// Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

namespace demo {

struct Usage {
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t cache_read_tokens = 0;
  double cost_usd = 0;
};

class TraceWriter {
 public:
  TraceWriter(std::ostream& out, uint64_t seed);

  void session_start(const std::string& strategy, const std::string& goal);
  // One model turn that decided the next action; `text` is what the model said.
  void llm_call(const std::string& text);
  // Returns the tool call id for tool_end/file events.
  std::string tool_start(const std::string& tool, const nlohmann::json& input);
  void tool_end(const std::string& id, bool ok, const std::string& output, std::optional<int> exit_code = {},
                const std::string& error = {});
  void file_read(const std::string& path, const std::string& tool_id);
  void file_write(const std::string& path, const std::string& tool_id);
  void message(const std::string& text);
  void error(const std::string& kind, const std::string& message);
  void session_end(bool ok, const std::string& reason, int exit_code);

  // Adds text the model will see on its next turn (the prompt, tool results).
  void add_context(size_t chars) { pending_context_chars_ += chars; }
  const Usage& usage() const { return usage_; }

 private:
  void emit(nlohmann::json line);

  std::ostream& out_;
  std::mt19937_64 rng_;
  int next_llm_ = 1;
  int next_tool_ = 1;
  size_t pending_context_chars_ = 0;  // seen since the last turn: new input tokens
  int64_t context_tokens_ = 0;        // everything before: read from the prompt cache
  Usage usage_;
  std::chrono::steady_clock::time_point last_emit_ = std::chrono::steady_clock::now();
};

}  // namespace demo

#include "trace_writer.h"

#include <fmt/format.h>

namespace demo {
namespace {

// Nominal prices of the demo model, stated in each llm.call the way a real agent CLI states its cost.
constexpr double kUsdPerInputToken = 3.0 / 1e6;
constexpr double kUsdPerOutputToken = 15.0 / 1e6;
constexpr double kUsdPerCacheReadToken = 0.3 / 1e6;
constexpr int64_t kSystemPromptTokens = 900;  // the tool definitions and instructions every turn carries
constexpr size_t kMaxOutputChars = 4000;      // tool output shown in the trace (the decoder clips further)

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string clip(const std::string& s) {
  if (s.size() <= kMaxOutputChars) return s;
  return s.substr(0, kMaxOutputChars / 2) + "\n…\n" + s.substr(s.size() - kMaxOutputChars / 2);
}

}  // namespace

TraceWriter::TraceWriter(std::ostream& out, uint64_t seed) : out_(out), rng_(seed) {}

void TraceWriter::emit(nlohmann::json line) {
  line["ts"] = now_ms();
  line["session"] = "main";
  // Invalid UTF-8 in a file or a test's output must not make the line unprintable.
  out_ << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  out_.flush();
  last_emit_ = std::chrono::steady_clock::now();
}

void TraceWriter::session_start(const std::string& strategy, const std::string& goal) {
  emit({{"type", "session.start"}, {"model", "demo-offline"}, {"strategy", strategy}, {"goal", goal},
        {"name", "demo-agent"}});
}

void TraceWriter::llm_call(const std::string& text) {
  using namespace std::chrono;
  auto thinking_ms = duration_cast<milliseconds>(steady_clock::now() - last_emit_).count();
  int64_t input = static_cast<int64_t>(pending_context_chars_ / 4) + (next_llm_ == 1 ? kSystemPromptTokens : 0);
  int64_t output = static_cast<int64_t>(text.size() / 4) + std::uniform_int_distribution<int64_t>(40, 220)(rng_);
  int64_t cached = context_tokens_;
  double cost = input * kUsdPerInputToken + output * kUsdPerOutputToken + cached * kUsdPerCacheReadToken;
  usage_.input_tokens += input;
  usage_.output_tokens += output;
  usage_.cache_read_tokens += cached;
  usage_.cost_usd += cost;
  context_tokens_ += input + output;
  pending_context_chars_ = 0;
  emit({{"type", "llm.call"}, {"id", fmt::format("m{}", next_llm_++)}, {"model", "demo-offline"},
        {"input_tokens", input}, {"output_tokens", output}, {"cache_read_tokens", cached},
        {"cost_usd", cost}, {"duration_ms", thinking_ms}, {"text", text}});
}

std::string TraceWriter::tool_start(const std::string& tool, const nlohmann::json& input) {
  std::string id = fmt::format("t{}", next_tool_++);
  emit({{"type", "tool.start"}, {"id", id}, {"tool", tool}, {"input", input}});
  return id;
}

void TraceWriter::tool_end(const std::string& id, bool ok, const std::string& output, std::optional<int> exit_code,
                           const std::string& error) {
  nlohmann::json line = {{"type", "tool.end"}, {"id", id}, {"status", ok ? "ok" : "error"}, {"output", clip(output)}};
  if (exit_code) line["exit_code"] = *exit_code;
  if (!error.empty()) line["error"] = error;
  add_context(output.size());
  emit(std::move(line));
}

void TraceWriter::file_read(const std::string& path, const std::string& tool_id) {
  emit({{"type", "file.read"}, {"path", path}, {"tool", tool_id}});
}

void TraceWriter::file_write(const std::string& path, const std::string& tool_id) {
  emit({{"type", "file.write"}, {"path", path}, {"tool", tool_id}});
}

void TraceWriter::message(const std::string& text) {
  emit({{"type", "message"}, {"role", "assistant"}, {"text", text}});
}

void TraceWriter::error(const std::string& kind, const std::string& message) {
  emit({{"type", "error"}, {"kind", kind}, {"message", message}});
}

void TraceWriter::session_end(bool ok, const std::string& reason, int exit_code) {
  emit({{"type", "session.end"}, {"status", ok ? "ok" : "error"}, {"reason", reason}, {"exit_code", exit_code}});
}

}  // namespace demo

// A synthetic `claude -p --output-format stream-json --verbose` capture for bench_trace_import: the line shapes
// of the real one in shared/fixtures/claude-stream-json (system/init; one assistant line per content block
// repeating message.id and usage; one user line per tool_result with its structured tool_use_result; Agent calls
// whose subagent lines carry parent_tool_use_id; a result line with cost and modelUsage), with Bash/Read/Edit/
// Grep/Agent calls, failures and agent-sized outputs. Deterministic from a seed; written line by line in bounded
// memory. Header-only. Not thread-safe.
#pragma once

#include <chrono>
#include <string>

#include "bench/trace_gen.h"

namespace bench {

class ClaudeStreamWriter : public RandomText {
 public:
  ClaudeStreamWriter(LineSink out, uint32_t seed) : RandomText(seed), out_(std::move(out)) {}

  void init() {
    trace::Json tools = trace::Json::array();
    for (const char* t : {"Task", "Bash", "Edit", "Glob", "Grep", "Read", "Write", "WebFetch", "TodoWrite"})
      tools.push_back(t);
    emit({{"type", "system"}, {"subtype", "init"}, {"cwd", "/work/repo"}, {"session_id", kSession},
          {"tools", tools}, {"mcp_servers", trace::Json::array()}, {"model", kModel},
          {"permissionMode", "bypassPermissions"}, {"claude_code_version", "2.1.284"}, {"uuid", uuid()}});
  }

  // One model turn of the main session: an assistant message (text, then 1-3 tool calls), then their results.
  void turn() { turn_of("", 0); }

  void result() {
    emit({{"type", "result"}, {"subtype", "success"}, {"is_error", false}, {"duration_ms", t_ms_ - kStartMs},
          {"duration_api_ms", (t_ms_ - kStartMs) / 2}, {"num_turns", turns_}, {"result", words(40)},
          {"session_id", kSession}, {"total_cost_usd", cost_},
          {"usage", {{"input_tokens", input_}, {"output_tokens", output_tokens_}}},
          {"modelUsage", {{kModel, {{"inputTokens", input_}, {"outputTokens", output_tokens_}, {"costUSD", cost_}}}}},
          {"permission_denials", trace::Json::array()}, {"uuid", uuid()}});
  }

  uint64_t bytes() const { return bytes_; }
  int64_t lines() const { return lines_; }

 private:
  static constexpr const char* kSession = "5f0c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f";
  static constexpr const char* kModel = "claude-sonnet-4-5-20250929";
  static constexpr int64_t kStartMs = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

  void turn_of(const std::string& parent_tool, int depth) {
    ++turns_;
    t_ms_ += 400 + rng_() % 3000;
    std::string msg = fmt::format("msg_01{:022x}", ++ids_);
    int64_t in = 2 + rng_() % 30, cache_read = 10'000 + rng_() % 60'000, cache_new = rng_() % 4000;
    int64_t out = 50 + rng_() % 800;
    input_ += in + cache_read + cache_new;
    output_tokens_ += out;
    cost_ += (in + cache_new * 1.25 + cache_read * 0.1) * 3e-6 + out * 15e-6;
    trace::Json usage = {{"input_tokens", in},
                         {"cache_creation_input_tokens", cache_new},
                         {"cache_read_input_tokens", cache_read},
                         {"cache_creation", {{"ephemeral_5m_input_tokens", 0}, {"ephemeral_1h_input_tokens", cache_new}}},
                         {"output_tokens", out},
                         {"service_tier", "standard"}};
    auto assistant = [&](trace::Json block) {
      emit({{"type", "assistant"},
            {"message",
             {{"model", kModel}, {"id", msg}, {"type", "message"}, {"role", "assistant"},
              {"content", trace::Json::array({std::move(block)})}, {"stop_reason", nullptr},
              {"stop_sequence", nullptr}, {"usage", usage}}},
            {"parent_tool_use_id", parent_tool.empty() ? trace::Json() : trace::Json(parent_tool)},
            {"session_id", kSession}, {"uuid", uuid()}, {"timestamp", timestamp()}});
    };
    if (rng_() % 3 == 0) assistant({{"type", "thinking"}, {"thinking", words(30 + rng_() % 120)}, {"signature", sig()}});
    if (rng_() % 2 == 0) assistant({{"type", "text"}, {"text", words(10 + rng_() % 60)}});
    struct Call {
      std::string id, name;
      trace::Json input;
    };
    std::vector<Call> calls;
    int n = 1 + static_cast<int>(rng_() % 3);
    for (int k = 0; k < n; ++k) {
      Call c{fmt::format("toolu_01{:022x}", ++ids_), "", nullptr};
      std::string path = fmt::format("/work/repo/src/{}/{}.py", word(), word());
      uint32_t kind = rng_() % 100;
      if (kind < 35) {
        c.name = "Bash";
        c.input = {{"command", fmt::format("cd /work/repo && python -m pytest tests/test_{}.py -x -q 2>&1 | tail -{}",
                                           word(), 5 + rng_() % 40)},
                   {"description", words(6)}};
      } else if (kind < 65) {
        c.name = "Read";
        c.input = {{"file_path", path}};
      } else if (kind < 85) {
        c.name = "Edit";
        c.input = {{"file_path", path}, {"old_string", output(150)}, {"new_string", output(200)}};
      } else if (kind < 99 || depth > 0) {
        c.name = "Grep";
        c.input = {{"pattern", word() + "\\("}, {"path", "/work/repo/src"}, {"output_mode", "content"}};
      } else {
        c.name = "Agent";
        c.input = {{"description", words(5)}, {"subagent_type", "Explore"}, {"prompt", words(40)}};
      }
      assistant({{"type", "tool_use"}, {"id", c.id}, {"name", c.name}, {"input", c.input}});
      calls.push_back(std::move(c));
    }
    for (const Call& c : calls) {
      t_ms_ += 20 + rng_() % 2000;
      bool failed = c.name != "Agent" && rng_() % 12 == 0;
      std::string text;
      trace::Json structured;
      if (c.name == "Agent") {
        int sub_turns = 2 + static_cast<int>(rng_() % 5);
        for (int i = 0; i < sub_turns; ++i) turn_of(c.id, depth + 1);
        text = words(60);
        structured = {{"status", "completed"}, {"totalDurationMs", 1000 + rng_() % 60000}};
      } else if (c.name == "Bash") {
        std::string out = output(200 + rng_() % 3000);
        text = failed ? "Exit code 1\n" + out : out;
        structured = {{"stdout", out}, {"stderr", ""}, {"interrupted", false}, {"isImage", false}};
      } else if (c.name == "Read") {
        std::string content = output(300 + rng_() % 4000);
        text = content;
        structured = {{"type", "text"},
                      {"file", {{"filePath", c.input["file_path"]}, {"content", content}, {"numLines", 40},
                                {"startLine", 1}, {"totalLines", 40}}}};
      } else if (c.name == "Edit") {
        text = failed ? "<tool_use_error>String to replace not found in file.</tool_use_error>"
                      : fmt::format("The file {} has been updated.", c.input["file_path"].get<std::string>());
        structured = {{"filePath", c.input["file_path"]}, {"oldString", c.input["old_string"]},
                      {"newString", c.input["new_string"]}, {"userModified", false}};
      } else {
        text = output(100 + rng_() % 1500);
        structured = {{"mode", "content"}, {"numFiles", 3}, {"content", text}};
      }
      trace::Json block = {{"tool_use_id", c.id}, {"type", "tool_result"}, {"content", text}, {"is_error", failed}};
      trace::Json line = {{"type", "user"},
                          {"message", {{"role", "user"}, {"content", trace::Json::array({std::move(block)})}}},
                          {"parent_tool_use_id", parent_tool.empty() ? trace::Json() : trace::Json(parent_tool)},
                          {"session_id", kSession}, {"uuid", uuid()}, {"timestamp", timestamp()}};
      if (!failed) line["tool_use_result"] = std::move(structured);
      emit(std::move(line));
    }
  }

  std::string uuid() {
    return fmt::format("{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}", rng_(), rng_() & 0xFFFF, rng_() & 0xFFF, rng_() & 0xFFF,
                       (uint64_t{rng_()} << 16) ^ rng_());
  }
  std::string sig() {
    std::string s;
    while (s.size() < 200) s += fmt::format("{:08x}", rng_());
    return s;
  }

  // ISO-8601 UTC with milliseconds, as Claude Code writes it.
  std::string timestamp() const {
    using namespace std::chrono;
    sys_time<milliseconds> t{milliseconds{t_ms_}};
    auto day = floor<days>(t);
    year_month_day ymd{day};
    hh_mm_ss hms{t - day};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(ymd.year()),
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hms.hours().count(),
                       hms.minutes().count(), hms.seconds().count(), hms.subseconds().count());
  }

  void emit(trace::Json j) {
    std::string line = j.dump();
    line += '\n';
    out_(line);
    bytes_ += line.size();
    ++lines_;
  }

  LineSink out_;
  int64_t t_ms_ = kStartMs;
  int64_t ids_ = 0, turns_ = 0, lines_ = 0;
  int64_t input_ = 0, output_tokens_ = 0;
  double cost_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace bench

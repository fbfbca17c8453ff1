// Synthetic agent sessions for the trace benchmarks: what a coding agent's trace looks like (a prompt, llm calls
// with token counts, Bash/Read/Edit/Grep/Task tool calls with realistic inputs and outputs, file reads and writes,
// failures, subagents), deterministic from a seed, written as a stream in bounded memory. This file: the text
// generator and the generic JSONL trace protocol; bench/claude_stream_gen.h: Claude Code stream-json.
// Header-only, for bench_trace_import and bench_trace_queries. Not thread-safe.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "trace/model.h"

namespace bench {

using LineSink = std::function<void(std::string_view line)>;  // a line with its '\n'

// Deterministic agent-like text: words, sentences and program output (code, test results, tracebacks).
class RandomText {
 public:
  explicit RandomText(uint32_t seed) : rng_(seed) {}

 protected:
  bool pick(uint32_t one_in) { return rng_() % one_in != 0; }

  std::string word() {
    static const char* kWords[] = {"request", "session", "timeout", "socket", "retry", "buffer", "parser", "config",
                                   "worker", "queue", "handler", "client", "server", "cache", "lock", "thread",
                                   "assert", "value", "error", "result", "connect", "flaky", "test", "index"};
    return kWords[rng_() % (sizeof kWords / sizeof *kWords)];
  }

  std::string words(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) (s += i ? " " : "") += word();
    return s;
  }

  // Program output: lines of code-like text, test results, paths.
  std::string output(int bytes) {
    std::string s;
    while (static_cast<int>(s.size()) < bytes) {
      switch (rng_() % 4) {
        case 0: s += fmt::format("    def {}_{}(self, {}):\n", word(), word(), word()); break;
        case 1: s += fmt::format("tests/test_{}.py::test_{} PASSED [{:>3}%]\n", word(), word(), rng_() % 100); break;
        case 2: s += fmt::format("  File \"src/{}.py\", line {}, in {}\n", word(), rng_() % 900, word()); break;
        default: s += fmt::format("        {} = {}.{}({})\n", word(), word(), word(), rng_() % 1000); break;
      }
    }
    return s;
  }

  std::mt19937 rng_;
};

// The generic JSONL trace protocol (docs/trace-protocol.md): one stream may hold many sessions.
class SessionWriter : public RandomText {
 public:
  // `payload_scale` multiplies tool outputs and texts (1.0: a few hundred bytes to a few KB, as real agents print).
  SessionWriter(LineSink out, uint32_t seed, double payload_scale = 1.0)
      : RandomText(seed), out_(std::move(out)), scale_(payload_scale) {}

  // One top-level session of `turns` model turns; returns the number of protocol lines written so far.
  int64_t session(const std::string& name, int turns) {
    t_ms_ += 1000;
    emit({{"type", "session.start"}, {"session", name}, {"model", "claude-sonnet-4"}, {"goal", words(12)}});
    emit({{"type", "message"}, {"session", name}, {"role", "user"}, {"text", words(static_cast<int>(80 * scale_))}});
    body(name, turns, 0);
    emit({{"type", "session.end"}, {"session", name}, {"status", pick(10) ? "ok" : "error"}});
    return lines_;
  }

  int64_t lines() const { return lines_; }
  uint64_t bytes() const { return bytes_; }

 private:
  void body(const std::string& session, int turns, int depth) {
    for (int turn = 0; turn < turns; ++turn) {
      int in = 2000 + static_cast<int>(rng_() % 30000), out = 50 + static_cast<int>(rng_() % 800);
      t_ms_ += 400 + rng_() % 3000;
      emit({{"type", "llm.call"},
            {"session", session},
            {"id", fmt::format("msg_{}", ++ids_)},
            {"model", "claude-sonnet-4"},
            {"input_tokens", in},
            {"output_tokens", out},
            {"cache_read_tokens", in / 2},
            {"cache_creation_tokens", in / 10},
            {"cost_usd", in * 3e-6 + out * 15e-6},
            {"duration_ms", 300 + rng_() % 4000},
            {"text", words(static_cast<int>((10 + rng_() % 60) * scale_))}});
      int tools = 1 + static_cast<int>(rng_() % 3);
      for (int k = 0; k < tools; ++k) tool(session, depth);
      if (rng_() % 4 == 0)
        emit({{"type", "message"}, {"session", session}, {"role", "assistant"},
              {"text", words(static_cast<int>((20 + rng_() % 80) * scale_))}});
    }
  }

  void tool(const std::string& session, int depth) {
    std::string id = fmt::format("toolu_{:08x}", ++ids_);
    std::string path = fmt::format("src/{}/{}.py", word(), word());
    uint32_t kind = rng_() % 100;
    t_ms_ += 20 + rng_() % 200;
    bool failed = rng_() % 12 == 0;
    if (kind < 35) {
      std::string cmd = fmt::format("cd /work/repo && python -m pytest tests/test_{}.py -x -q 2>&1 | tail -{}", word(),
                                    5 + rng_() % 40);
      emit({{"type", "tool.start"}, {"session", session}, {"id", id}, {"tool", "Bash"},
            {"input", {{"command", cmd}, {"description", words(6)}}}});
      t_ms_ += 100 + rng_() % 20000;
      end(session, id, failed, output(static_cast<int>((200 + rng_() % 3000) * scale_)), failed ? 1 : 0);
    } else if (kind < 65) {
      emit({{"type", "tool.start"}, {"session", session}, {"id", id}, {"tool", "Read"}, {"input", {{"file_path", path}}}});
      emit({{"type", "file.read"}, {"session", session}, {"tool", id}, {"path", path}});
      end(session, id, false, output(static_cast<int>((300 + rng_() % 4000) * scale_)), -1);
    } else if (kind < 85) {
      emit({{"type", "tool.start"}, {"session", session}, {"id", id}, {"tool", "Edit"},
            {"input", {{"file_path", path}, {"old_string", output(static_cast<int>(150 * scale_))},
                       {"new_string", output(static_cast<int>(200 * scale_))}}}});
      emit({{"type", "file.write"}, {"session", session}, {"tool", id}, {"path", path}});
      end(session, id, failed, failed ? "old_string not found in file" : "The file has been updated.", -1);
    } else if (kind < 99 || depth > 0) {
      emit({{"type", "tool.start"}, {"session", session}, {"id", id}, {"tool", "Grep"},
            {"input", {{"pattern", word() + "\\(" }, {"path", "src"}}}});
      end(session, id, false, output(static_cast<int>((100 + rng_() % 1500) * scale_)), -1);
    } else {
      // A Task call whose subagent runs a few turns of its own.
      std::string child = fmt::format("{}-sub{}", session, ++ids_);
      emit({{"type", "tool.start"}, {"session", session}, {"id", id}, {"tool", "Task"},
            {"input", {{"description", words(5)}, {"prompt", words(40)}}}});
      emit({{"type", "subagent.spawn"}, {"session", session}, {"id", id}, {"child_session", child}});
      emit({{"type", "session.start"}, {"session", child}, {"parent_session", session}, {"parent_tool", id},
            {"name", "Explore"}});
      body(child, 2 + static_cast<int>(rng_() % 5), depth + 1);
      emit({{"type", "session.end"}, {"session", child}, {"status", "ok"}});
      end(session, id, false, words(60), -1);
    }
  }

  void end(const std::string& session, const std::string& id, bool failed, const std::string& out, int exit_code) {
    t_ms_ += 5 + rng_() % 50;
    trace::Json j = {{"type", "tool.end"}, {"session", session}, {"id", id}, {"status", failed ? "error" : "ok"}};
    if (failed) j["error"] = out.substr(0, 200);
    else j["output"] = out;
    if (exit_code >= 0) j["exit_code"] = exit_code;
    emit(std::move(j));
  }

  void emit(trace::Json j) {
    j["hv"] = 1;
    j["ts"] = t_ms_;
    std::string line = j.dump();
    line += '\n';
    out_(line);
    bytes_ += line.size();
    ++lines_;
  }

  LineSink out_;
  double scale_;
  int64_t t_ms_ = 1'767'225'600'000;  // 2026-01-01T00:00:00Z in milliseconds: protocol times are ms numbers
  int64_t ids_ = 0;
  int64_t lines_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace bench

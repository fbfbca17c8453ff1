#include "harness/progress.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>

#include <fmt/format.h>

namespace harness {
namespace {

std::string timestamp() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string fmt_duration(int64_t ms) {
  int64_t s = ms / 1000;
  if (s < 60) return fmt::format("{}.{}s", s, (ms % 1000) / 100);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

class PlainProgress : public Progress {
 public:
  explicit PlainProgress(bool quiet) : quiet_(quiet) {}
  void log(std::string_view line) override {
    if (!quiet_) fmt::print(stderr, "{} {}\n", timestamp(), line);
  }
  void update(const GenerationProgress&) override {}
  void finish() override {}

 private:
  bool quiet_;
};

class LiveProgress : public Progress {
 public:
  void log(std::string_view line) override {
    clear();
    fmt::print(stderr, "{} {}\n", timestamp(), line);
    draw();
  }
  void update(const GenerationProgress& state) override {
    state_ = state;
    auto now = std::chrono::steady_clock::now();
    if (now - last_draw_ < std::chrono::milliseconds(250)) return;  // redraw at most 4×/s
    clear();
    draw();
  }
  void finish() override { clear(); }

 private:
  void clear() {
    if (drawn_lines_ > 0) fmt::print(stderr, "\x1b[{}A\x1b[J", drawn_lines_);
    drawn_lines_ = 0;
  }
  void draw() {
    if (state_.generation == 0) return;
    last_draw_ = std::chrono::steady_clock::now();
    std::string out = fmt::format("generation {}/{}  agents {}/{} done  validated fixes {}\n", state_.generation,
                                  state_.generations, state_.done, state_.total, state_.validated_fixes);
    int lines = 1;
    for (const auto& a : state_.running) {
      std::string action = a.last_action.size() > 50 ? a.last_action.substr(0, 47) + "..." : a.last_action;
      out += fmt::format("  {:<8} {:<20} {:<9} {:>7} tools {:>4} tok {:>8}  {}\n", a.id, a.strategy.substr(0, 20),
                         a.phase, fmt_duration(a.elapsed_ms), a.tool_calls, a.tokens, action);
      ++lines;
    }
    fmt::print(stderr, "{}", out);
    drawn_lines_ = lines;
  }
  GenerationProgress state_;
  int drawn_lines_ = 0;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace

ProgressMode default_progress_mode() {
  const char* ci = std::getenv("CI");
  bool in_ci = ci && *ci && std::string_view(ci) != "false" && std::string_view(ci) != "0";
  return isatty(STDERR_FILENO) && !in_ci ? ProgressMode::live : ProgressMode::plain;
}

std::unique_ptr<Progress> make_progress(ProgressMode mode) {
  if (mode == ProgressMode::live) return std::make_unique<LiveProgress>();
  return std::make_unique<PlainProgress>(mode == ProgressMode::quiet);
}

}  // namespace harness

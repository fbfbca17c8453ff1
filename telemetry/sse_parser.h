// Server-sent events, parsed incrementally from bytes as they pass through the proxy: fields `event:` and `data:`
// (several data lines joined by '\n'), an event dispatched at each blank line, CRLF or LF line ends. Memory is
// bounded: a line longer than the limit is dropped and counted. Not thread-safe; one parser per response.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace telemetry {

struct SseEvent {
  std::string event;  // the `event:` field, empty when absent
  std::string data;
};

class SseParser {
 public:
  using Handler = std::function<void(const SseEvent&)>;
  explicit SseParser(Handler handler, size_t max_line_bytes = 16u << 20)
      : handler_(std::move(handler)), max_line_(max_line_bytes) {}
  void feed(std::string_view bytes);
  // End of the stream: an event not closed by a blank line is dispatched (servers that end without one).
  void finish();
  int64_t events() const { return events_; }
  int64_t dropped_lines() const { return dropped_lines_; }

 private:
  void on_line(std::string_view line);
  void dispatch();
  Handler handler_;
  size_t max_line_;
  std::string line_;
  bool line_too_long_ = false;
  SseEvent current_;
  bool has_data_ = false;
  int64_t events_ = 0;
  int64_t dropped_lines_ = 0;
};

}  // namespace telemetry

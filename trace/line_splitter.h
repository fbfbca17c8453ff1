// Splits a byte stream into lines in bounded memory: bytes arrive in chunks (a file read, a pipe), whole lines
// come out. A line longer than `max_line` is not buffered: its first `max_line` bytes are passed on with
// `oversize` set and the rest is skipped. Not thread-safe; one per stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace trace {

class LineSplitter {
 public:
  // line: without the trailing '\n' (and '\r'); line_no: 1-based; total_bytes: the line's full length.
  using Callback = std::function<void(std::string_view line, int64_t line_no, bool oversize, size_t total_bytes)>;

  explicit LineSplitter(Callback cb, size_t max_line = kDefaultMaxLine) : cb_(std::move(cb)), max_line_(max_line) {}
  void feed(std::string_view chunk);
  // End of stream: a last line without '\n' is passed on.
  void finish();
  int64_t lines() const { return line_no_; }

  static constexpr size_t kDefaultMaxLine = 8u << 20;  // 8 MiB: far above any real agent line

 private:
  void emit(std::string_view line);
  Callback cb_;
  size_t max_line_;
  std::string buf_;
  bool skipping_ = false;  // inside an over-long line, after its prefix was passed on
  size_t skipped_total_ = 0;
  int64_t line_no_ = 0;
};

}  // namespace trace

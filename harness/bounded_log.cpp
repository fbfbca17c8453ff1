#include "harness/bounded_log.h"

#include <fmt/format.h>

#include "trace/redact.h"

namespace harness {

BoundedLog::BoundedLog(std::string path, uint64_t head_bytes, uint64_t tail_bytes, std::string limit_key)
    : path_(std::move(path)), head_(head_bytes), tail_(tail_bytes), limit_key_(std::move(limit_key)) {}

BoundedLog::~BoundedLog() { close(); }

void BoundedLog::write(std::string_view bytes) {
  seen_ += bytes.size();
  while (!bytes.empty()) {
    size_t nl = bytes.find('\n');
    size_t take = nl == std::string_view::npos ? bytes.size() : nl + 1;
    partial_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (nl != std::string_view::npos || partial_.size() >= kMaxLine) emit(std::move(partial_)), partial_.clear();
  }
  if (file_) std::fflush(file_);
}

void BoundedLog::emit(std::string line) {
  redactor_.redact_line(line);
  if (!head_full_ && head_written_ + line.size() <= head_) {
    append_to_file(line);
    head_written_ += line.size();
    return;
  }
  head_full_ = true;
  tail_buf_ += line;
  if (tail_buf_.size() > 2 * tail_) {  // trimmed now and then, not per line
    cut_ += tail_buf_.size() - tail_;
    tail_buf_.erase(0, tail_buf_.size() - tail_);
  }
}

void BoundedLog::append_to_file(std::string_view text) {
  if (!file_) file_ = std::fopen(path_.c_str(), "ab");
  if (file_) std::fwrite(text.data(), 1, text.size(), file_);
}

void BoundedLog::close() {
  if (!partial_.empty()) emit(std::move(partial_)), partial_.clear();
  if (!tail_buf_.empty()) {
    if (tail_buf_.size() > tail_) {
      size_t drop = tail_buf_.size() - tail_;
      // The tail starts on a whole line when one begins within it.
      if (size_t nl = tail_buf_.find('\n', drop); nl != std::string::npos && nl + 1 < tail_buf_.size()) drop = nl + 1;
      cut_ += drop;
      tail_buf_.erase(0, drop);
    }
    if (cut_ > 0)
      append_to_file(fmt::format("\n[harness: {} bytes cut here; {} keeps the first {} and the last {} bytes]\n",
                                 cut_, limit_key_, head_, tail_));
    append_to_file(tail_buf_);
    tail_buf_.clear();
  }
  if (file_) std::fclose(file_);
  file_ = nullptr;  // a later write continues the same file, within the same bounds
}

}  // namespace harness

#include "trace/line_splitter.h"

#include <cstring>

namespace trace {

void LineSplitter::emit(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  cb_(line, ++line_no_, false, line.size());
}

void LineSplitter::feed(std::string_view chunk) {
  while (!chunk.empty()) {
    const char* nl = static_cast<const char*>(std::memchr(chunk.data(), '\n', chunk.size()));
    size_t take = nl ? static_cast<size_t>(nl - chunk.data()) : chunk.size();
    if (skipping_) {
      skipped_total_ += take;
      if (nl) {
        skipping_ = false;
        cb_(std::string_view(buf_), ++line_no_, true, skipped_total_);
        buf_.clear();
      }
    } else if (buf_.empty() && nl && take <= max_line_) {
      emit(chunk.substr(0, take));  // the common case: no copy
    } else if (buf_.size() + take > max_line_) {
      skipped_total_ = buf_.size() + take;  // the line's length so far
      buf_.append(chunk.data(), max_line_ - buf_.size());
      if (nl) {
        cb_(std::string_view(buf_), ++line_no_, true, skipped_total_);
        buf_.clear();
      } else {
        skipping_ = true;
      }
    } else {
      buf_.append(chunk.data(), take);
      if (nl) {
        emit(buf_);
        buf_.clear();
      }
    }
    chunk.remove_prefix(nl ? take + 1 : take);
  }
}

void LineSplitter::finish() {
  if (skipping_) {
    cb_(std::string_view(buf_), ++line_no_, true, skipped_total_);
  } else if (!buf_.empty()) {
    emit(buf_);
  }
  buf_.clear();
  skipping_ = false;
}

}  // namespace trace

#include "telemetry/sse_parser.h"

namespace telemetry {

void SseParser::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    size_t nl = bytes.find('\n');
    std::string_view part = bytes.substr(0, nl);
    if (!line_too_long_) {
      if (line_.size() + part.size() > max_line_) {
        line_too_long_ = true;
        line_.clear();
        line_.shrink_to_fit();
      } else {
        line_.append(part);
      }
    }
    if (nl == std::string_view::npos) return;
    bytes.remove_prefix(nl + 1);
    if (line_too_long_) {
      ++dropped_lines_;
      line_too_long_ = false;
    } else {
      std::string_view line = line_;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      on_line(line);
    }
    line_.clear();
  }
}

void SseParser::on_line(std::string_view line) {
  if (line.empty()) return dispatch();
  if (line.front() == ':') return;  // a comment (keep-alive)
  size_t colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field == "event") {
    current_.event = value;
  } else if (field == "data") {
    if (has_data_) current_.data.push_back('\n');
    current_.data.append(value);
    has_data_ = true;
  }
}

void SseParser::dispatch() {
  if (has_data_) {
    ++events_;
    handler_(current_);
  }
  current_ = SseEvent{};
  has_data_ = false;
}

void SseParser::finish() {
  if (!line_.empty() && !line_too_long_) on_line(line_);
  line_.clear();
  dispatch();
}

}  // namespace telemetry

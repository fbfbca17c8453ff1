// Small text helpers for observation texts: one line, bounded, without the agent's workspace root, and the line of
// an error output that says what went wrong. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace observer {

// Newlines and runs of whitespace become one space; leading/trailing space removed.
std::string one_line(std::string_view text);
// At most `max_bytes` bytes, cut on a UTF-8 boundary, with "…" appended when cut.
std::string clip_utf8(std::string_view text, size_t max_bytes);
// `text` with every "<root>/" removed (paths become relative to the workspace). An empty root changes nothing.
std::string strip_root(std::string_view text, std::string_view root);
// The most telling line of an error or tool output: the first line naming an error, exception, failure or
// assertion (a bare "Exit code N" and "Traceback (most recent call last):" do not count), else the first
// non-empty line. <tool_use_error> tags are removed. One line, unclipped.
std::string error_summary(std::string_view output);
// "4m 12s", "850ms", "1h 02m".
std::string format_duration_ms(int64_t ms);
// "12,345".
std::string format_count(int64_t n);

}  // namespace observer

// Text helpers shared by the trace query formatters (tree, replay, stats, why, audit): durations, counts, money,
// UTF-8-aware clipping and column padding, so every verb prints figures the same way. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace trace {

// 345ms, 12.3s, 4m05s, 2h03m; "-" for a negative duration.
std::string format_duration_ms(int64_t ms);
// Relative time for a timeline: +12.345s (always millisecond precision; negative when before the origin).
std::string format_offset_ns(int64_t ns);
// 999, 1.2k, 34.5k, 1.2M, 3.4G.
std::string format_count(int64_t n);
// 1,234,567
std::string format_thousands(int64_t n);
// $0.0123 (4 decimals under $100, 2 above).
std::string format_cost(double usd);
// UTC ISO 8601 with milliseconds: 2026-01-31T12:00:00.000Z.
std::string format_utc_ns(int64_t ns);
// "1 tool call", "3 tool calls" (thousands separated).
std::string plural(int64_t n, std::string_view noun);
// Cost for JSON: rounded to 1e-9 dollars so sums print as 0.0135, not 0.013500000000000002.
double round_cost(double usd);
// First 8 hex chars of a span id: enough to be unique in a run, accepted back as a prefix by every verb.
std::string short_id(std::string_view span_id);

// Number of code points (what a terminal column count is for the text we print: no wide CJK handling).
size_t display_width(std::string_view utf8);
// Collapses white space runs (newlines included) to one space and clips to `max_width` code points with "…".
std::string one_line(std::string_view text, size_t max_width);
// Pads with spaces to `width` code points (left-aligned / right-aligned). Longer text is returned unchanged.
std::string pad_right(std::string_view text, size_t width);
std::string pad_left(std::string_view text, size_t width);

}  // namespace trace

// Text helpers shared by the report renderers: human figures (durations, tokens, cost, times) and the escaping each
// output format needs. Agent output is arbitrary bytes, so every escape also repairs invalid UTF-8. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace harness::report_text {

std::string duration(int64_t ns);     // 850ms, 12.3s, 4m05s, 2h07m
std::string tokens(int64_t n);        // 950, 12.3k, 1.25M
std::string cost(double usd);         // $0.42, $0.0042, $0
std::string utc_time(int64_t ns);     // 2023-11-14 22:13 UTC ("" for 0)
std::string iso_time(int64_t ns);     // 2023-11-14T22:13:20Z ("" for 0)
double seconds(int64_t ns);           // rounded to milliseconds

// Invalid UTF-8 sequences become U+FFFD.
std::string valid_utf8(std::string_view s);
// Whitespace runs (newlines included) become one space; longer than `max` bytes is cut at a character boundary
// and ends with "…".
std::string one_line(std::string_view s, size_t max);
// For HTML text and attributes, and for XML 1.0: & < > " ' escaped, characters XML forbids (most C0 controls)
// replaced by U+FFFD.
std::string xml_escape(std::string_view s);
// For one Markdown table cell: one line, `|` escaped, `<` as an entity so agent text cannot open HTML.
std::string md_cell(std::string_view s, size_t max = 200);
// A code fence longer than any backtick run inside `content`, so the block cannot be closed early.
std::string md_fence(std::string_view content);

}  // namespace harness::report_text

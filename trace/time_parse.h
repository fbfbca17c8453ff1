// Timestamps as agents print them -> unix epoch nanoseconds. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "trace/model.h"

namespace trace {

// "2026-01-31T12:34:56.789Z", "...+02:00", "2026-01-31 12:34:56"; nullopt if it is none of these.
std::optional<int64_t> parse_iso8601_ns(std::string_view text);
// A JSON time: an ISO 8601 string, or a number of seconds, milliseconds, microseconds or nanoseconds since the
// epoch (told apart by size); nullopt for anything else, a negative number or one past int64 nanoseconds.
std::optional<int64_t> json_time_ns(const Json& value);
// OTLP's decimal string of nanoseconds ("1544712660300000000"), or a number.
std::optional<int64_t> unix_nano(const Json& value);

}  // namespace trace

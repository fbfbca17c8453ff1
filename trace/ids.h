// Span and trace ids. Derived ids are a hash of (scope, key), so re-decoding the same raw input
// (`harness trace rebuild`) yields the same ids and evidence links keep pointing at the same spans. Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace trace {

// 16 hex chars (an OpenTelemetry span id) from a stable key.
std::string derive_span_id(std::string_view scope, std::string_view key);
// 32 hex chars (an OpenTelemetry trace id) from a stable key.
std::string derive_trace_id(std::string_view key);
// Random ids, for things that have no natural key (a new run).
std::string random_trace_id();
std::string random_span_id();
// True for a non-empty string of lower-case hex digits of the given length.
bool is_hex_id(std::string_view s, size_t length);

}  // namespace trace

// Parsing JSON that came from outside (an agent's output, a request body, a file given to import). nlohmann's
// parser is iterative, but copying, comparing, dumping and our own walks over the result recurse once per level:
// a document nested a few thousand deep overflows a server thread's stack later, wherever it is touched. So text
// nested deeper than kMaxJsonDepth is refused before it is parsed (JsonView has the same limit).
#pragma once

#include <string>
#include <string_view>

#include "trace/model.h"

namespace trace {

constexpr int kMaxJsonDepth = 256;

// The deepest nesting of arrays and objects in `text` (brackets inside strings do not count); the scan stops as
// soon as the depth passes `limit`, returning limit + 1. Malformed text is scanned as far as it goes.
int json_nesting_depth(std::string_view text, int limit = kMaxJsonDepth);

// Untrusted text as JSON: a discarded value (is_discarded()) when it is malformed or nested too deep.
Json parse_untrusted_json(std::string_view text);

// The same, for callers that report why: an empty string when `out` holds the value, else the reason
// ("nested deeper than 256 levels" or nlohmann's parse error).
std::string parse_untrusted_json(std::string_view text, Json& out);

}  // namespace trace

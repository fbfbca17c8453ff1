#include "trace/json_parse.h"

#include <cstring>

#include <fmt/format.h>

namespace trace {

int json_nesting_depth(std::string_view text, int limit) {
  int depth = 0, deepest = 0;
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    char c = *p++;
    if (c == '"') {  // skip the string: to its closing quote, past escaped characters
      while (p < end) {
        const char* q = static_cast<const char*>(std::memchr(p, '"', static_cast<size_t>(end - p)));
        if (!q) return deepest;
        size_t backslashes = 0;
        for (const char* b = q; b > p && b[-1] == '\\'; --b) ++backslashes;
        p = q + 1;
        if (backslashes % 2 == 0) break;
      }
    } else if (c == '[' || c == '{') {
      if (++depth > deepest) {
        deepest = depth;
        if (deepest > limit) return limit + 1;
      }
    } else if (c == ']' || c == '}') {
      if (depth > 0) --depth;
    }
  }
  return deepest;
}

std::string parse_untrusted_json(std::string_view text, Json& out) {
  if (json_nesting_depth(text) > kMaxJsonDepth) {
    out = Json(Json::value_t::discarded);
    return fmt::format("nested deeper than {} levels", kMaxJsonDepth);
  }
  try {
    out = Json::parse(text);
  } catch (const Json::exception& e) {
    out = Json(Json::value_t::discarded);
    return e.what();
  }
  return "";
}

Json parse_untrusted_json(std::string_view text) {
  if (json_nesting_depth(text) > kMaxJsonDepth) return Json(Json::value_t::discarded);
  return Json::parse(text, nullptr, /*allow_exceptions=*/false);
}

}  // namespace trace

// Compact JSON text of a Json value, as Json::dump(-1, ' ', false, error_handler_t::replace) writes it, but
// several times faster on the long strings agents print (runs that need no escaping are copied whole, ASCII is
// not decoded byte by byte). Every span and event the store writes goes through it. Invalid UTF-8 becomes U+FFFD,
// so the text is always valid JSON. Pure functions, thread-safe.
#pragma once

#include <string>

#include "trace/model.h"

namespace trace {

void append_json_text(std::string& out, const Json& value);
std::string json_text(const Json& value);

}  // namespace trace

#include "trace/json_text.h"

#include <fmt/format.h>

namespace trace {
namespace {

// Length of the valid UTF-8 sequence starting at p (RFC 3629: no overlongs, no surrogates), 0 if invalid.
size_t utf8_sequence(const unsigned char* p, size_t n) {
  auto cont = [&](size_t i, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return i < n && p[i] >= lo && p[i] <= hi;
  };
  unsigned char c = p[0];
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
  if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

void append_string(std::string& out, const std::string& s) {
  static const char kHex[] = "0123456789abcdef";
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  out.reserve(out.size() + n + 2);
  out += '"';
  size_t run = 0;  // start of the bytes not yet copied
  size_t i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      if (size_t len = utf8_sequence(p + i, n - i)) {
        i += len;
        continue;
      }
    }
    out.append(s, run, i - run);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += "\xEF\xBF\xBD";  // an invalid UTF-8 byte: U+FFFD, as nlohmann's replace handler does
        }
    }
    run = ++i;
  }
  out.append(s, run, n - run);
  out += '"';
}

}  // namespace

void append_json_text(std::string& out, const Json& j) {
  switch (j.type()) {
    case Json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, value] : j.items()) {
        if (!first) out += ',';
        first = false;
        append_string(out, key);
        out += ':';
        append_json_text(out, value);
      }
      out += '}';
      break;
    }
    case Json::value_t::array: {
      out += '[';
      for (size_t i = 0; i < j.size(); ++i) {
        if (i) out += ',';
        append_json_text(out, j[i]);
      }
      out += ']';
      break;
    }
    case Json::value_t::string: append_string(out, j.get_ref<const std::string&>()); break;
    case Json::value_t::number_integer: out += fmt::format_int(j.get<int64_t>()).c_str(); break;
    case Json::value_t::number_unsigned: out += fmt::format_int(j.get<uint64_t>()).c_str(); break;
    case Json::value_t::boolean: out += j.get<bool>() ? "true" : "false"; break;
    case Json::value_t::null: out += "null"; break;
    default: out += j.dump(-1, ' ', false, Json::error_handler_t::replace); break;  // floats, binary: rare
  }
}

std::string json_text(const Json& j) {
  std::string out;
  append_json_text(out, j);
  return out;
}

}  // namespace trace

// OTLP JSON value encoding: AnyValue <-> plain JSON, key/value lists, and trace/span ids (hex or base64).
#include <charconv>
#include <vector>

#include "trace/otlp_json.h"
#include "trace/redact.h"

namespace trace {
namespace {

std::optional<int64_t> parse_int64(const std::string& s) {
  int64_t out = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  if (r.ec == std::errc() && r.ptr == s.data() + s.size()) return out;
  return std::nullopt;
}

int base64_digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;  // standard and URL-safe alphabets
  if (c == '/' || c == '_') return 63;
  return -1;
}

std::optional<std::string> base64_to_bytes(std::string_view s) {
  while (!s.empty() && s.back() == '=') s.remove_suffix(1);
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    int d = base64_digit(c);
    if (d < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

}  // namespace

std::string string_at(const Json& object, const char* key, const std::string& fallback) {
  if (!object.is_object()) return fallback;
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

std::optional<int64_t> json_int64(const Json& v) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    return u <= static_cast<uint64_t>(INT64_MAX) ? std::optional<int64_t>(static_cast<int64_t>(u)) : std::nullopt;
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (!(d > -9.2e18 && d < 9.2e18)) return std::nullopt;  // also false for NaN
    return static_cast<int64_t>(d);
  }
  if (v.is_string()) return parse_int64(v.get<std::string>());
  return std::nullopt;
}

Json from_any_value(const Json& any) {
  if (!any.is_object()) return any;  // tolerate exporters that write plain values
  if (auto it = any.find("stringValue"); it != any.end()) return *it;
  if (auto it = any.find("boolValue"); it != any.end()) return *it;
  if (auto it = any.find("intValue"); it != any.end()) {
    if (it->is_string()) {
      if (auto v = parse_int64(it->get<std::string>())) return *v;
    }
    return *it;
  }
  if (auto it = any.find("doubleValue"); it != any.end()) {
    if (it->is_string()) {
      // The JSON mapping allows "NaN"/"Infinity" strings; keep anything non-numeric as text.
      const std::string& s = it->get_ref<const std::string&>();
      double d = 0;
      auto r = std::from_chars(s.data(), s.data() + s.size(), d);
      if (r.ec == std::errc() && r.ptr == s.data() + s.size()) return d;
    }
    return *it;
  }
  if (auto it = any.find("bytesValue"); it != any.end()) return *it;
  if (auto it = any.find("arrayValue"); it != any.end()) {
    Json out = Json::array();
    if (it->is_object() && it->contains("values") && (*it)["values"].is_array())
      for (const auto& v : (*it)["values"]) out.push_back(from_any_value(v));
    return out;
  }
  if (auto it = any.find("kvlistValue"); it != any.end()) {
    if (it->is_object() && it->contains("values")) return from_key_values((*it)["values"]);
    return Json::object();
  }
  return nullptr;
}

Json to_any_value(const Json& value) {
  switch (value.type()) {
    case Json::value_t::string:
      return {{"stringValue", value}};
    case Json::value_t::boolean:
      return {{"boolValue", value}};
    case Json::value_t::number_integer:
      return {{"intValue", std::to_string(value.get<int64_t>())}};
    case Json::value_t::number_unsigned:
      return {{"intValue", std::to_string(value.get<uint64_t>())}};
    case Json::value_t::number_float:
      return {{"doubleValue", value}};
    case Json::value_t::array: {
      Json values = Json::array();
      for (const auto& v : value) values.push_back(to_any_value(v));
      return {{"arrayValue", {{"values", values}}}};
    }
    case Json::value_t::object:
      return {{"kvlistValue", {{"values", to_key_values(value)}}}};
    default:
      return Json::object();  // null: an empty AnyValue
  }
}

size_t redact_secret_attributes(Json& doc) {
  size_t count = 0;
  std::vector<Json*> todo = {&doc};  // no recursion, whatever the nesting
  while (!todo.empty()) {
    Json* j = todo.back();
    todo.pop_back();
    if (j->is_object()) {
      auto key = j->find("key");
      auto value = j->find("value");
      if (key != j->end() && key->is_string() && value != j->end() && is_secret_name(key->get_ref<const std::string&>())) {
        *value = Json{{"stringValue", "[REDACTED:secret]"}};
        ++count;
        continue;
      }
      for (auto& [k, v] : j->items()) todo.push_back(&v);
    } else if (j->is_array()) {
      for (auto& v : *j) todo.push_back(&v);
    }
  }
  return count;
}

Json from_key_values(const Json& list) {
  Json out = Json::object();
  if (!list.is_array()) return out;
  for (const auto& kv : list) {
    if (!kv.is_object()) continue;
    auto key = kv.find("key");
    if (key == kv.end() || !key->is_string()) continue;
    auto value = kv.find("value");
    const std::string& name = key->get_ref<const std::string&>();
    // The text redaction sees "key" and "value" apart: an attribute named like a secret (api_key) is blanked here.
    if (is_secret_name(name) && value != kv.end())
      out[name] = "[REDACTED:secret]";
    else
      out[name] = value == kv.end() ? Json(nullptr) : from_any_value(*value);
  }
  return out;
}

Json to_key_values(const Json& object) {
  Json out = Json::array();
  if (!object.is_object()) return out;
  for (const auto& [k, v] : object.items()) out.push_back({{"key", k}, {"value", to_any_value(v)}});
  return out;
}

std::optional<std::string> normalize_otlp_id(const Json& id, size_t bytes) {
  if (id.is_null()) return std::string();
  if (!id.is_string()) return std::nullopt;
  const std::string& s = id.get_ref<const std::string&>();
  if (s.empty()) return std::string();
  static constexpr char kHex[] = "0123456789abcdef";
  if (s.size() == bytes * 2) {
    std::string out = s;
    bool hex = true;
    for (char& c : out) {
      if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) hex = false;
    }
    if (hex) return out;
  }
  // base64 of `bytes` bytes is 4*ceil(bytes/3) chars with padding; hex of the same length was handled above.
  if (auto raw = base64_to_bytes(s); raw && raw->size() == bytes && s.size() >= (bytes * 4 + 2) / 3) {
    std::string out;
    for (unsigned char c : *raw) {
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
    return out;
  }
  return std::nullopt;
}

}  // namespace trace

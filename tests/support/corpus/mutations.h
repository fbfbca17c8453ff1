// Malformed inputs made from real ones (issue 18): byte-level mutations of a whole input (truncation at many
// offsets, garbage, invalid UTF-8, NUL bytes, huge lines, deep nesting, line shuffles) and JSON-level ones of
// one document (every known field given each wrong type, duplicate keys, deep nesting and huge values inside
// a field). Deterministic: the same seed text gives the same cases. Header-only, no state.
#pragma once

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/support/corpus/corpus_runner.h"

namespace corpus {

using OrderedJson = nlohmann::ordered_json;

inline constexpr size_t kHugeLine = (1u << 20) + (512u << 10);  // over the 1 MiB a line splitter keeps
inline constexpr size_t kDeep = 100'000;

inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    if (nl == std::string::npos) nl = text.size();
    out.push_back(text.substr(at, nl - at));
    at = nl + 1;
  }
  return out;
}

inline std::string join_lines(const std::vector<std::string>& lines, const std::string& eol = "\n") {
  std::string out;
  for (const auto& l : lines) out += l + eol;
  return out;
}

inline std::string deep_arrays(size_t depth, bool closed) {
  return std::string(depth, '[') + (closed ? std::string(depth, ']') : "");
}
inline std::string deep_objects(size_t depth) {
  std::string s;
  s.reserve(depth * 7);
  for (size_t i = 0; i < depth; ++i) s += "{\"a\":";
  s += "1";
  s += std::string(depth, '}');
  return s;
}

inline std::string random_bytes(std::mt19937& rng, size_t n, bool newlines) {
  std::string s(n, '\0');
  for (char& c : s) {
    do c = static_cast<char>(rng() & 0xFF);
    while (!newlines && (c == '\n' || c == '\r'));
  }
  return s;
}

// Offsets of the opening quote of string values or keys, spread over the text (at most `n`).
inline std::vector<size_t> quote_positions(const std::string& text, size_t n) {
  std::vector<size_t> all;
  for (size_t i = 0; i < text.size(); ++i)
    if (text[i] == '"') all.push_back(i);
  std::vector<size_t> out;
  if (all.empty()) return out;
  for (size_t k = 0; k < n; ++k) out.push_back(all[k * all.size() / n]);
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// Mutations of a whole input. `line_based`: the input is a file of lines (line shuffles apply). `heavy`: also
// the huge (> 1 MiB) and deeply nested ones, which cost most of the time (one seed of a surface is enough).
inline void add_byte_mutations(std::vector<Case>& out, const std::string& label, const std::string& seed,
                               bool line_based, uint32_t rng_seed = 1, bool heavy = true) {
  std::mt19937 rng(rng_seed);
  auto add = [&](std::string name, std::string bytes) {
    out.push_back({label + ": " + name, std::move(bytes), ""});
  };
  // Truncation at many offsets: the first bytes one by one, then spread over the whole input.
  std::set<size_t> cuts;
  for (size_t i = 0; i < std::min<size_t>(seed.size(), 12); ++i) cuts.insert(i);
  for (size_t k = 1; k <= 48; ++k) cuts.insert(k * seed.size() / 49);
  if (seed.size() > 1) cuts.insert(seed.size() - 1);
  if (seed.size() > 2) cuts.insert(seed.size() - 2);
  for (size_t c : cuts) add("truncated@" + std::to_string(c), seed.substr(0, c));
  // Garbage: bytes replaced, spans overwritten, blobs inserted, whole random inputs.
  for (int i = 0; i < 16 && !seed.empty(); ++i) {
    std::string s = seed;
    size_t at = rng() % s.size();
    s[at] = static_cast<char>(rng() & 0xFF);
    add("byte@" + std::to_string(at), s);
  }
  for (int i = 0; i < 10 && !seed.empty(); ++i) {
    std::string s = seed;
    size_t at = rng() % s.size(), n = std::min<size_t>(1 + rng() % 64, s.size() - at);
    s.replace(at, n, random_bytes(rng, n, true));
    add("garbage@" + std::to_string(at) + "+" + std::to_string(n), s);
  }
  for (int i = 0; i < 5; ++i) {
    std::string s = seed;
    size_t at = s.empty() ? 0 : rng() % s.size();
    s.insert(at, random_bytes(rng, 256, false));
    add("blob@" + std::to_string(at), s);
  }
  add("random-1k", random_bytes(rng, 1024, true));
  add("random-64k-lines", random_bytes(rng, 64 << 10, true));
  add("random-64k-one-line", random_bytes(rng, 64 << 10, false));
  // Invalid UTF-8 inside strings: overlong, lone continuation, cut sequence, surrogate, beyond U+10FFFF,
  // 0xFE.
  const char* bad_utf8[] = {"\xff",         "\xc0\x80",         "\x80",     "\xe2\x82",
                            "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xfe\xfe", "\xc3"};
  auto quotes = quote_positions(seed, 3);
  for (const char* b : bad_utf8)
    for (size_t q : quotes) {
      std::string s = seed;
      s.insert(q + 1, b);
      add("bad-utf8@" + std::to_string(q + 1), s);
    }
  {
    std::string s = seed;  // every string starts with a bad byte
    for (size_t i = s.size(); i-- > 0;)
      if (s[i] == '"') s.insert(i + 1, "\xff");
    add("bad-utf8-everywhere", s);
  }
  // NUL bytes: inside strings, between tokens, alone.
  for (size_t q : quote_positions(seed, 6)) {
    std::string s = seed;
    s.insert(q + 1, std::string(1, '\0'));
    add("nul@" + std::to_string(q + 1), s);
  }
  {
    std::string s = seed;
    std::replace(s.begin(), s.end(), ',', '\0');
    add("nul-for-commas", s);
    add("nul-first", std::string(1, '\0') + seed);
    add("nuls-64k", std::string(64 << 10, '\0'));
  }
  // Huge lines (> 1 MiB): inside the first string value, as a garbage line, as a valid-looking line before
  // the input, as blank lines and spaces before it.
  if (heavy && !quotes.empty()) {
    std::string s = seed;
    s.insert(quotes[0] + 1, std::string(kHugeLine, 'x'));
    add("huge-string", s);
  }
  if (heavy) {
    add("huge-garbage-line", seed + random_bytes(rng, kHugeLine, false));
    add("huge-line-first", "{\"type\":\"" + std::string(kHugeLine, 'y') + "\"}\n" + seed);
    add("blank-lines-1MiB", std::string(kHugeLine, '\n') + seed);
    add("spaces-1MiB", std::string(kHugeLine, ' ') + seed);
    // Deep nesting: an unclosed and a closed 100k-deep array, 20k-deep objects, before the input.
    add("deep-open-100k", deep_arrays(kDeep, false) + "\n" + seed);
    add("deep-closed-100k", deep_arrays(kDeep, true) + "\n" + seed);
    add("deep-objects-20k", deep_objects(20'000) + "\n" + seed);
  }
  // Shapes of the whole input.
  add("empty", "");
  add("newlines-only", "\n\n\n\n");
  add("bom", "\xef\xbb\xbf" + seed);
  if (line_based) {
    auto lines = split_lines(seed);
    add("crlf", join_lines(lines, "\r\n"));
    add("cr-only", join_lines(lines, "\r"));
    std::vector<std::string> doubled, reversed(lines.rbegin(), lines.rend()), shuffled = lines;
    for (const auto& l : lines) doubled.push_back(l), doubled.push_back(l);
    add("each-line-twice", join_lines(doubled));
    add("reversed", join_lines(reversed));
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    add("shuffled", join_lines(shuffled));
    if (lines.size() > 2) {
      std::vector<std::string> dropped = lines;
      dropped.erase(dropped.begin() + static_cast<long>(lines.size() / 2));
      add("middle-line-dropped", join_lines(dropped));
      std::vector<std::string> first_dropped(lines.begin() + 1, lines.end());
      add("first-line-dropped", join_lines(first_dropped));
    }
    if (!lines.empty() && lines[0].size() < 4096) {
      std::vector<std::string> many(2000, lines[0]);
      add("first-line-2000-times", join_lines(many));
    }
  }
}

// JSON values of another type than `v` (and edge values of its own type).
inline std::vector<OrderedJson> wrong_types(const OrderedJson& v) {
  const OrderedJson big_int = OrderedJson::parse("18446744073709551615");
  const OrderedJson min_int = OrderedJson::parse("-9223372036854775808");
  if (v.is_string())
    return {nullptr, 42, OrderedJson::object({{"a", 1}}), OrderedJson::array({1, "x"}), true};
  if (v.is_number()) return {"12", nullptr, -1, big_int, min_int, 1e308, 0.5, OrderedJson::array()};
  if (v.is_boolean()) return {"true", 1, nullptr, OrderedJson::object()};
  if (v.is_object()) return {OrderedJson::array({v}), "{}", nullptr, 7, OrderedJson::object()};
  if (v.is_array()) return {OrderedJson::object({{"0", 1}}), "[]", nullptr, OrderedJson::array({nullptr}), 3};
  return {"null", 0, OrderedJson::object(), OrderedJson::array()};
}

// Every JSON pointer of `doc` (arrays: their first two elements), in document order.
inline void json_paths(const OrderedJson& doc, const OrderedJson::json_pointer& at,
                       std::vector<OrderedJson::json_pointer>& out) {
  if (doc.is_object()) {
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      out.push_back(at / it.key());
      json_paths(it.value(), at / it.key(), out);
    }
  } else if (doc.is_array()) {
    for (size_t i = 0; i < std::min<size_t>(doc.size(), 2); ++i) {
      out.push_back(at / i);
      json_paths(doc[i], at / i, out);
    }
  }
}

inline std::string dump(const OrderedJson& j) {
  return j.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

// A document with `text` spliced in verbatim at `path` (deep nesting, duplicate keys, big number literals).
inline std::string splice(const OrderedJson& doc, const OrderedJson::json_pointer& path,
                          const std::string& text) {
  static const std::string kMark = "@@corpus-splice@@";
  OrderedJson copy = doc;
  copy[path] = kMark;
  std::string s = dump(copy);
  size_t at = s.find("\"" + kMark + "\"");
  return at == std::string::npos ? s : s.replace(at, kMark.size() + 2, text);
}

struct JsonMutation {
  std::string name;
  std::string text;  // one document, compact, no newline
};

// JSON-level mutations of one document: wrong types for every path (at most `max_paths`, spread evenly),
// duplicate keys in each object, odd number literals and escapes in the first fields; with `heavy`, deep
// nesting and huge strings in the first two fields too.
inline std::vector<JsonMutation> json_mutations(const std::string& document, size_t max_paths = 60,
                                                bool heavy = false) {
  std::vector<JsonMutation> out;
  OrderedJson doc;
  try {
    doc = OrderedJson::parse(document);
  } catch (const std::exception&) {
    return out;
  }
  std::vector<OrderedJson::json_pointer> paths;
  json_paths(doc, OrderedJson::json_pointer(), paths);
  std::vector<OrderedJson::json_pointer> chosen;
  for (size_t k = 0; k < std::min(max_paths, paths.size()); ++k)
    chosen.push_back(paths[k * paths.size() / std::min(max_paths, paths.size())]);
  for (const auto& p : chosen) {
    for (const auto& w : wrong_types(doc[p])) {
      OrderedJson copy = doc;
      copy[p] = w;
      out.push_back({"wrong-type " + p.to_string() + " = " + dump(w).substr(0, 40), dump(copy)});
    }
    OrderedJson without = doc;  // the field missing
    without[p.parent_pointer()].is_object() ? void(without[p.parent_pointer()].erase(p.back())) : void();
    out.push_back({"missing " + p.to_string(), dump(without)});
  }
  // Duplicate keys: each object's first key again, first with another type, then with its own value.
  std::vector<OrderedJson::json_pointer> objects{OrderedJson::json_pointer()};
  for (const auto& p : chosen)
    if (doc[p].is_object() && !doc[p].empty()) objects.push_back(p);
  for (size_t i = 0; i < std::min<size_t>(objects.size(), 12); ++i) {
    const auto& p = objects[i];
    const OrderedJson& o = doc[p];
    if (!o.is_object() || o.empty()) continue;
    std::string key = dump(OrderedJson(o.begin().key()));
    std::string body = dump(o).substr(1);
    std::string dup = "{" + key + ":" + dump(wrong_types(o.begin().value())[0]) + "," + body;
    std::string dup_after = dump(o);
    dup_after.insert(dup_after.size() - 1, "," + key + ":" + dump(wrong_types(o.begin().value())[1]));
    out.push_back({"duplicate-key-first " + p.to_string(), p.empty() ? dup : splice(doc, p, dup)});
    out.push_back({"duplicate-key-last " + p.to_string(), p.empty() ? dup_after : splice(doc, p, dup_after)});
  }
  // Odd number literals and escapes (deep nesting and huge strings) in the first fields.
  for (size_t i = 0; i < std::min<size_t>(chosen.size(), 4); ++i) {
    const auto& p = chosen[i];
    if (heavy && i < 2) {
      out.push_back({"deep-in " + p.to_string(), splice(doc, p, deep_arrays(kDeep, true))});
      out.push_back({"deep-objects-in " + p.to_string(), splice(doc, p, deep_objects(20'000))});
      out.push_back(
          {"huge-string-in " + p.to_string(), splice(doc, p, "\"" + std::string(kHugeLine, 'z') + "\"")});
    }
    for (const char* lit :
         {"1e999", "-0", "123456789012345678901234567890", "-1e-999", "0.0000000000000000001"})
      out.push_back({std::string("number ") + lit + " in " + p.to_string(), splice(doc, p, lit)});
    out.push_back({"escapes-in " + p.to_string(), splice(doc, p, R"("\ud800\udc00\ud800 \u0000 \\ \"")")});
  }
  return out;
}

// A short signature of a JSON line (its "type"-like fields), to pick one line of each kind from a file.
inline std::string line_kind(const std::string& line) {
  try {
    auto j = nlohmann::json::parse(line);
    std::string k;
    std::function<void(const nlohmann::json&, int)> walk = [&](const nlohmann::json& v, int depth) {
      if (depth > 3 || !v.is_object()) return;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if ((it.key() == "type" || it.key() == "subtype" || it.key() == "role") && it.value().is_string())
          k += it.key() + "=" + it.value().get<std::string>() + ";";
        if (it.value().is_object()) walk(it.value(), depth + 1);
        if (it.value().is_array() && !it.value().empty()) walk(it.value()[0], depth + 1);
      }
    };
    walk(j, 0);
    return k.empty() ? "keys:" + std::to_string(j.size()) : k;
  } catch (const std::exception&) {
    return "not-json";
  }
}

// Indices of up to `n` lines of distinct kinds.
inline std::vector<size_t> lines_of_each_kind(const std::vector<std::string>& lines, size_t n) {
  std::set<std::string> seen;
  std::vector<size_t> out;
  for (size_t i = 0; i < lines.size() && out.size() < n; ++i)
    if (lines[i].size() < (256u << 10) && seen.insert(line_kind(lines[i])).second) out.push_back(i);
  return out;
}

}  // namespace corpus

#include "harness/config/config_text.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

namespace harness {
namespace {

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::optional<double> parse_duration(std::string_view text) {
  size_t i = 0;
  auto skip_space = [&] {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  };
  skip_space();
  if (i == text.size()) return std::nullopt;
  double total = 0;
  bool any = false;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (i == start) return std::nullopt;  // a sign, a letter first, or garbage
    std::string number(text.substr(start, i - start));
    char* end = nullptr;
    double value = std::strtod(number.c_str(), &end);
    if (end != number.c_str() + number.size() || !std::isfinite(value)) return std::nullopt;
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string unit = lower(text.substr(unit_start, i - unit_start));
    double scale;
    if (unit.empty()) {
      // A bare number is seconds, but only on its own: "1h30" is ambiguous.
      if (any) return std::nullopt;
      scale = 1;
    } else if (unit == "ms") {
      scale = 0.001;
    } else if (unit == "s") {
      scale = 1;
    } else if (unit == "m") {
      scale = 60;
    } else if (unit == "h") {
      scale = 3600;
    } else if (unit == "d") {
      scale = 86400;
    } else {
      return std::nullopt;
    }
    total += value * scale;
    any = true;
    skip_space();
    if (unit.empty() && i < text.size()) return std::nullopt;
  }
  return total;
}

std::string format_duration(double seconds) {
  if (seconds <= 0) return "0s";
  double ms_total = std::round(seconds * 1000);
  if (std::fmod(ms_total, 1000) != 0) {
    if (seconds < 1) return fmt::format("{}ms", static_cast<int64_t>(ms_total));
    return fmt::format("{}s", seconds);
  }
  auto s = static_cast<int64_t>(ms_total / 1000);
  std::string out;
  const std::pair<int64_t, const char*> units[] = {{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
  for (auto [size, name] : units) {
    if (s >= size) {
      out += fmt::format("{}{}", s / size, name);
      s %= size;
    }
  }
  return out;
}

SplitResult shell_split(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      ++i;
    } else if (c == '\'') {
      size_t close = text.find('\'', i + 1);
      if (close == std::string_view::npos) {
        return base::fail("unclosed single quote");
      }
      word.append(text.substr(i + 1, close - i - 1));
      in_word = true;
      i = close + 1;
    } else if (c == '"') {
      ++i;
      bool closed = false;
      while (i < text.size()) {
        char d = text[i];
        if (d == '"') {
          closed = true;
          ++i;
          break;
        }
        // Inside double quotes a backslash only escapes the characters the shell gives meaning to there.
        if (d == '\\' && i + 1 < text.size() && std::string_view("\"\\$`").find(text[i + 1]) != std::string_view::npos) {
          word.push_back(text[i + 1]);
          i += 2;
          continue;
        }
        word.push_back(d);
        ++i;
      }
      if (!closed) {
        return base::fail("unclosed double quote");
      }
      in_word = true;
    } else if (c == '\\') {
      if (i + 1 == text.size()) {
        return base::fail("trailing backslash");
      }
      word.push_back(text[i + 1]);
      in_word = true;
      i += 2;
    } else {
      word.push_back(c);
      in_word = true;
      ++i;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

ExpandResult expand_env(std::string_view text, const EnvLookup& lookup) {
  ExpandResult r;
  size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 3, "$${") == 0) {
      r.text += "${";
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      r.text.push_back(text[i++]);
      continue;
    }
    size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      r.problem = ExpandResult::Problem::kMalformed;
      r.reference = std::string(text.substr(i));
      return r;
    }
    std::string_view inner = text.substr(i + 2, close - i - 2);
    r.reference = std::string(text.substr(i, close - i + 1));
    size_t name_end = 0;
    if (inner.empty() || !is_name_start(inner[0])) {
      r.problem = ExpandResult::Problem::kMalformed;
      return r;
    }
    while (name_end < inner.size() && is_name_char(inner[name_end])) ++name_end;
    std::string name(inner.substr(0, name_end));
    std::optional<std::string> fallback;
    if (name_end < inner.size()) {
      if (inner.substr(name_end, 2) != ":-") {
        r.problem = ExpandResult::Problem::kMalformed;
        return r;
      }
      fallback = std::string(inner.substr(name_end + 2));
    }
    std::optional<std::string> value = lookup(name);
    if (value && (!value->empty() || !fallback)) {
      r.text += *value;
    } else if (fallback) {
      r.text += *fallback;
    } else {
      r.problem = ExpandResult::Problem::kUnset;
      r.variable = name;
      return r;
    }
    i = close + 1;
  }
  r.reference.clear();
  return r;
}

ExpandResult expand_env(std::string_view text) {
  return expand_env(text, [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  });
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t substitution = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, substitution});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::optional<std::string> did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string w = lower(word);
  // Short words tolerate one edit, longer ones two: beyond that a "suggestion" is a guess that misleads.
  const size_t limit = w.size() <= 4 ? 1 : 2;
  std::optional<std::string> best;
  size_t best_distance = limit + 1;
  for (const auto& c : candidates) {
    size_t d = edit_distance(w, lower(c));
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  if (best) return best;
  // A truncated name ("claude" for "claude-code") is a likely slip too.
  for (const auto& c : candidates)
    if (w.size() >= 3 && lower(c).starts_with(w)) return c;
  return std::nullopt;
}

bool is_plain_name(std::string_view s, bool allow_dots_and_dashes) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
              (allow_dots_and_dashes && (c == '.' || c == '-'));
    if (!ok) return false;
  }
  return allow_dots_and_dashes || !std::isdigit(static_cast<unsigned char>(s[0]));
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += separator;
    out += items[i];
  }
  return out;
}

}  // namespace harness

#include "observer/fingerprint.h"

#include <array>
#include <cstdint>

#include <fmt/format.h>

namespace observer {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_word(char c) { return is_digit(c) || is_alpha(c) || c == '_'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
// Where a path token ends: whitespace, quotes, brackets, and ':' (so "/tmp/x.py:12" keeps its line number apart).
bool ends_path(char c) {
  return is_space(c) || c == '"' || c == '\'' || c == '`' || c == ')' || c == ']' || c == '}' || c == ',' ||
         c == ':' || c == ';' || c == '>';
}

class Normaliser {
 public:
  explicit Normaliser(std::string_view s) : s_(s) { out_.reserve(s.size()); }

  std::string run() {
    while (i_ < s_.size()) {
      char c = s_[i_];
      char prev = i_ > 0 ? s_[i_ - 1] : ' ';
      if (is_space(c)) {
        while (i_ < s_.size() && is_space(s_[i_])) ++i_;
        if (!out_.empty()) out_ += ' ';
        continue;
      }
      if (c == '/' && !is_word(prev) && path()) continue;
      if (!is_word(prev)) {
        if (agent_id() || uuid() || timestamp() || hex() || duration_or_number()) continue;
      }
      out_ += lower(c);
      ++i_;
    }
    while (!out_.empty() && out_.back() == ' ') out_.pop_back();
    return std::move(out_);
  }

 private:
  size_t digits_at(size_t p) const {
    size_t n = 0;
    while (p + n < s_.size() && is_digit(s_[p + n])) ++n;
    return n;
  }
  size_t hex_at(size_t p) const {
    size_t n = 0;
    while (p + n < s_.size() && is_hex(s_[p + n])) ++n;
    return n;
  }
  bool word_ends_at(size_t p) const { return p >= s_.size() || !is_word(s_[p]); }
  void emit(std::string_view placeholder, size_t end) {
    out_ += placeholder;
    i_ = end;
  }

  // Temp files and agents' workspaces differ on every run; what follows a workspace root is the file that matters.
  bool path() {
    size_t end = i_;
    while (end < s_.size() && !ends_path(s_[end])) ++end;
    std::string_view token = s_.substr(i_, end - i_);
    for (std::string_view tmp : {"/tmp/", "/var/tmp/", "/var/folders/", "/private/var/folders/", "/private/tmp/",
                                 "/dev/shm/"}) {
      if (token.starts_with(tmp)) {
        emit("<tmp>", end);
        return true;
      }
    }
    size_t ws = token.find("/workspaces/");
    if (ws == std::string_view::npos) return false;
    size_t name_end = token.find('/', ws + 12);
    out_ += "<ws>";
    i_ += name_end == std::string_view::npos ? token.size() : name_end;
    return true;
  }

  // g01-a02: the harness's agent ids.
  bool agent_id() {
    if (lower(s_[i_]) != 'g') return false;
    size_t p = i_ + 1, n = digits_at(p);
    if (!n || p + n + 1 >= s_.size() || s_[p + n] != '-' || lower(s_[p + n + 1]) != 'a') return false;
    p += n + 2;
    n = digits_at(p);
    if (!n || !word_ends_at(p + n)) return false;
    emit("<agent>", p + n);
    return true;
  }

  bool uuid() {
    static constexpr std::array<size_t, 5> groups = {8, 4, 4, 4, 12};
    size_t p = i_;
    for (size_t g = 0; g < groups.size(); ++g) {
      if (hex_at(p) < groups[g]) return false;
      p += groups[g];
      if (g + 1 < groups.size()) {
        if (p >= s_.size() || s_[p] != '-') return false;
        ++p;
      }
    }
    if (!word_ends_at(p)) return false;
    emit("<uuid>", p);
    return true;
  }

  // 2024-05-01, 2024-05-01T10:00:00.123Z, 2024-05-01 10:00:00+02:00, 10:00:03, 10:00:03.250
  bool timestamp() {
    size_t p = i_;
    bool date = digits_at(p) == 4 && p + 10 <= s_.size() && s_[p + 4] == '-' && digits_at(p + 5) == 2 &&
                s_[p + 7] == '-' && digits_at(p + 8) == 2;
    if (date) {
      p += 10;
      if (p + 1 < s_.size() && (s_[p] == 'T' || s_[p] == ' ') && digits_at(p + 1) == 2) {
        size_t t = clock_at(p + 1);
        if (t) p = t;
      }
      emit("<time>", p);
      return true;
    }
    size_t t = clock_at(p);
    if (!t) return false;
    emit("<time>", t);
    return true;
  }
  // hh:mm[:ss[.fff]][Z|+hh:mm]; returns the end, 0 when there is no clock here. Needs seconds when alone
  // ("12:30" alone may be a line:col pair, left to the number rule).
  size_t clock_at(size_t p) const {
    size_t h = digits_at(p);
    if (h < 1 || h > 2 || p + h >= s_.size() || s_[p + h] != ':' || digits_at(p + h + 1) != 2) return 0;
    p += h + 3;
    if (p < s_.size() && s_[p] == ':' && digits_at(p + 1) == 2) {
      p += 3;
      if (p < s_.size() && (s_[p] == '.' || s_[p] == ',') && digits_at(p + 1)) p += 1 + digits_at(p + 1);
    } else {
      return 0;
    }
    if (p < s_.size() && s_[p] == 'Z') {
      ++p;
    } else if (p < s_.size() && (s_[p] == '+' || s_[p] == '-') && digits_at(p + 1) == 2) {
      size_t q = p + 3;
      if (q < s_.size() && s_[q] == ':') ++q;
      if (digits_at(q) == 2) p = q + 2;
    }
    return word_ends_at(p) ? p : 0;
  }

  // 0x7ffd12, or a bare run of >= 8 hex digits that mixes digits and letters (commit and object ids).
  bool hex() {
    size_t p = i_;
    if (s_[p] == '0' && p + 2 < s_.size() && lower(s_[p + 1]) == 'x' && is_hex(s_[p + 2])) {
      size_t n = hex_at(p + 2);
      if (!word_ends_at(p + 2 + n)) return false;
      emit("<hex>", p + 2 + n);
      return true;
    }
    size_t n = hex_at(p);
    if (n < 8 || !word_ends_at(p + n)) return false;
    bool digit = false, letter = false;
    for (size_t k = p; k < p + n; ++k) (is_digit(s_[k]) ? digit : letter) = true;
    if (!digit || !letter) return false;
    emit("<hex>", p + n);
    return true;
  }

  bool duration_or_number() {
    size_t p = i_, n = digits_at(p);
    if (!n) return false;
    p += n;
    // Thousands separators (12,345) and decimals (3.14); a trailing '.' ends a sentence, not a number.
    while (p < s_.size() && s_[p] == ',' && digits_at(p + 1) == 3) p += 4;
    if (p + 1 < s_.size() && s_[p] == '.' && is_digit(s_[p + 1])) p += 1 + digits_at(p + 1);
    size_t u = p;
    if (u < s_.size() && s_[u] == ' ') ++u;
    static constexpr std::array<std::string_view, 15> units = {
        "ms", "us", "ns", "µs", "seconds", "second", "secs", "sec", "s", "minutes", "minute", "mins", "min", "h", "hours"};
    for (std::string_view unit : units) {
      if (s_.substr(u, unit.size()) == unit && word_ends_at(u + unit.size())) {
        emit("<dur>", u + unit.size());
        return true;
      }
    }
    if (p < s_.size() && is_alpha(s_[p])) return false;  // 12abc: part of a name
    emit("<n>", p);
    return true;
  }

  std::string_view s_;
  size_t i_ = 0;
  std::string out_;
};

uint64_t fnv1a(std::string_view data, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

std::string normalise_for_fingerprint(std::string_view text) { return Normaliser(text).run(); }

std::string fingerprint(Kind kind, std::string_view text) {
  uint64_t h = fnv1a(to_string(kind));
  h = fnv1a("\n", h);
  h = fnv1a(normalise_for_fingerprint(text), h);
  return fmt::format("{:016x}", h);
}

}  // namespace observer

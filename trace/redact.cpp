#include "trace/redact.h"

#include <array>
#include <cstdint>
#include <cstring>

namespace trace {
namespace {

// Character classes from one table: the scanner runs over every byte an agent prints, and per-byte <cctype> calls
// (locale tables behind a function call) were a tenth of an import's time.
enum : uint8_t { kAlnum = 1, kTokenOnly = 2, kBearerOnly = 4, kIdentOnly = 8, kQuote = 16, kBlank = 32 };
constexpr std::array<uint8_t, 256> make_classes() {
  std::array<uint8_t, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = kAlnum;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = kAlnum;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = kAlnum;
  t['-'] |= kTokenOnly | kBearerOnly;
  t['_'] |= kTokenOnly | kBearerOnly | kIdentOnly;
  for (char c : {'.', '~', '+', '/', '='}) t[static_cast<uint8_t>(c)] |= kBearerOnly;
  for (char c : {'\\', '"', '\''}) t[static_cast<uint8_t>(c)] |= kQuote;
  for (char c : {' ', '\t'}) t[static_cast<uint8_t>(c)] |= kBlank;
  return t;
}
constexpr std::array<uint8_t, 256> kClasses = make_classes();
inline uint8_t char_class(char c) { return kClasses[static_cast<uint8_t>(c)]; }
inline char to_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c; }
inline bool is_token_char(char c) { return char_class(c) & (kAlnum | kTokenOnly); }
inline bool is_bearer_char(char c) { return char_class(c) & (kAlnum | kBearerOnly); }
inline bool is_ident_char(char c) { return char_class(c) & (kAlnum | kIdentOnly); }

// Lines are JSON: a secret at the start of a line of an agent's output follows an escape such as `\n` or `\t`, whose
// letter must not count as the end of a longer word, or "...\nsk-ant-..." would be stored in clear once decoded.
bool is_escape_letter(char c) { return c == 'n' || c == 'r' || c == 't' || c == 'b' || c == 'f'; }
bool after_escape(std::string_view s, size_t i) { return i >= 2 && s[i - 2] == '\\' && is_escape_letter(s[i - 1]); }
template <typename WordChar>
inline bool starts_word(std::string_view s, size_t i, WordChar word_char) {
  return i == 0 || !word_char(s[i - 1]) || after_escape(s, i);
}

bool starts_with_ci(std::string_view s, size_t pos, std::string_view prefix) {
  if (pos + prefix.size() > s.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (to_lower(s[pos + i]) != prefix[i]) return false;
  return true;
}

template <typename Pred>
inline size_t run_length(std::string_view s, size_t pos, Pred pred) {
  size_t n = 0;
  while (pos + n < s.size() && pred(s[pos + n])) ++n;
  return n;
}

bool contains_ci(std::string_view s, std::string_view needle) {
  for (size_t i = 0; i + needle.size() <= s.size(); ++i)
    if (starts_with_ci(s, i, needle)) return true;
  return false;
}

bool ends_with_ci(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && starts_with_ci(s, s.size() - suffix.size(), suffix);
}

struct Match {
  size_t value_begin = 0, value_end = 0;
  const char* kind = nullptr;
};

// A token with a well-known prefix starting at i.
bool match_prefixed(std::string_view s, size_t i, Match& m) {
  // Every prefix's second letter is one of these: most words starting with s/g/x/A end the test here.
  char next = i + 1 < s.size() ? s[i + 1] : '\0';
  if (next != 'k' && next != 'h' && next != 'i' && next != 'o' && next != 'K' && next != 'S') return false;
  if (!starts_word(s, i, is_token_char)) return false;  // inside a longer word
  struct Rule {
    const char* prefix;
    size_t min_tail;
    const char* kind;
  };
  static const Rule rules[] = {
      {"sk-ant-", 8, "anthropic_key"}, {"sk-proj-", 8, "openai_key"}, {"sk-", 16, "api_key"},
      {"ghp_", 20, "github_token"},    {"gho_", 20, "github_token"},  {"ghs_", 20, "github_token"},
      {"ghu_", 20, "github_token"},    {"github_pat_", 20, "github_token"}, {"xoxb-", 10, "slack_token"},
  };
  for (const Rule& r : rules) {
    size_t len = std::strlen(r.prefix);
    if (s.compare(i, len, r.prefix) != 0) continue;
    size_t tail = run_length(s, i + len, is_token_char);
    if (tail < r.min_tail) return false;
    m = {i, i + len + tail, r.kind};
    return true;
  }
  if (s.compare(i, 4, "AKIA") == 0 || s.compare(i, 4, "ASIA") == 0) {
    size_t tail = 0;
    while (i + 4 + tail < s.size() && ((s[i + 4 + tail] >= 'A' && s[i + 4 + tail] <= 'Z') ||
                                       (s[i + 4 + tail] >= '0' && s[i + 4 + tail] <= '9')))
      ++tail;
    if (tail == 16) {
      m = {i, i + 20, "aws_access_key"};
      return true;
    }
  }
  return false;
}

// A JSON Web Token: three base64url parts, the first two JSON objects ("eyJ" is base64 of '{"').
bool match_jwt(std::string_view s, size_t i, Match& m) {
  if (s.compare(i, 3, "eyJ") != 0 || !starts_word(s, i, is_token_char)) return false;
  auto b64url = [](char c) { return (char_class(c) & kAlnum) || c == '-' || c == '_'; };
  size_t p = i;
  for (int part = 0; part < 3; ++part) {
    size_t n = run_length(s, p, b64url);
    if (part < 2 && n < 10) return false;
    p += n;
    if (part < 2) {
      if (p >= s.size() || s[p] != '.') return false;
      ++p;
    }
  }
  m = {i, p, "jwt"};
  return true;
}

// A PEM private key block: from its BEGIN line to the end of its END line (in JSON text its line breaks are
// escapes, so the block is one run); without an END (cut off), to the end of the text.
bool match_private_key(std::string_view s, size_t i, Match& m) {
  if (s.compare(i, 11, "-----BEGIN ") != 0) return false;
  size_t label_end = s.find("-----", i + 11);
  if (label_end == std::string_view::npos || label_end - i > 80) return false;
  std::string_view label = s.substr(i + 11, label_end - i - 11);
  if (label.size() < 11 || label.substr(label.size() - 11) != "PRIVATE KEY") return false;
  size_t end = s.find("-----END ", label_end + 5);
  if (end == std::string_view::npos) {
    m = {i, s.size(), "private_key"};
    return true;
  }
  size_t close = s.find("-----", end + 9);
  m = {i, close == std::string_view::npos ? s.size() : close + 5, "private_key"};
  return true;
}

// "Bearer xyz" / "Basic xyz" anywhere.
bool match_bearer(std::string_view s, size_t i, Match& m) {
  for (std::string_view word : {std::string_view("bearer "), std::string_view("basic ")}) {
    if (!starts_with_ci(s, i, word)) continue;
    if (!starts_word(s, i, is_ident_char)) return false;
    size_t v = i + word.size();
    size_t n = run_length(s, v, is_bearer_char);
    if (n < 8) return false;
    m = {v, v + n, "bearer"};
    return true;
  }
  return false;
}

// NAME=value, NAME: value, "NAME": "value", \"NAME\":\"value\" where NAME is a secret's name.
// `i` points at the first character of an identifier.
bool match_named(std::string_view s, size_t i, size_t& ident_len, Match& m) {
  ident_len = run_length(s, i, is_ident_char);
  size_t p = i + ident_len;
  auto skip = [&](uint8_t cls) {
    while (p < s.size() && (char_class(s[p]) & cls)) ++p;
  };
  skip(kQuote);
  skip(kBlank);
  // The cheap test first: most identifiers in text are not followed by '=' or ':'.
  if (p >= s.size() || (s[p] != '=' && s[p] != ':')) return false;
  if (!is_secret_name(s.substr(i, ident_len))) return false;
  ++p;
  skip(kBlank);
  skip(kQuote);
  for (std::string_view scheme : {std::string_view("bearer "), std::string_view("basic ")})
    if (starts_with_ci(s, p, scheme)) p += scheme.size();
  size_t v = p;
  // A value runs to a quote, a backslash (an escaped quote in JSON-in-JSON), white space, ',' or '}'.
  while (p < s.size() && std::strchr("\"'\\ \t\r\n,}&;", s[p]) == nullptr) ++p;
  if (p - v < 4) return false;  // empty or trivially short: not a secret value (e.g. FOO_TOKEN=1)
  if (s.compare(v, 10, "[REDACTED:") == 0) return false;
  m = {v, p, "secret"};
  return true;
}

}  // namespace

bool is_secret_name(std::string_view name) {
  if (name.size() < 3) return false;
  return ends_with_ci(name, "_key") || ends_with_ci(name, "_token") || ends_with_ci(name, "apikey") ||
         contains_ci(name, "secret") || contains_ci(name, "password") || ends_with_ci(name, "_pat") ||
         starts_with_ci(name, 0, "authorization") || starts_with_ci(name, 0, "x-api-key");
}

size_t redact_in_place(std::string& text) {
  size_t count = 0;
  size_t i = 0;
  std::string out;  // built only once something is found
  size_t copied = 0;
  auto replace = [&](const Match& m) {
    if (out.empty()) out.reserve(text.size());
    out.append(text, copied, m.value_begin - copied);
    out += "[REDACTED:";
    out += m.kind;
    out += ']';
    copied = m.value_end;
    ++count;
  };
  std::string_view s = text;
  while (i < s.size()) {
    char c = s[i];
    // Every rule but the PEM block starts at a letter, digit or '_' (escape letters too): anything else is
    // passed in one test.
    if (!is_ident_char(c)) {
      Match pem;
      if (c == '-' && match_private_key(s, i, pem)) {
        replace(pem);
        i = pem.value_end;
        continue;
      }
      ++i;
      continue;
    }
    Match m;
    if ((c == 's' || c == 'g' || c == 'A' || c == 'x') && match_prefixed(s, i, m)) {
      replace(m);
      i = m.value_end;
      continue;
    }
    if (c == 'e' && match_jwt(s, i, m)) {
      replace(m);
      i = m.value_end;
      continue;
    }
    if ((c == 'B' || c == 'b') && match_bearer(s, i, m)) {
      replace(m);
      i = m.value_end;
      continue;
    }
    if (i > 0 && s[i - 1] == '\\' && is_escape_letter(c)) {
      ++i;  // the letter of an escape: what follows starts a word
      continue;
    }
    if (is_ident_char(c) && starts_word(s, i, is_ident_char) && !(c >= '0' && c <= '9')) {
      size_t ident_len = 0;
      if (match_named(s, i, ident_len, m)) {
        replace(m);
        i = m.value_end;
        continue;
      }
      // Skip the identifier, but keep scanning inside it for prefixed tokens only at its start (done above).
      i += ident_len > 0 ? ident_len : 1;
      continue;
    }
    ++i;
  }
  if (count) {
    out.append(text, copied, std::string::npos);
    text.swap(out);
  }
  return count;
}

size_t LineRedactor::redact_line(std::string& line) {
  if (in_private_key_) {
    in_private_key_ = line.find("-----END ") == std::string::npos;
    bool newline = !line.empty() && line.back() == '\n';
    line = newline ? "[REDACTED:private_key]\n" : "[REDACTED:private_key]";
    return 1;
  }
  size_t begin = line.find("-----BEGIN ");
  if (begin != std::string::npos && line.find("PRIVATE KEY-----", begin) != std::string::npos &&
      line.find("-----END ", begin) == std::string::npos)
    in_private_key_ = true;
  return redact_in_place(line);
}

std::string redacted(std::string_view text) {
  std::string s(text);
  redact_in_place(s);
  return s;
}

}  // namespace trace

#include "observer/text.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/format.h>

namespace observer {
namespace {

bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string remove_all(std::string text, std::string_view what) {
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p)) text.erase(p, what.size());
  return text;
}

bool names_a_problem(std::string_view line) {
  static constexpr std::array<std::string_view, 16> words = {
      "error",   "exception", "fail",     "assert", "denied",   "not found", "no such", "cannot",
      "can't",   "unable",    "refused",  "timed out", "panic", "fatal",   "segmentation", "undefined reference"};
  std::string l = lower(line);
  if (l.starts_with("traceback (most recent call last)")) return false;
  if (l.starts_with("exit code ")) return false;
  for (auto w : words)
    if (l.find(w) != std::string::npos) return true;
  return false;
}

}  // namespace

std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (char c : text) {
    if (space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

std::string clip_utf8(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  size_t cut = max_bytes;
  // Back up over continuation bytes (10xxxxxx) so a multi-byte character is never split.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  std::string out(text.substr(0, cut));
  while (!out.empty() && space(out.back())) out.pop_back();
  return out + "…";
}

std::string strip_root(std::string_view text, std::string_view root) {
  std::string out(text);
  if (root.empty()) return out;
  std::string prefix(root);
  while (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
  prefix += '/';
  return remove_all(std::move(out), prefix);
}

std::string error_summary(std::string_view output) {
  std::string text = remove_all(remove_all(std::string(output), "<tool_use_error>"), "</tool_use_error>");
  std::string first;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = one_line(std::string_view(text).substr(start, end - start));
    if (!line.empty()) {
      if (names_a_problem(line)) return line;
      if (first.empty()) first = line;
    }
    start = end + 1;
  }
  return first;
}

std::string format_duration_ms(int64_t ms) {
  if (ms < 0) ms = 0;
  if (ms < 1000) return fmt::format("{}ms", ms);
  int64_t s = ms / 1000;
  if (s < 60) return fmt::format("{:.1f}s", ms / 1000.0);
  if (s < 3600) return fmt::format("{}m {:02}s", s / 60, s % 60);
  return fmt::format("{}h {:02}m", s / 3600, (s % 3600) / 60);
}

std::string format_count(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

}  // namespace observer
